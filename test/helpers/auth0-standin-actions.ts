/**
 * The Auth0 stand-in's Actions, trigger bindings and roles (test/helpers/auth0-standin.ts routes and validates
 * every request against the spec first; these handlers keep the state and apply the rules Auth0 applies beyond
 * its schema):
 *   - an Action's name is unique in the tenant (409); a new or changed Action is "pending" until read once more
 *     (Auth0 builds asynchronously), and deploying one that is not built is refused (400);
 *   - PATCH /actions/triggers/{trigger}/bindings REPLACES the trigger's whole list (the real API's semantics): each
 *     ref must name an existing, deployed Action that supports the trigger (or an existing binding);
 *   - a bound Action cannot be deleted (400) unless ?force=true;
 *   - GET /roles?name_filter= matches case-insensitively on a part of the name (as Auth0's filter does), and answers
 *     the paged shape when include_totals=true.
 * `runPostLogin` runs the deployed code of the Actions bound to post-login, in order, in a VM context, with the
 * event and api objects a v3 post-login Action gets (the parts used here): that is how a user's roles reach
 * the access token in the tests.
 */
import { randomUUID } from 'node:crypto';
import { runInNewContext } from 'node:vm';

type Handler = (p: { params: Record<string, string>; query: Record<string, string>; body: Record<string, unknown> }) => { status: number; body?: unknown };
type ApiError = (status: number, message: string, errorCode?: string) => Error;

export interface StandinAction {
  id: string;
  name: string;
  supported_triggers: Array<{ id: string; version?: string }>;
  code: string;
  runtime: string;
  status: string;
  all_changes_deployed: boolean;
  created_at: string;
  updated_at: string;
  dependencies: unknown[];
  secrets: unknown[];
  deployed_version?: Record<string, unknown>;
  /** The code of the deployed version (what runs). */
  deployedCode?: string;
}

export interface StandinBinding {
  id: string;
  trigger_id: string;
  display_name: string;
  actionId: string;
  created_at: string;
  updated_at: string;
}

export interface ActionsState {
  actions: Map<string, StandinAction>;
  /** trigger id -> bindings in execution order. */
  bindings: Map<string, StandinBinding[]>;
  roles: Map<string, { id: string; name: string; description: string }>;
  handlers: Record<string, Handler>;
  /** Add a role (as an admin would in the Dashboard). */
  addRole(name: string, description?: string): string;
  /** An Action someone else made, deployed and bound to post-login (to prove ours never drops it). */
  addForeignBinding(name: string, code?: string): StandinAction;
  /** Run the deployed post-login Actions bound now, in order, on the token's claims. */
  runPostLogin(event: { audience: string; roles: string[]; clientId: string; sub: string }, claims: Record<string, unknown>): void;
}

const now = () => new Date().toISOString();

export function createActionsState(apiError: ApiError): ActionsState {
  const actions = new Map<string, StandinAction>();
  const bindings = new Map<string, StandinBinding[]>();
  const roles = new Map<string, { id: string; name: string; description: string }>();

  const view = (a: StandinAction) => {
    const { deployedCode: _deployed, ...rest } = a;
    return rest;
  };
  const bindingView = (b: StandinBinding) => {
    const a = actions.get(b.actionId);
    return { id: b.id, trigger_id: b.trigger_id, display_name: b.display_name, created_at: b.created_at, updated_at: b.updated_at, ...(a ? { action: view(a) } : {}) };
  };
  const isBound = (id: string) => [...bindings.values()].some((list) => list.some((b) => b.actionId === id));

  function get(id: string): StandinAction {
    const a = actions.get(id);
    if (!a) throw apiError(404, 'The action does not exist.', 'not_found');
    return a;
  }

  function create(body: Record<string, unknown>): StandinAction {
    const name = String(body.name);
    if ([...actions.values()].some((a) => a.name === name)) throw apiError(409, `An action with the name '${name}' already exists.`, 'conflict');
    const triggers = body.supported_triggers as Array<{ id: string; version?: string }>;
    if (!triggers.length) throw apiError(400, 'supported_triggers must name one trigger.', 'invalid_body');
    if (triggers.some((t) => t.id === 'post-login' && t.version && !['v1', 'v2', 'v3'].includes(t.version))) throw apiError(400, 'Unknown post-login trigger version.', 'invalid_body');
    const t = now();
    const a: StandinAction = {
      id: randomUUID(),
      name,
      supported_triggers: triggers.map((x) => ({ id: x.id, ...(x.version ? { version: x.version } : {}) })),
      code: String(body.code ?? ''),
      runtime: String(body.runtime ?? 'node22'),
      status: 'pending',
      all_changes_deployed: false,
      created_at: t,
      updated_at: t,
      dependencies: [],
      secrets: [],
    };
    actions.set(a.id, a);
    return a;
  }

  const handlers: Record<string, Handler> = {
    get_actions: ({ query }) => {
      const list = [...actions.values()].filter((a) => (!query.actionName || a.name === query.actionName) && (!query.triggerId || a.supported_triggers.some((t) => t.id === query.triggerId)));
      return { status: 200, body: { total: list.length, page: Number(query.page ?? 0), per_page: Number(query.per_page ?? 20), actions: list.map(view) } };
    },
    post_action: ({ body }) => ({ status: 201, body: view(create(body)) }),
    get_action: ({ params }) => {
      const a = get(params.id!);
      const out = view(a);
      // Auth0 builds asynchronously: the first read after a change still sees "pending"; the next, "built".
      if (a.status === 'pending') a.status = 'building';
      else if (a.status === 'building') a.status = 'built';
      return { status: 200, body: out };
    },
    patch_action: ({ params, body }) => {
      const a = get(params.id!);
      if (body.name !== undefined && body.name !== a.name && [...actions.values()].some((x) => x.name === body.name)) throw apiError(409, `An action with the name '${String(body.name)}' already exists.`, 'conflict');
      for (const k of ['name', 'code', 'runtime', 'supported_triggers'] as const) if (body[k] !== undefined) (a as unknown as Record<string, unknown>)[k] = body[k];
      a.status = 'pending';
      a.all_changes_deployed = false;
      a.updated_at = now();
      return { status: 200, body: view(a) };
    },
    delete_action: ({ params, query }) => {
      const a = get(params.id!);
      if (isBound(a.id)) {
        if (query.force !== 'true') throw apiError(400, 'Cannot delete an action that is bound to a trigger: unbind it first (or pass force=true).', 'invalid_body');
        for (const [k, list] of bindings) bindings.set(k, list.filter((b) => b.actionId !== a.id));
      }
      actions.delete(a.id);
      return { status: 204 };
    },
    post_deploy_action: ({ params }) => {
      const a = get(params.id!);
      if (a.status !== 'built') throw apiError(400, `The action '${a.name}' is not built yet (status ${a.status}).`, 'invalid_body');
      const number = Number(a.deployed_version?.number ?? 0) + 1;
      const t = now();
      const version = { id: randomUUID(), action_id: a.id, code: a.code, dependencies: [], deployed: true, runtime: a.runtime, secrets: [], status: 'built', number, built_at: t, created_at: t, updated_at: t, supported_triggers: a.supported_triggers };
      a.deployed_version = version;
      a.deployedCode = a.code;
      a.all_changes_deployed = true;
      return { status: 202, body: { ...version, action: { id: a.id, name: a.name, supported_triggers: a.supported_triggers, all_changes_deployed: true, created_at: a.created_at, updated_at: a.updated_at } } };
    },
    get_bindings: ({ params, query }) => {
      const list = bindings.get(params.triggerId!) ?? [];
      const page = Number(query.page ?? 0);
      const perPage = Number(query.per_page ?? 20);
      const slice = list.slice(page * perPage, (page + 1) * perPage);
      return { status: 200, body: { total: list.length, page, per_page: perPage, bindings: slice.map(bindingView) } };
    },
    patch_bindings: ({ params, body }) => {
      const trigger = params.triggerId!;
      const current = bindings.get(trigger) ?? [];
      const next: StandinBinding[] = [];
      for (const item of (body.bindings as Array<{ ref: { type?: string; value?: string }; display_name?: string }> | undefined) ?? []) {
        const { type = 'action_name', value = '' } = item.ref;
        let actionId: string | undefined;
        let kept: StandinBinding | undefined;
        if (type === 'binding_id') {
          kept = current.find((b) => b.id === value);
          actionId = kept?.actionId;
        } else if (type === 'action_id') actionId = actions.get(value)?.id;
        else actionId = [...actions.values()].find((a) => a.name === value)?.id;
        const a = actionId ? actions.get(actionId) : undefined;
        if (!a) throw apiError(400, `The ${type} '${value}' does not refer to an action.`, 'invalid_body');
        if (!a.supported_triggers.some((t) => t.id === trigger)) throw apiError(400, `The action '${a.name}' does not support the trigger ${trigger}.`, 'invalid_body');
        if (!a.deployed_version) throw apiError(400, `The action '${a.name}' has not been deployed.`, 'invalid_body');
        const t = now();
        next.push(kept ? { ...kept, display_name: item.display_name ?? kept.display_name, updated_at: t } : { id: randomUUID(), trigger_id: trigger, display_name: item.display_name ?? a.name, actionId: a.id, created_at: t, updated_at: t });
      }
      bindings.set(trigger, next);
      return { status: 200, body: { bindings: next.map(bindingView) } };
    },
    get_roles: ({ query }) => {
      const f = query.name_filter?.toLowerCase();
      const list = [...roles.values()].filter((r) => !f || r.name.toLowerCase().includes(f));
      const page = Number(query.page ?? 0);
      const perPage = Number(query.per_page ?? 50);
      const slice = list.slice(page * perPage, (page + 1) * perPage);
      return { status: 200, body: query.include_totals === 'true' ? { start: page * perPage, limit: perPage, total: list.length, roles: slice } : slice };
    },
  };

  return {
    actions,
    bindings,
    roles,
    handlers,
    addRole(name, description = '') {
      const id = `rol_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      roles.set(id, { id, name, description });
      return id;
    },
    addForeignBinding(name, code = 'exports.onExecutePostLogin = async (event, api) => { api.accessToken.setCustomClaim("https://example.com/foreign", true); };\n') {
      const a = create({ name, supported_triggers: [{ id: 'post-login', version: 'v3' }], code });
      a.status = 'built';
      handlers.post_deploy_action!({ params: { id: a.id }, query: {}, body: {} });
      const t = now();
      bindings.set('post-login', [...(bindings.get('post-login') ?? []), { id: randomUUID(), trigger_id: 'post-login', display_name: name, actionId: a.id, created_at: t, updated_at: t }]);
      return a;
    },
    runPostLogin(e, claims) {
      for (const b of bindings.get('post-login') ?? []) {
        const code = actions.get(b.actionId)?.deployedCode;
        if (!code) continue;
        const exports: Record<string, unknown> = {};
        runInNewContext(code, { exports, module: { exports } }, { timeout: 1000 });
        const fn = exports.onExecutePostLogin as ((event: unknown, api: unknown) => unknown) | undefined;
        if (typeof fn !== 'function') continue;
        const event = { resource_server: { identifier: e.audience }, authorization: { roles: [...e.roles] }, client: { client_id: e.clientId }, user: { user_id: e.sub } };
        const api = { accessToken: { setCustomClaim: (k: string, v: unknown) => void (claims[k] = v) }, idToken: { setCustomClaim: () => undefined } };
        // The stand-in's Actions are synchronous apart from the async wrapper: their effect is immediate.
        void fn(event, api);
      }
    },
  };
}

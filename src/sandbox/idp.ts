/**
 * The sandbox identity provider: a real OpenID Connect / OAuth 2.1 authorization server built on
 * oidc-provider (panva), running in-process on loopback.
 *
 * What it does, so that the rest of the tool can be exercised end to end on a laptop:
 * - discovery at `{issuer}/.well-known/openid-configuration` and RFC 8414 `{issuer}/.well-known/oauth-authorization-server`
 *   (oidc-provider serves both with the same metadata; `code_challenge_methods_supported` is `["S256"]`);
 * - public clients only by default (token_endpoint_auth_method `none`), PKCE S256 required for every client,
 *   grants authorization_code + refresh_token;
 * - JWT access tokens (RFC 9068, RS256) whose `aud` is the `resource` the client asked for (any absolute
 *   http(s) URI, e.g. a gateway URL `http://127.0.0.1:PORT/mcp`). Without a `resource` parameter the audience is
 *   `{issuer}/default-api` (see `defaultAudience`). The token carries `iss`, `sub` (the username), `aud`, `exp`,
 *   `iat`, `jti`, `client_id`, `scope`, plus `cid` (= client_id, Okta-style), `preferred_username`, `email`, `groups`,
 *   `department` (alice: engineering, groups engineering and mcp-users; bob: sales, group sales);
 * - refresh tokens whenever `offline_access` was requested and the client may use the refresh_token grant
 *   (no `prompt=consent` needed); they rotate on every use and keep the access token's audience;
 * - revocation, introspection, RFC 7591 dynamic registration (optionally gated by an initial access token)
 *   and RFC 7592 registration management (GET/PUT/DELETE with the registration access token);
 * - a sign-in form and a consent page for people, and `autoLogin` that completes both by redirects only
 *   (for headless tests: see headless-browser.ts).
 *
 * oidc-provider and jose are loaded lazily (dynamic import) when an IdP is created.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  Adapter,
  AdapterPayload,
  Configuration,
  Interaction,
  KoaContextWithOIDC,
  ResourceServer,
} from 'oidc-provider';
import type ProviderType from 'oidc-provider';
import type { Logger } from '../core/logger.js';
import { consentPage, errorPage, loginPage } from './idp-pages.js';

export interface SandboxUser {
  username: string;
  password: string;
  email: string;
  name: string;
  groups?: string[];
  /** A string claim for --require-claim department=... */
  department?: string;
}

export const DEFAULT_USERS: SandboxUser[] = [
  { username: 'alice', password: 'alice-password', email: 'alice@example.com', name: 'Alice Example', groups: ['engineering', 'mcp-users'], department: 'engineering' },
  { username: 'bob', password: 'bob-password', email: 'bob@example.com', name: 'Bob Example', groups: ['sales'], department: 'sales' },
];

export interface SandboxIdpOptions {
  /** e.g. "http://127.0.0.1:43123" (no trailing slash); the lead's router serves this origin. */
  issuer: string;
  /** Default DEFAULT_USERS. */
  users?: SandboxUser[];
  /** Username: sign this user in and grant consent with redirects only (no form, no JS). */
  autoLogin?: string;
  /** When set, dynamic registration requires it (RFC 7591 initial access token). */
  initialAccessToken?: string;
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Default 90 days. */
  refreshTokenTtlSeconds?: number;
  logger: Logger;
}

export interface SandboxIdp {
  issuer: string;
  discoveryUrl: string;
  jwksUri: string;
  /** Node http handler for every request on the issuer's origin that is not a control-plane path (/gateways...). */
  handler(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

/** The scope a resource server (gateway) may ask for besides the OIDC ones. */
export const RESOURCE_SCOPE = 'mcp:tools';
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Every scope is valid at every resource: the access token's `scope` then lists what was granted (like Okta/Cognito). */
const RESOURCE_SERVER_SCOPE = [...OIDC_SCOPES, RESOURCE_SCOPE].join(' ');

/** Audience of access tokens requested without a `resource` parameter. */
export function defaultAudience(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/default-api`;
}

type OidcProviderModule = typeof import('oidc-provider');
let providerModule: Promise<OidcProviderModule> | undefined;

/**
 * Loads oidc-provider once. Its import prints "Unsupported runtime. Use Node.js v22.x LTS" on Node 20 (it works
 * on Node 20); that one line is filtered out while the module evaluates, every other console.warn passes through.
 */
function loadOidcProvider(): Promise<OidcProviderModule> {
  providerModule ??= (async () => {
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
      original.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = original;
    }
  })();
  return providerModule;
}

/** A small in-memory adapter (one store per IdP instance; avoids oidc-provider's shared dev-only MemoryAdapter). */
function createMemoryAdapterFactory(): { factory: (model: string) => Adapter; clear(): void } {
  interface Entry {
    payload: AdapterPayload;
    expiresAt?: number;
  }
  const items = new Map<string, Entry>();
  const grantMembers = new Map<string, Set<string>>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  let writes = 0;

  const live = (key: string): AdapterPayload | undefined => {
    const entry = items.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      items.delete(key);
      return undefined;
    }
    return entry.payload;
  };
  const sweep = () => {
    const now = Date.now();
    for (const [key, entry] of items) if (entry.expiresAt !== undefined && entry.expiresAt <= now) items.delete(key);
    for (const [grantId, keys] of grantMembers) {
      for (const key of keys) if (!items.has(key)) keys.delete(key);
      if (keys.size === 0) grantMembers.delete(grantId);
    }
    for (const [uid, id] of sessionUids) if (!items.has(`Session:${id}`)) sessionUids.delete(uid);
    for (const [code, key] of userCodes) if (!items.has(key)) userCodes.delete(code);
  };

  const factory = (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const k = key(id);
        items.set(k, { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined });
        if (model === 'Session' && typeof payload.uid === 'string') sessionUids.set(payload.uid, id);
        if (typeof payload.grantId === 'string') {
          let members = grantMembers.get(payload.grantId);
          if (!members) grantMembers.set(payload.grantId, (members = new Set()));
          members.add(k);
        }
        if (typeof payload.userCode === 'string') userCodes.set(payload.userCode, k);
        if (++writes % 500 === 0) sweep();
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        const id = sessionUids.get(uid);
        return id === undefined ? undefined : live(key(id));
      },
      async findByUserCode(userCode) {
        const k = userCodes.get(userCode);
        return k === undefined ? undefined : live(k);
      },
      async consume(id) {
        const payload = live(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        items.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        const members = grantMembers.get(grantId);
        if (!members) return;
        for (const k of [...members]) {
          if (k.startsWith(`${model}:`)) {
            items.delete(k);
            members.delete(k);
          }
        }
        if (members.size === 0) grantMembers.delete(grantId);
      },
    };
  };
  return {
    factory,
    clear() {
      items.clear();
      grantMembers.clear();
      sessionUids.clear();
      userCodes.clear();
    },
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isHttpUri(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.hash && !value.includes('#');
  } catch {
    return false;
  }
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

async function readForm(req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(buf);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}

function asStringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string' && value) return [value];
  return [];
}

export async function createSandboxIdp(opts: SandboxIdpOptions): Promise<SandboxIdp> {
  const { logger } = opts;
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(opts.issuer);
  } catch {
    throw new Error(`Sandbox IdP: issuer "${opts.issuer}" is not an absolute URL.`);
  }
  if (issuerUrl.protocol !== 'http:' && issuerUrl.protocol !== 'https:') {
    throw new Error(`Sandbox IdP: issuer "${opts.issuer}" must be an http(s) URL.`);
  }
  if (opts.issuer.endsWith('/')) {
    throw new Error(`Sandbox IdP: issuer "${opts.issuer}" must not end with a slash.`);
  }
  const issuer = opts.issuer;

  const userList = opts.users ?? DEFAULT_USERS;
  const users = new Map(userList.map((u) => [u.username, u]));
  const autoUser = opts.autoLogin !== undefined ? users.get(opts.autoLogin) : undefined;
  if (opts.autoLogin !== undefined && !autoUser) {
    throw new Error(
      `Sandbox IdP: autoLogin user "${opts.autoLogin}" does not exist (sandbox users: ${[...users.keys()].join(', ') || 'none'}).`,
    );
  }
  const accessTtl = opts.accessTokenTtlSeconds ?? 3600;
  const refreshTtl = opts.refreshTokenTtlSeconds ?? 90 * 24 * 3600;
  for (const [name, v] of [['accessTokenTtlSeconds', accessTtl], ['refreshTokenTtlSeconds', refreshTtl]] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`Sandbox IdP: ${name} must be a positive whole number of seconds.`);
  }

  const [{ default: Provider, errors }, jose] = await Promise.all([loadOidcProvider(), import('jose')]);

  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  jwk.kid = await jose.calculateJwkThumbprint(jwk);
  jwk.alg = 'RS256';
  jwk.use = 'sig';

  const store = createMemoryAdapterFactory();
  const fallbackAudience = defaultAudience(issuer);

  const userClaims = (u: SandboxUser) => ({
    sub: u.username,
    preferred_username: u.username,
    name: u.name,
    email: u.email,
    email_verified: true,
    groups: u.groups ?? [],
    ...(u.department ? { department: u.department } : {}),
  });

  const configuration: Configuration = {
    adapter: store.factory,
    clients: [],
    clientDefaults: {
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'RS256',
    },
    responseTypes: ['code'],
    scopes: [...OIDC_SCOPES, RESOURCE_SCOPE],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups', 'department'],
      email: ['email', 'email_verified'],
    },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
    },
    jwks: { keys: [jwk as unknown as Record<string, unknown>] } as Configuration['jwks'],
    findAccount(_ctx, sub) {
      const u = users.get(sub);
      if (!u) return undefined;
      return { accountId: u.username, claims: () => userClaims(u) };
    },
    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction: Interaction) => `/interaction/${interaction.uid}`,
    },
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // Same as oidc-provider's default (rotate for public clients) but without its notice.
    rotateRefreshToken: () => true,
    extraTokenClaims: async (_ctx, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      const u = accountId ? users.get(accountId) : undefined;
      const clientId = (token as { clientId?: string }).clientId;
      if (!u) return clientId ? { cid: clientId } : undefined;
      return {
        cid: clientId,
        preferred_username: u.username,
        email: u.email,
        groups: u.groups ?? [],
        ...(u.department ? { department: u.department } : {}),
      };
    },
    clientBasedCORS: (_ctx, origin) => isLoopbackOrigin(origin),
    ttl: {
      // Defers to the resource server's accessTokenTTL (which is opts.accessTokenTtlSeconds); only set so that
      // oidc-provider does not print its "define the expiration" notice on stdout.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTtl,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: refreshTtl,
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage({ title: 'Sign-in failed', error: String(out.error), description: out.error_description ? String(out.error_description) : undefined });
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
      registration: {
        enabled: true,
        initialAccessToken: opts.initialAccessToken ?? false,
        issueRegistrationAccessToken: true,
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId !== client.clientId) {
            logger.info(`IdP: refused to revoke a token of another client (caller ${client.clientId})`);
            return false;
          }
          const kind = token.kind === 'RefreshToken' ? 'refresh token' : token.kind === 'AccessToken' ? 'access token' : token.kind;
          const accountId = (token as { accountId?: string }).accountId;
          logger.info(`IdP: revoked ${kind}${accountId ? ` of ${accountId}` : ''} for ${client.clientId}`);
          return true;
        },
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId || client.clientAuthMethod !== 'none',
      },
      resourceIndicators: {
        enabled: true,
        // Authorization request without `resource`: use the default audience. With several candidates: the first.
        defaultResource: async (_ctx, _client, oneOf) => (oneOf && oneOf.length ? oneOf[0] : fallbackAudience),
        // Token requests (code exchange and refresh) may omit the resource: the granted one is used.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator): Promise<ResourceServer> => {
          if (!isHttpUri(resourceIndicator)) {
            throw new errors.InvalidTarget('resource indicator must be an absolute http(s) URI without a fragment');
          }
          return {
            scope: RESOURCE_SERVER_SCOPE,
            audience: resourceIndicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: accessTtl,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  };

  const provider: ProviderType = new Provider(issuer, configuration);

  // ---- logging: one line per interesting event, never a token value ----
  // (loosely typed: @types/oidc-provider's event map lacks some of the events oidc-provider emits)
  const events = provider as unknown as EventEmitter;
  events.on('error', (err: Error) => logger.error(`IdP: ${err.message}`));
  events.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    logger.error(`IdP: internal error on ${ctx.method} ${ctx.path}: ${err.message}`);
  });
  events.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const at = ctx.oidc.entities.AccessToken as { accountId?: string; clientId?: string; aud?: string | string[] } | undefined;
    const body = ctx.body as Record<string, unknown> | undefined;
    const gty = String(ctx.oidc.params?.grant_type ?? 'unknown grant');
    const aud = Array.isArray(at?.aud) ? at?.aud.join(' ') : at?.aud;
    logger.info(
      `IdP: issued access token for ${at?.accountId ?? '?'} to ${at?.clientId ?? ctx.oidc.client?.clientId ?? '?'} (aud ${aud ?? '?'}, ${gty}${body && 'refresh_token' in body ? ', with refresh token' : ''})`,
    );
  });
  events.on('registration_create.success', (_ctx: KoaContextWithOIDC, client: { clientId: string; redirectUris?: string[] }) => {
    logger.info(`IdP: registered client ${client.clientId} (redirect_uris ${(client.redirectUris ?? []).join(' ') || 'none'})`);
  });
  events.on('registration_update.success', (_ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    logger.info(`IdP: updated client ${client.clientId}`);
  });
  events.on('registration_delete.success', (_ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    logger.info(`IdP: deleted client ${client.clientId}`);
  });
  const refusals: Array<[string, string]> = [
    ['authorization.error', 'authorization request'],
    ['grant.error', 'token request'],
    ['registration_create.error', 'client registration'],
    ['registration_read.error', 'client read'],
    ['registration_update.error', 'client update'],
    ['registration_delete.error', 'client deletion'],
    ['revocation.error', 'revocation'],
    ['introspection.error', 'introspection'],
    ['userinfo.error', 'userinfo request'],
  ];
  for (const [event, label] of refusals) {
    events.on(event, (_ctx: KoaContextWithOIDC, err: { error?: string; error_description?: string; message?: string }) => {
      logger.info(`IdP: refused ${label}: ${err.error ?? 'error'}${err.error_description ? ` (${err.error_description})` : ''}`);
    });
  }

  // oidc-provider drops `offline_access` from an authorization request unless it carries prompt=consent (OIDC Core
  // §11). The sandbox treats asking for offline_access as asking for consent (native clients are shown the consent
  // step on every authorization anyway), so clients get a refresh token without having to send prompt=consent.
  // prompt=none is left alone: no consent is possible then, and offline_access is dropped as the spec says.
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/auth' && ctx.querystring) {
      const query = new URLSearchParams(ctx.querystring);
      const scope = query.get('scope');
      if (scope && scope.split(' ').includes('offline_access') && query.getAll('prompt').length <= 1) {
        const prompts = new Set((query.get('prompt') ?? '').split(' ').filter(Boolean));
        if (!prompts.has('consent') && !prompts.has('none')) {
          prompts.add('consent');
          query.set('prompt', [...prompts].join(' '));
          ctx.querystring = query.toString();
        }
      }
    }
    await next();
  });

  const callback = provider.callback();

  // ---- interactions: sign-in and consent ----
  async function finishLogin(req: IncomingMessage, res: ServerResponse, user: SandboxUser, how: string) {
    logger.info(`IdP: login ${user.username} (${how})`);
    await provider.interactionFinished(req, res, { login: { accountId: user.username, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
  }

  async function finishConsent(req: IncomingMessage, res: ServerResponse, details: Interaction, how: string) {
    const accountId = details.session?.accountId;
    const clientId = String(details.params.client_id);
    if (!accountId) throw new Error('consent without a signed-in user');
    const d = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId });
    if (d.missingOIDCScope?.length) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims?.length) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const resources = Object.keys(d.missingResourceScopes ?? {});
    logger.info(
      `IdP: consent ${accountId} -> ${clientId} (${how}; scopes ${String(details.params.scope ?? '') || 'none'}${resources.length ? `; resource ${resources.join(' ')}` : ''})`,
    );
    const consent: { grantId?: string } = {};
    if (!details.grantId) consent.grantId = grantId;
    await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }

  async function clientLabel(clientId: string): Promise<string> {
    const client = await provider.Client.find(clientId);
    const name = client?.metadata().client_name;
    return typeof name === 'string' && name ? name : clientId;
  }

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined) {
    let details: Interaction;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      logger.info(`IdP: interaction ${uid} not found (${(err as Error).message})`);
      sendHtml(res, 400, errorPage({
        title: 'Sign-in session expired',
        error: 'invalid_request',
        description: 'This sign-in page is no longer valid (its cookie is missing or expired). Start the sign-in again from your application.',
      }));
      return;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage({ title: 'Sign-in session mismatch', error: 'invalid_request', description: 'This page belongs to another sign-in. Start the sign-in again from your application.' }));
      return;
    }
    const prompt = details.prompt.name;
    const clientId = String(details.params.client_id);
    const method = req.method ?? 'GET';

    if (action === undefined) {
      if (method !== 'GET') return sendHtml(res, 405, errorPage({ error: 'method_not_allowed' }));
      if (prompt === 'login') {
        if (autoUser) return finishLogin(req, res, autoUser, 'auto');
        const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
        return sendHtml(res, 200, loginPage({ uid, clientId, clientName: await clientLabel(clientId), username: hint, knownUsers: [...users.keys()] }));
      }
      if (prompt === 'consent') {
        if (autoUser) return finishConsent(req, res, details, 'auto');
        const d = details.prompt.details as { missingResourceScopes?: Record<string, string[]> };
        const resources = [...new Set([...asStringList(details.params.resource), ...Object.keys(d.missingResourceScopes ?? {})])];
        return sendHtml(res, 200, consentPage({
          uid,
          clientId,
          clientName: await clientLabel(clientId),
          username: details.session?.accountId ?? '?',
          scopes: String(details.params.scope ?? '').split(' ').filter(Boolean),
          resources,
        }));
      }
      return sendHtml(res, 400, errorPage({ error: 'unsupported_prompt', description: `The sandbox cannot handle the "${prompt}" prompt.` }));
    }

    if (method !== 'POST') return sendHtml(res, 405, errorPage({ error: 'method_not_allowed', description: 'Use the form.' }));

    if (action === 'abort') {
      logger.info(`IdP: ${prompt === 'login' ? 'sign-in cancelled' : 'consent denied'} for ${clientId}`);
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
      return;
    }
    if (action === 'login') {
      if (prompt !== 'login') return sendHtml(res, 400, errorPage({ error: 'invalid_request', description: 'This sign-in step is already done.' }));
      const form = await readForm(req);
      const username = (form.get('username') ?? '').trim();
      const password = form.get('password') ?? '';
      const user = users.get(username);
      if (!user || !safeEqual(password, user.password)) {
        logger.info(`IdP: failed login for "${username}"`);
        return sendHtml(res, 401, loginPage({
          uid,
          clientId,
          clientName: await clientLabel(clientId),
          username,
          error: 'Wrong username or password.',
          knownUsers: [...users.keys()],
        }));
      }
      return finishLogin(req, res, user, 'password');
    }
    if (action === 'confirm') {
      if (prompt !== 'consent') return sendHtml(res, 400, errorPage({ error: 'invalid_request', description: 'Nothing to confirm at this step.' }));
      return finishConsent(req, res, details, 'form');
    }
    return sendHtml(res, 404, errorPage({ error: 'not_found' }));
  }

  const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?\/?$/;
  let closed = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (closed) {
      sendHtml(res, 503, errorPage({ error: 'unavailable', description: 'The sandbox identity provider is stopped.' }));
      return;
    }
    const path = new URL(req.url ?? '/', 'http://sandbox.invalid').pathname;
    const m = INTERACTION.exec(path);
    if (m) return interaction(req, res, m[1]!, m[2]);
    await callback(req, res);
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/jwks`,
    handler(req, res) {
      handle(req, res).catch((err: unknown) => {
        logger.error(`IdP: ${req.method} ${req.url?.split('?')[0]} failed: ${(err as Error)?.message ?? String(err)}`);
        if (!res.headersSent) sendHtml(res, 500, errorPage({ error: 'server_error', description: 'The sandbox identity provider failed; see its log.' }));
        else res.end();
      });
    },
    async close() {
      closed = true;
      store.clear();
    },
  };
}

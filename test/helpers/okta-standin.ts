/**
 * A local stand-in for an Okta org, for the Okta adapter's tests. It keeps state (apps, assignments, access
 * policies and rules, custom claims and scopes of the authorization servers, group memberships, tokens) and checks EVERY request against Okta's published contract:
 * ../shared/specs/okta-management.yaml for /api/v1/* and okta-oauth.yaml for /oauth2/*:
 *   - the path and method exist in the spec (else 404 / 405, like Okta);
 *   - every query parameter is declared by the operation, with the declared type;
 *   - the body matches the operation's request schema: required fields, types, enums, lengths, no unknown or
 *     read-only properties (discriminators such as Application.signOnMode followed);
 *   - the credential: `SSWS <token>`, or a service-app access token (private_key_jwt at /oauth2/v1/token,
 *     DPoP-bound when the app requires it) that carries one of the operation's OAuth scopes (.manage covers .read);
 *   - what Okta documents beyond the schemas (token_endpoint_auth_method none needs pkce_required, a web app
 *     needs a secret, an active app cannot be deleted, rule lifetimes within Okta's ranges, policy clients exist;
 *     claim and scope names unique per server, a GROUPS claim needs a group filter, reserved claim names and okta.*
 *     scopes refused, system claims and scopes cannot be changed or deleted).
 * Access tokens it mints carry the server's custom access-token claims: a GROUPS claim lists the user's groups that
 * its filter admits (EQUALS / STARTS_WITH / CONTAINS case-insensitive, REGEX case-sensitive), as Okta does.
 * Each breach is answered as Okta would (400/401/403/404) AND recorded in `violations`, so a test fails even when
 * the adapter swallows the error. The stand-in's own answers are checked against the response schemas too.
 *
 * The specs are loaded once per process (about 0.5 s for the 3.4 MB management spec).
 */
import { specPath } from './specs.js';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';


// ---------------------------------------------------------------------------------------------------------
// The contract: OpenAPI documents and a validator for the parts of OpenAPI 3.0 they use
// ---------------------------------------------------------------------------------------------------------

type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
  items?: Schema;
  additionalProperties?: boolean | Schema;
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
  nullable?: boolean;
  readOnly?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
};

interface Operation {
  parameters?: Schema[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses: Record<string, Schema & { content?: Record<string, { schema?: Schema }> }>;
  security?: Array<Record<string, string[]>>;
}

interface Doc {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema>; parameters?: Record<string, Schema>; responses?: Record<string, Schema> };
}

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  item: Record<string, unknown>;
  literals: number;
}

interface Spec {
  doc: Doc;
  routes: Route[];
}

let specsLoaded: { mgmt: Spec; oauth: Spec } | undefined;

function loadSpec(file: string): Spec {
  const require = createRequire(import.meta.url);
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const doc = yaml.load(readFileSync(specPath(file), 'utf8')) as Doc;
  const routes = Object.entries(doc.paths).map(([template, item]) => {
    const names: string[] = [];
    const regex = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    return { template, regex, names, item, literals: template.split('/').filter((s) => s && !s.startsWith('{')).length };
  });
  routes.sort((a, b) => b.literals - a.literals);
  return { doc, routes };
}

/** Both Okta specs, parsed once per process. */
export function oktaSpecs(): { mgmt: Spec; oauth: Spec } {
  specsLoaded ??= { mgmt: loadSpec('okta-management.yaml'), oauth: loadSpec('okta-oauth.yaml') };
  return specsLoaded;
}

function pointer(doc: Doc, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
  let cur: unknown = doc;
  for (const part of ref.slice(2).split('/')) cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (!cur) throw new Error(`unresolved $ref ${ref}`);
  return cur as Schema;
}

function deref(doc: Doc, s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let i = 0; cur?.$ref && i < 20; i++) cur = pointer(doc, cur.$ref);
  return cur;
}

type Mode = 'request' | 'response';
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Validator {
  constructor(private readonly doc: Doc) {}

  private isObjectSchema(s: Schema | undefined, depth = 0): boolean {
    const d = deref(this.doc, s);
    if (!d || depth > 30) return false;
    return d.type === 'object' || d.properties !== undefined || (d.allOf ?? []).some((m) => this.isObjectSchema(m, depth + 1));
  }

  isReadOnly(s: Schema | undefined, depth = 0): boolean {
    if (!s || depth > 30) return false;
    if (s.readOnly) return true;
    const d = deref(this.doc, s);
    if (!d) return false;
    return Boolean(d.readOnly) || (d.allOf ?? []).some((m) => this.isReadOnly(m, depth + 1));
  }

  private isNullable(s: Schema | undefined, depth = 0): boolean {
    const d = deref(this.doc, s);
    if (!d || depth > 30) return false;
    return Boolean(d.nullable) || (d.allOf ?? []).some((m) => this.isNullable(m, depth + 1));
  }

  /** Properties, required names and openness of an object schema, following allOf and discriminators. */
  private shape(schema: Schema, value: Record<string, unknown>): { props: Record<string, Schema>; required: Set<string>; open: boolean; extra?: Schema } {
    const out = { props: {} as Record<string, Schema>, required: new Set<string>(), open: false, extra: undefined as Schema | undefined };
    const skip = new Set<Schema>();
    const visit = (raw: Schema, depth: number) => {
      const s = deref(this.doc, raw);
      if (!s || depth > 30) return;
      if (s.discriminator && !skip.has(s)) {
        const key = String(value[s.discriminator.propertyName]);
        const mapping = s.discriminator.mapping ?? {};
        // okta-oauth.yaml's JsonWebKey maps "sig"/"enc" although it discriminates on kty: an unmapped value
        // falls back to the target named after it (kty RSA -> JsonWebKeyRsa, EC -> JsonWebKeyEC).
        const target = mapping[key] ?? Object.values(mapping).find((t) => t.toLowerCase().endsWith(key.toLowerCase()));
        if (target) {
          skip.add(s);
          visit({ $ref: target }, depth + 1);
          return;
        }
      }
      for (const [k, p] of Object.entries(s.properties ?? {})) out.props[k] = out.props[k] ? { allOf: [out.props[k]!, p] } : p;
      for (const r of s.required ?? []) out.required.add(r);
      if (s.additionalProperties === true) out.open = true;
      else if (isPlainObject(s.additionalProperties)) {
        out.open = true;
        out.extra = s.additionalProperties;
      }
      for (const m of s.allOf ?? []) visit(m, depth + 1);
    };
    visit(schema, 0);
    return out;
  }

  validate(schema: Schema | undefined, value: unknown, at: string, mode: Mode, errors: string[], depth = 0): void {
    const s = deref(this.doc, schema);
    if (!s || value === undefined || depth > 40) return;
    if (value === null) {
      if (!this.isNullable(s)) errors.push(`${at} is null, which the schema does not allow`);
      return;
    }
    const branches = s.oneOf ?? s.anyOf;
    if (branches) {
      const ok = branches.some((b) => {
        const e: string[] = [];
        this.validate(b, value, at, mode, e, depth + 1);
        return e.length === 0;
      });
      if (!ok) errors.push(`${at} matches none of the schema's alternatives`);
      if (!s.properties && !s.allOf) return;
    }
    if (this.isObjectSchema(s)) {
      if (!isPlainObject(value)) {
        errors.push(`${at} must be an object (got ${Array.isArray(value) ? 'an array' : typeof value})`);
        return;
      }
      const sh = this.shape(s, value);
      for (const r of sh.required) {
        if (value[r] !== undefined) continue;
        if (mode === 'request' && this.isReadOnly(sh.props[r])) continue;
        errors.push(`${at}.${r} is required`);
      }
      for (const [k, v] of Object.entries(value)) {
        const p = sh.props[k];
        if (p) {
          if (mode === 'request' && this.isReadOnly(p)) errors.push(`${at}.${k} is read-only`);
          else this.validate(p, v, `${at}.${k}`, mode, errors, depth + 1);
        } else if (sh.extra) this.validate(sh.extra, v, `${at}.${k}`, mode, errors, depth + 1);
        else if (!sh.open) errors.push(`${at}.${k} is not a property of this schema`);
      }
      return;
    }
    for (const m of s.allOf ?? []) this.validate(m, value, at, mode, errors, depth + 1);
    const t = s.type;
    const typeOk =
      t === undefined ||
      (t === 'string' && typeof value === 'string') ||
      (t === 'integer' && Number.isInteger(value)) ||
      (t === 'number' && typeof value === 'number') ||
      (t === 'boolean' && typeof value === 'boolean') ||
      (t === 'array' && Array.isArray(value));
    if (!typeOk) {
      errors.push(`${at} must be ${t === 'integer' || t === 'array' ? 'an' : 'a'} ${t} (got ${JSON.stringify(value)})`);
      return;
    }
    if (s.enum && !s.enum.includes(value)) errors.push(`${at} is ${JSON.stringify(value)}, not one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
    if (typeof value === 'string') {
      if (s.minLength !== undefined && value.length < s.minLength) errors.push(`${at} is shorter than ${s.minLength}`);
      if (s.maxLength !== undefined && value.length > s.maxLength) errors.push(`${at} is longer than ${s.maxLength}`);
    }
    if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum) errors.push(`${at} is below ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) errors.push(`${at} is above ${s.maximum}`);
    }
    if (Array.isArray(value) && s.items) value.forEach((x, i) => this.validate(s.items, x, `${at}[${i}]`, mode, errors, depth + 1));
  }
}

// ---------------------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------------------

export interface StandinAuthServer {
  id: string;
  name: string;
  audiences: string[];
  status: 'ACTIVE' | 'INACTIVE';
  /** Scopes known to the server (system scopes by default). */
  scopes: string[];
}

export interface StandinServiceApp {
  clientId: string;
  /** Public key registered on the app (private_key_jwt). */
  publicJwk: JWK;
  /** Okta API scopes granted to the app. */
  scopes: string[];
  requireDpop?: boolean;
}

export interface StandinOptions {
  /** The SSWS token accepted (default: a random one, see `apiToken`). */
  apiToken?: string;
  serviceApps?: StandinServiceApp[];
  /** `groups`: names of the groups the user is a member of (created when not in `groups`). */
  users?: Array<{ id?: string; login: string; status?: string; groups?: string[] }>;
  groups?: Array<{ id?: string; name: string }>;
  /** Default: `default` with audience api://default. */
  authServers?: Array<Partial<StandinAuthServer> & { id: string }>;
}

export interface Call {
  seq: number;
  method: string;
  path: string;
  status: number;
  auth: 'ssws' | 'bearer' | 'dpop' | 'none' | 'client';
  body?: unknown;
}

export interface FailRule {
  method: string;
  path: RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests fail (default 1). */
  times?: number;
}

type Json = Record<string, unknown>;

export interface OktaStandin {
  orgUrl: string;
  apiToken: string;
  apps: Map<string, Json>;
  /** appId -> userId -> AppUser */
  appUsers: Map<string, Map<string, Json>>;
  /** appId -> groupId -> assignment */
  appGroups: Map<string, Map<string, Json>>;
  /** policyId -> policy (+ authServerId) */
  policies: Map<string, Json & { authServerId: string }>;
  /** ruleId -> rule (+ policyId) */
  rules: Map<string, Json & { policyId: string }>;
  authServers: Map<string, StandinAuthServer>;
  /** claimId -> custom claim (+ authServerId) */
  claims: Map<string, Json & { authServerId: string }>;
  /** scopeId -> scope, system and custom (+ authServerId) */
  scopes: Map<string, Json & { authServerId: string }>;
  users: Map<string, Json>;
  /** userId -> ids of the groups the user is a member of */
  memberships: Map<string, Set<string>>;
  groups: Map<string, Json>;
  /** Every request, in order. */
  calls: Call[];
  /** Every breach of the contract seen so far (requests, and the stand-in's own responses). */
  violations: string[];
  /** Tokens revoked at /oauth2/{as}/v1/revoke. */
  revoked: Set<string>;
  issuer(authServerId?: string): string;
  failNext(rule: FailRule): void;
  /** An access token shaped and signed like Okta's for this authorization server. */
  mintAccessToken(o: { clientId: string; authServerId?: string; sub?: string; scopes?: string[]; claims?: Json }): Promise<string>;
  /** An opaque refresh token for this client (revocable). */
  issueRefreshToken(clientId: string, authServerId?: string): string;
  close(): Promise<void>;
}

const okta = (prefix: string) => `${prefix}${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 17)}`;
const now = () => new Date().toISOString();
const SYSTEM_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'device_sso'];
const CLIENT_AUTH_FIELDS: Schema = {
  type: 'object',
  properties: {
    client_id: { type: 'string' },
    client_secret: { type: 'string' },
    client_assertion: { type: 'string' },
    client_assertion_type: { type: 'string', enum: ['urn:ietf:params:oauth:client-assertion-type:jwt-bearer'] },
  },
};

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

function oktaError(status: number, code: string, summary: string, causes: string[] = [], headers: Record<string, string> = {}): HttpAnswer {
  return new HttpAnswer(status, { errorCode: code, errorSummary: summary, errorLink: code, errorId: `oae${randomBytes(8).toString('hex')}`, errorCauses: causes.map((c) => ({ errorSummary: c })) }, headers);
}

const oauthError = (status: number, error: string, description: string, headers: Record<string, string> = {}) => new HttpAnswer(status, { error, error_description: description }, headers);

export async function startOktaStandin(options: StandinOptions = {}): Promise<OktaStandin> {
  const specs = oktaSpecs();
  const mgmtV = new Validator(specs.mgmt.doc);
  const oauthV = new Validator(specs.oauth.doc);
  const apiToken = options.apiToken ?? `00${randomBytes(20).toString('base64url')}`;
  const failRules: FailRule[] = [];
  const adminTokens = new Map<string, { clientId: string; scopes: Set<string>; jkt?: string; exp: number }>();
  const seenJti = new Set<string>();
  const dpopNonce = randomBytes(12).toString('base64url');
  const issuedTokens = new Map<string, { clientId: string; authServerId: string }>();
  const asKeys = new Map<string, { privateKey: CryptoKey; jwk: JWK }>();

  const st: OktaStandin = {
    orgUrl: '',
    apiToken,
    apps: new Map(),
    appUsers: new Map(),
    appGroups: new Map(),
    policies: new Map(),
    rules: new Map(),
    authServers: new Map(),
    claims: new Map(),
    scopes: new Map(),
    users: new Map(),
    memberships: new Map(),
    groups: new Map(),
    calls: [],
    violations: [],
    revoked: new Set(),
    issuer: (id = 'default') => `${st.orgUrl}/oauth2/${id}`,
    failNext: (rule) => void failRules.push({ times: 1, ...rule }),
    async mintAccessToken(o) {
      const asId = o.authServerId ?? 'default';
      const as = st.authServers.get(asId);
      if (!as) throw new Error(`no authorization server ${asId}`);
      const key = await keyFor(asId);
      const iat = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({
        ver: 1,
        jti: `AT.${randomBytes(16).toString('base64url')}`,
        iss: st.issuer(asId),
        aud: as.audiences[0],
        iat,
        exp: iat + 3600,
        cid: o.clientId,
        uid: okta('00u'),
        scp: o.scopes ?? ['openid', 'profile', 'email', 'offline_access'],
        auth_time: iat - 5,
        sub: o.sub ?? 'jane@example.com',
        ...customClaims(asId, o.sub ?? 'jane@example.com', o.scopes ?? ['openid', 'profile', 'email', 'offline_access']),
        ...o.claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: key.jwk.kid! })
        .sign(key.privateKey);
      issuedTokens.set(token, { clientId: o.clientId, authServerId: asId });
      return token;
    },
    issueRefreshToken(clientId, authServerId = 'default') {
      const t = randomBytes(32).toString('base64url');
      issuedTokens.set(t, { clientId, authServerId });
      return t;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  for (const a of options.authServers ?? [{ id: 'default' }]) {
    st.authServers.set(a.id, { name: a.id === 'default' ? 'default' : a.id, audiences: ['api://default'], status: 'ACTIVE', scopes: SYSTEM_SCOPES, ...a });
  }
  for (const u of options.users ?? []) {
    const id = u.id ?? okta('00u');
    st.users.set(id, { id, status: u.status ?? 'ACTIVE', created: now(), lastUpdated: now(), profile: { login: u.login, email: u.login, firstName: 'Test', lastName: 'User' }, _links: { self: { href: '' } } });
  }
  for (const s of st.authServers.values()) {
    for (const name of s.scopes) {
      const id = okta('scp');
      const system = SYSTEM_SCOPES.includes(name);
      st.scopes.set(id, { id, name, displayName: name, description: system ? `Okta system scope ${name}` : name, system, default: false, consent: 'IMPLICIT', optional: false, metadataPublish: 'ALL_CLIENTS', _links: { self: { href: `/api/v1/authorizationServers/${s.id}/scopes/${id}` } }, authServerId: s.id });
    }
  }
  st.groups.set('00geveryone0000000x1', { id: '00geveryone0000000x1', type: 'BUILT_IN', created: now(), lastUpdated: now(), lastMembershipUpdated: now(), objectClass: ['okta:user_group'], profile: { name: 'Everyone', description: 'All users in your organization' }, _links: {} });
  for (const g of options.groups ?? []) {
    const id = g.id ?? okta('00g');
    st.groups.set(id, { id, type: 'OKTA_GROUP', created: now(), lastUpdated: now(), lastMembershipUpdated: now(), objectClass: ['okta:user_group'], profile: { name: g.name, description: '' }, _links: {} });
  }
  for (const u of options.users ?? []) {
    const user = [...st.users.values()].find((x) => (x.profile as Json).login === u.login)!;
    const mine = new Set<string>(['00geveryone0000000x1']);
    for (const name of u.groups ?? []) {
      let g = [...st.groups.values()].find((x) => (x.profile as Json).name === name);
      if (!g) {
        const id = okta('00g');
        g = { id, type: 'OKTA_GROUP', created: now(), lastUpdated: now(), lastMembershipUpdated: now(), objectClass: ['okta:user_group'], profile: { name, description: '' }, _links: {} };
        st.groups.set(id, g);
      }
      mine.add(String(g.id));
    }
    st.memberships.set(String(user.id), mine);
  }

  /** Okta's group filter semantics (Management API, OAuth2ClaimGroupFilterType). */
  function groupFilterAdmits(type: unknown, value: string, name: string): boolean {
    switch (type) {
      case 'EQUALS':
        return name.toLowerCase() === value.toLowerCase();
      case 'STARTS_WITH':
        return name.toLowerCase().startsWith(value.toLowerCase());
      case 'CONTAINS':
        return name.toLowerCase().includes(value.toLowerCase());
      case 'REGEX':
        // Okta matches the whole name (Java's Pattern.matches).
        return new RegExp(`^(?:${value})$`).test(name);
      default:
        return false;
    }
  }

  /** The server's active custom access-token claims for this user (GROUPS claims; EXPRESSION claims are not modelled). */
  function customClaims(asId: string, sub: string, scopes: string[]): Json {
    const out: Json = {};
    const user = [...st.users.values()].find((x) => (x.profile as Json).login === sub || x.id === sub);
    const groupNames = [...(user ? (st.memberships.get(String(user.id)) ?? []) : [])].map((id) => String((st.groups.get(id)?.profile as Json | undefined)?.name));
    for (const c of st.claims.values()) {
      if (c.authServerId !== asId || c.claimType !== 'RESOURCE' || c.status !== 'ACTIVE' || c.valueType !== 'GROUPS') continue;
      const only = ((c.conditions as Json | undefined)?.scopes as string[] | undefined) ?? [];
      if (only.length && !only.some((x) => scopes.includes(x))) continue;
      const admitted = groupNames.filter((n) => groupFilterAdmits(c.group_filter_type, String(c.value), n));
      // Okta leaves a groups claim out when none of the user's groups passes the filter.
      if (admitted.length) out[String(c.name)] = admitted;
    }
    return out;
  }

  async function keyFor(asId: string) {
    let k = asKeys.get(asId);
    if (!k) {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
      k = { privateKey: privateKey as CryptoKey, jwk };
      asKeys.set(asId, k);
    }
    return k;
  }

  const violation = (msg: string) => st.violations.push(msg);

  // --- request plumbing ------------------------------------------------------------------------------------

  interface Req {
    method: string;
    path: string;
    query: URLSearchParams;
    params: Record<string, string>;
    headers: IncomingMessage['headers'];
    body: unknown;
    op: Operation;
    template: string;
    spec: 'mgmt' | 'oauth';
    auth: Call['auth'];
  }

  function findRoute(spec: Spec, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of spec.routes) {
      const m = route.regex.exec(path);
      if (m) return { route, params: Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
    }
    return undefined;
  }

  function checkQuery(v: Validator, doc: Doc, route: Route, op: Operation, query: URLSearchParams, where: string): string[] {
    const errs: string[] = [];
    const declared = new Map<string, Schema>();
    for (const p of [...((route.item.parameters as Schema[] | undefined) ?? []), ...(op.parameters ?? [])]) {
      const d = deref(doc, p) as Schema & { name?: string; in?: string; schema?: Schema };
      if (d?.in === 'query' && d.name) declared.set(d.name, d.schema ?? {});
    }
    for (const [k, raw] of query) {
      const schema = declared.get(k);
      if (!schema) {
        errs.push(`${where}: query parameter "${k}" is not declared by the operation`);
        continue;
      }
      const s = deref(doc, schema)!;
      let value: unknown = raw;
      if (s.type === 'boolean') value = raw === 'true' ? true : raw === 'false' ? false : raw;
      else if (s.type === 'integer') value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
      v.validate(s, value, `query ${k}`, 'request', errs);
    }
    return errs;
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  function send(res: ServerResponse, a: HttpAnswer): void {
    const headers: Record<string, string> = { ...a.headers };
    if (a.body !== undefined) headers['content-type'] = 'application/json';
    res.writeHead(a.status, headers);
    res.end(a.body === undefined ? undefined : JSON.stringify(a.body));
  }

  function checkResponse(v: Validator, doc: Doc, op: Operation, a: HttpAnswer, where: string): void {
    const r = deref(doc, op.responses[String(a.status)]) as (Schema & { content?: Record<string, { schema?: Schema }> }) | undefined;
    if (!r) {
      violation(`stand-in answered ${where} with HTTP ${a.status}, which the spec does not list`);
      return;
    }
    const schema = r.content?.['application/json']?.schema;
    if (!schema || a.body === undefined) return;
    const errs: string[] = [];
    v.validate(schema, a.body, 'response', 'response', errs);
    // The one documented divergence: okta-oauth.yaml lists token_type Bearer | N_A, but Okta answers "DPoP" for
    // DPoP-bound tokens (developer.okta.com, "Configure OAuth 2.0 Demonstrating Proof-of-Possession").
    for (const e of errs) if (!/^response\.token_type is "DPoP"/.test(e)) violation(`stand-in response to ${where}: ${e}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', st.orgUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    const where = `${method} ${url.pathname}`;
    const text = await readBody(req);
    const record = (status: number, auth: Call['auth'], body?: unknown) => st.calls.push({ seq: st.calls.length + 1, method, path: url.pathname, status, auth, ...(body !== undefined ? { body } : {}) });

    const specName = url.pathname.startsWith('/api/') ? 'mgmt' : 'oauth';
    const spec = specs[specName];
    const v = specName === 'mgmt' ? mgmtV : oauthV;
    const found = findRoute(spec, url.pathname);
    if (!found) {
      violation(`${where}: no such path in the ${specName === 'mgmt' ? 'Management' : 'OAuth'} API spec`);
      record(404, 'none');
      return send(res, oktaError(404, 'E0000007', `Not found: Resource not found: ${url.pathname} (GET)`));
    }
    const op = found.route.item[method.toLowerCase()] as Operation | undefined;
    if (!op) {
      violation(`${where}: the spec has no ${method} for ${found.route.template}`);
      record(405, 'none');
      return send(res, oktaError(405, 'E0000022', 'The endpoint does not support the provided HTTP method'));
    }
    const errs = checkQuery(v, spec.doc, found.route, op, url.searchParams, where);

    // Body: JSON for the Management API, a form for the OAuth endpoints.
    let body: unknown;
    const ctype = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const declared = op.requestBody?.content;
    if (text) {
      if (!declared) errs.push(`${where}: the operation takes no request body`);
      else if (ctype === 'application/json' && declared['application/json']) {
        try {
          body = JSON.parse(text);
        } catch {
          errs.push(`${where}: the body is not JSON`);
        }
      } else if (ctype === 'application/x-www-form-urlencoded' && declared['application/x-www-form-urlencoded']) {
        body = Object.fromEntries(new URLSearchParams(text));
      } else errs.push(`${where}: content-type ${ctype || '(none)'} is not one the operation accepts (${Object.keys(declared).join(', ')})`);
    } else if (op.requestBody?.required) errs.push(`${where}: a request body is required`);
    if (body !== undefined && declared) {
      const schema = (declared['application/json'] ?? declared['application/x-www-form-urlencoded'])?.schema;
      const full = ctype === 'application/x-www-form-urlencoded' ? { allOf: [schema!, CLIENT_AUTH_FIELDS] } : schema;
      v.validate(full, body, 'body', 'request', errs);
    }

    // Failure injection (after the contract check: a test's forced failure never hides a malformed request).
    const rule = failRules.find((r) => r.method === method && r.path.test(url.pathname));
    if (rule && errs.length === 0) {
      if (--rule.times! <= 0) failRules.splice(failRules.indexOf(rule), 1);
      record(rule.status, 'none', body);
      return send(res, new HttpAnswer(rule.status, rule.body ?? (rule.status === 429 ? { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' } : undefined), rule.headers));
    }

    let auth: Call['auth'] = 'none';
    if (specName === 'mgmt') {
      const a = await authorizeMgmt(req, method, url, op);
      auth = a.kind;
      if (a.answer) {
        for (const e of errs) violation(e);
        record(a.answer.status, auth, body);
        return send(res, a.answer);
      }
    }
    if (errs.length) {
      for (const e of errs) violation(e);
      record(400, auth, body);
      return send(res, specName === 'mgmt' ? oktaError(400, 'E0000001', 'Api validation failed', errs) : oauthError(400, 'invalid_request', errs.join('; ')));
    }
    const r: Req = { method, path: url.pathname, query: url.searchParams, params: found.params, headers: req.headers, body, op, template: found.route.template, spec: specName, auth };
    let answer: HttpAnswer;
    try {
      answer = await dispatch(r);
    } catch (err) {
      answer = err instanceof HttpAnswer ? err : oktaError(500, 'E0000009', `stand-in error: ${(err as Error).message}`);
    }
    if (answer.status === 400 && specName === 'mgmt') {
      const b = answer.body as { errorCauses?: Array<{ errorSummary: string }>; errorSummary?: string };
      violation(`${where}: refused: ${b.errorSummary}${b.errorCauses?.length ? `: ${b.errorCauses.map((c) => c.errorSummary).join('; ')}` : ''}`);
    }
    checkResponse(v, spec.doc, op, answer, `${where}`);
    record(answer.status, r.auth, body);
    send(res, answer);
  }

  // --- admin credentials -----------------------------------------------------------------------------------

  async function verifyDpop(headers: IncomingMessage['headers'], method: string, htu: string, o: { nonce?: boolean; token?: string }): Promise<{ jkt: string } | HttpAnswer> {
    const proof = headers.dpop;
    if (typeof proof !== 'string') return oauthError(400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.');
    try {
      const h = decodeProtectedHeader(proof);
      if (h.typ !== 'dpop+jwt' || !h.jwk || !h.alg) return oauthError(400, 'invalid_dpop_proof', 'DPoP proof: typ must be dpop+jwt with an alg and a public jwk.');
      if ('d' in h.jwk) return oauthError(400, 'invalid_dpop_proof', 'DPoP proof: the jwk holds a private key.');
      const { payload } = await jwtVerify(proof, await importJWK(h.jwk, h.alg), { maxTokenAge: '60s', clockTolerance: 5 });
      if (payload.htm !== method || payload.htu !== htu) return oauthError(400, 'invalid_dpop_proof', `DPoP proof: htm/htu are ${String(payload.htm)} ${String(payload.htu)}, not ${method} ${htu}.`);
      if (!payload.jti || seenJti.has(payload.jti)) return oauthError(400, 'invalid_dpop_proof', 'DPoP proof: jti missing or reused.');
      seenJti.add(payload.jti);
      if (o.nonce && payload.nonce !== dpopNonce) {
        return oauthError(400, 'use_dpop_nonce', 'Authorization server requires nonce in DPoP proof.', { 'DPoP-Nonce': dpopNonce });
      }
      if (o.token) {
        const ath = createHash('sha256').update(o.token).digest('base64url');
        if (payload.ath !== ath) return oauthError(401, 'invalid_dpop_proof', 'DPoP proof: ath does not match the access token.');
      }
      return { jkt: await calculateJwkThumbprint(h.jwk) };
    } catch (err) {
      return oauthError(400, 'invalid_dpop_proof', `DPoP proof: ${(err as Error).message}`);
    }
  }

  async function authorizeMgmt(req: IncomingMessage, method: string, url: URL, op: Operation): Promise<{ kind: Call['auth']; answer?: HttpAnswer }> {
    const h = String(req.headers.authorization ?? '');
    const [scheme, value] = [h.split(' ')[0] ?? '', h.slice(h.indexOf(' ') + 1)];
    if (scheme === 'SSWS') {
      if (!op.security?.some((s) => 'apiToken' in s)) return { kind: 'ssws', answer: oktaError(403, 'E0000006', 'You do not have permission to perform the requested action') };
      return value === apiToken ? { kind: 'ssws' } : { kind: 'ssws', answer: oktaError(401, 'E0000011', 'Invalid token provided') };
    }
    if (scheme === 'Bearer' || scheme === 'DPoP') {
      const kind = scheme === 'Bearer' ? 'bearer' : 'dpop';
      const t = adminTokens.get(value);
      if (!t || t.exp < Date.now()) return { kind, answer: oktaError(401, 'E0000011', 'Invalid token provided', [], { 'WWW-Authenticate': `${scheme} error="invalid_token"` }) };
      if (t.jkt) {
        if (scheme !== 'DPoP') return { kind, answer: oktaError(400, 'E0000001', 'The access token is DPoP-bound: use the DPoP scheme with a proof') };
        const d = await verifyDpop(req.headers, method, `${url.origin}${url.pathname}`, { token: value });
        if (d instanceof HttpAnswer) return { kind, answer: d };
        if (d.jkt !== t.jkt) return { kind, answer: oktaError(401, 'E0000011', 'DPoP proof key does not match the token') };
      } else if (scheme === 'DPoP') return { kind, answer: oktaError(401, 'E0000011', 'Not a DPoP-bound token') };
      const needed = op.security?.flatMap((s) => s.oauth2 ?? []) ?? [];
      const has = (s: string) => t.scopes.has(s) || (s.endsWith('.read') && t.scopes.has(s.replace(/\.read$/, '.manage')));
      if (!needed.some(has)) {
        return { kind, answer: oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', [], { 'WWW-Authenticate': `${scheme} error="insufficient_scope", scope="${needed.join(' ')}"` }) };
      }
      return { kind };
    }
    return { kind: 'none', answer: oktaError(401, 'E0000011', 'Invalid token provided') };
  }

  // --- operations ------------------------------------------------------------------------------------------

  const links = (href: string) => ({ self: { href: `${st.orgUrl}${href}` } });
  const appView = (a: Json) => a;
  const notFound = (what: string) => oktaError(404, 'E0000007', `Not found: Resource not found: ${what} (${what.split(' ')[0]})`);

  function semanticApp(b: Json): string[] {
    const e: string[] = [];
    if (b.signOnMode !== 'OPENID_CONNECT') return ['the stand-in models OPENID_CONNECT apps only'];
    const cred = ((b.credentials as Json)?.oauthClient ?? {}) as Json;
    const set = ((b.settings as Json)?.oauthClient ?? {}) as Json;
    const auth = (cred.token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic';
    const type = set.application_type as string | undefined;
    const grants = (set.grant_types as string[] | undefined) ?? [];
    const redirects = (set.redirect_uris as string[] | undefined) ?? [];
    const responses = (set.response_types as string[] | undefined) ?? [];
    if (auth === 'none' && cred.pkce_required === false) e.push('credentials.oauthClient.pkce_required must be true when token_endpoint_auth_method is none');
    if (auth === 'none' && (type === 'web' || type === 'service')) e.push(`settings.oauthClient.application_type ${type} needs client authentication (a secret or a key), not "none"`);
    if ((type === 'native' || type === 'browser') && auth !== 'none') e.push(`a ${type} app is a public client: token_endpoint_auth_method must be none`);
    if (grants.includes('authorization_code') && !redirects.length) e.push('settings.oauthClient.redirect_uris is required with the authorization_code grant');
    if (grants.includes('authorization_code') && !responses.includes('code')) e.push('settings.oauthClient.response_types must include code with the authorization_code grant');
    if (grants.includes('refresh_token') && !grants.some((g) => g === 'authorization_code' || g === 'password' || g === 'urn:ietf:params:oauth:grant-type:device_code')) {
      e.push('the refresh_token grant needs a grant that issues refresh tokens (authorization_code)');
    }
    if (set.refresh_token && !grants.includes('refresh_token')) e.push('settings.oauthClient.refresh_token needs the refresh_token grant');
    for (const u of redirects) {
      try {
        const p = new URL(u);
        if (p.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(p.hostname)) e.push(`redirect URI ${u}: http is only allowed on loopback`);
      } catch {
        if (!/^[a-z][a-z0-9+.-]*:\//.test(u)) e.push(`redirect URI ${u} is not a URI`);
      }
    }
    return e;
  }

  function semanticRule(asId: string, b: Json): string[] {
    const e: string[] = [];
    const tok = ((b.actions as Json | undefined)?.token ?? {}) as Record<string, number | undefined>;
    const access = tok.accessTokenLifetimeMinutes;
    const life = tok.refreshTokenLifetimeMinutes;
    const window = tok.refreshTokenWindowMinutes;
    if (access !== undefined && (access < 5 || access > 1440)) e.push(`actions.token.accessTokenLifetimeMinutes must be from 5 to 1440 (got ${access})`);
    if (window !== undefined && (window < 10 || window > 2_628_000)) e.push(`actions.token.refreshTokenWindowMinutes must be from 10 to 2628000 (got ${window})`);
    if (life !== undefined && life !== 0 && window !== undefined && life < window) e.push('actions.token.refreshTokenLifetimeMinutes must be 0 (unlimited) or at least refreshTokenWindowMinutes');
    if (life !== undefined && life !== 0 && access !== undefined && life < access) e.push('actions.token.refreshTokenLifetimeMinutes must be at least accessTokenLifetimeMinutes');
    const cond = (b.conditions ?? {}) as Json;
    const grants = ((cond.grantTypes as Json | undefined)?.include as string[] | undefined) ?? [];
    if (!grants.length) e.push('conditions.grantTypes.include must name at least one grant type');
    const grantEnum = (specs.mgmt.doc.components.schemas.GrantType!.enum ?? []) as string[];
    for (const g of grants) if (!grantEnum.includes(g)) e.push(`conditions.grantTypes.include: unknown grant type ${g}`);
    const scopes = ((cond.scopes as Json | undefined)?.include as string[] | undefined) ?? [];
    if (!scopes.length) e.push('conditions.scopes.include must name scopes (or "*")');
    for (const s of scopes) if (s !== '*' && !st.authServers.get(asId)!.scopes.includes(s)) e.push(`conditions.scopes.include: scope ${s} does not exist on authorization server ${asId}`);
    const people = (cond.people ?? {}) as Json;
    const groups = ((people.groups as Json | undefined)?.include as string[] | undefined) ?? [];
    const users = ((people.users as Json | undefined)?.include as string[] | undefined) ?? [];
    if (!groups.length && !users.length) e.push('conditions.people must include groups or users ("EVERYONE" for all)');
    for (const g of groups) if (g !== 'EVERYONE' && !st.groups.has(g)) e.push(`conditions.people.groups.include: no group ${g}`);
    for (const u of users) if (!st.users.has(u)) e.push(`conditions.people.users.include: no user ${u}`);
    return e;
  }

  /** Names Okta keeps for itself in access tokens: a custom claim cannot take them. */
  const RESERVED_CLAIMS = ['aud', 'auth_time', 'cid', 'exp', 'iat', 'iss', 'jti', 'nbf', 'scp', 'sub', 'uid', 'ver', 'amr', 'nonce', 'at_hash', 'c_hash', 'idp'];
  const claimView = ({ authServerId: _a, ...view }: Json & { authServerId: string }) => view;
  const scopeView = ({ authServerId: _a, ...view }: Json & { authServerId: string }) => view;
  const claimFields = (b: Json): Json => ({
    name: b.name,
    status: b.status ?? 'ACTIVE',
    claimType: b.claimType,
    valueType: b.valueType,
    value: b.value,
    // Okta always includes access-token claims.
    alwaysIncludeInToken: b.claimType === 'RESOURCE' ? true : (b.alwaysIncludeInToken ?? true),
    conditions: { scopes: ((b.conditions as Json | undefined)?.scopes as string[] | undefined) ?? [] },
    ...(b.valueType === 'GROUPS' ? { group_filter_type: b.group_filter_type } : {}),
  });

  function semanticClaim(asId: string, b: Json, selfId?: string): string[] {
    const e: string[] = [];
    for (const f of ['name', 'claimType', 'valueType']) if (b[f] === undefined) e.push(`${f} is required`);
    if (typeof b.value !== 'string' || !b.value) e.push('value is required');
    if (b.system === true) e.push('system cannot be set on a custom claim');
    const name = String(b.name ?? '');
    if (RESERVED_CLAIMS.includes(name)) e.push(`name "${name}" is a reserved claim`);
    if ([...st.claims.values()].some((c) => c.authServerId === asId && c.id !== selfId && c.name === name && c.claimType === b.claimType)) {
      e.push(`A claim named "${name}" for ${b.claimType === 'RESOURCE' ? 'access' : 'ID'} tokens already exists on this authorization server`);
    }
    if (b.valueType === 'GROUPS') {
      if (!b.group_filter_type) e.push('group_filter_type is required when valueType is GROUPS');
      if (b.group_filter_type === 'REGEX') {
        try {
          new RegExp(String(b.value));
        } catch {
          e.push(`value ${JSON.stringify(b.value)} is not a valid regular expression`);
        }
      }
    } else if (b.group_filter_type !== undefined) e.push('group_filter_type is only for valueType GROUPS');
    if (b.valueType === 'SYSTEM') e.push('valueType SYSTEM is Okta\'s own');
    const known = st.authServers.get(asId)!.scopes;
    for (const sc of ((b.conditions as Json | undefined)?.scopes as string[] | undefined) ?? []) if (!known.includes(sc)) e.push(`conditions.scopes: scope ${sc} does not exist on authorization server ${asId}`);
    return e;
  }

  function semanticScope(asId: string, b: Json, selfId?: string): string[] {
    const e: string[] = [];
    const name = String(b.name ?? '');
    if (!name) e.push('name is required');
    if (/^okta\./i.test(name)) e.push(`name "${name}": the okta.* scopes are reserved for Okta's APIs`);
    if (/\s/.test(name)) e.push(`name "${name}" may not contain whitespace`);
    if (b.system === true) e.push('system cannot be set on a custom scope');
    if ([...st.scopes.values()].some((x) => x.authServerId === asId && x.id !== selfId && x.name === name)) e.push(`A scope named "${name}" already exists on this authorization server`);
    return e;
  }

  const clientIds = () => new Set([...st.apps.values()].map((a) => ((a.credentials as Json).oauthClient as Json).client_id as string));

  async function dispatch(r: Req): Promise<HttpAnswer> {
    const key = `${r.method} ${r.template}`;
    const p = r.params;
    const b = (r.body ?? {}) as Json;
    const as = () => {
      const s = st.authServers.get(p.authServerId!);
      if (!s) throw notFound(`AuthorizationServer ${p.authServerId}`);
      return s;
    };
    const asView = (s: StandinAuthServer) => ({
      id: s.id,
      name: s.name,
      description: `${s.name} authorization server`,
      audiences: s.audiences,
      issuer: st.issuer(s.id),
      issuerMode: 'ORG_URL',
      status: s.status,
      created: now(),
      lastUpdated: now(),
      credentials: { signing: { rotationMode: 'AUTO', kid: 'k', use: 'sig' } },
      _links: links(`/api/v1/authorizationServers/${s.id}`),
    });
    const app = () => {
      const a = st.apps.get(p.appId!);
      if (!a) throw notFound(`App ${p.appId}`);
      return a;
    };
    const claim = () => {
      as();
      const c = st.claims.get(p.claimId!);
      if (!c || c.authServerId !== p.authServerId) throw notFound(`Claim ${p.claimId}`);
      return c;
    };
    const scope = () => {
      as();
      const sc = st.scopes.get(p.scopeId!);
      if (!sc || sc.authServerId !== p.authServerId) throw notFound(`Scope ${p.scopeId}`);
      return sc;
    };
    switch (key) {
      // authorization servers, policies, rules
      case 'GET /api/v1/authorizationServers':
        return new HttpAnswer(200, [...st.authServers.values()].map(asView));
      case 'GET /api/v1/authorizationServers/{authServerId}':
        return new HttpAnswer(200, asView(as()));
      case 'GET /api/v1/authorizationServers/{authServerId}/policies':
        as();
        return new HttpAnswer(200, [...st.policies.values()].filter((x) => x.authServerId === p.authServerId).map(({ authServerId: _a, ...view }) => view));
      case 'GET /api/v1/authorizationServers/{authServerId}/policies/{policyId}': {
        as();
        const pol = st.policies.get(p.policyId!);
        if (!pol || pol.authServerId !== p.authServerId) return notFound(`Policy ${p.policyId}`);
        const { authServerId: _a, ...view } = pol;
        return new HttpAnswer(200, view);
      }
      case 'POST /api/v1/authorizationServers/{authServerId}/policies': {
        as();
        const e: string[] = [];
        if (!b.name) e.push('name is required');
        if (b.type !== 'OAUTH_AUTHORIZATION_POLICY') e.push('type must be OAUTH_AUTHORIZATION_POLICY');
        if (!b.description) e.push('description is required');
        const include = (((b.conditions as Json | undefined)?.clients as Json | undefined)?.include as string[] | undefined) ?? [];
        if (!include.length) e.push('conditions.clients.include must name clients (or ALL_CLIENTS)');
        const known = clientIds();
        for (const c of include) if (c !== 'ALL_CLIENTS' && !known.has(c)) e.push(`conditions.clients.include: no client ${c}`);
        if ([...st.policies.values()].some((x) => x.authServerId === p.authServerId && x.name === b.name)) e.push(`a policy named "${String(b.name)}" already exists`);
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: policy', e);
        const id = okta('00p');
        const pol = { id, type: b.type, name: b.name, description: b.description, priority: b.priority ?? 1, status: b.status ?? 'ACTIVE', system: false, conditions: b.conditions, created: now(), lastUpdated: now(), _links: links(`/api/v1/authorizationServers/${p.authServerId}/policies/${id}`) } as Json;
        st.policies.set(id, { ...pol, authServerId: p.authServerId! });
        return new HttpAnswer(201, pol);
      }
      case 'DELETE /api/v1/authorizationServers/{authServerId}/policies/{policyId}': {
        as();
        const pol = st.policies.get(p.policyId!);
        if (!pol || pol.authServerId !== p.authServerId) return notFound(`Policy ${p.policyId}`);
        st.policies.delete(p.policyId!);
        for (const [rid, rule] of st.rules) if (rule.policyId === p.policyId) st.rules.delete(rid);
        return new HttpAnswer(204);
      }
      case 'POST /api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules': {
        as();
        const pol = st.policies.get(p.policyId!);
        if (!pol || pol.authServerId !== p.authServerId) return notFound(`Policy ${p.policyId}`);
        const e = semanticRule(p.authServerId!, b);
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: rule', e);
        const id = okta('0pr');
        const rule = { id, name: b.name, type: b.type, priority: b.priority ?? 1, status: b.status ?? 'ACTIVE', system: false, conditions: b.conditions, actions: b.actions, created: now(), lastUpdated: now(), _links: links(`/api/v1/authorizationServers/${p.authServerId}/policies/${p.policyId}/rules/${id}`) } as Json;
        st.rules.set(id, { ...rule, policyId: p.policyId! });
        return new HttpAnswer(201, rule);
      }
      case 'DELETE /api/v1/authorizationServers/{authServerId}/policies/{policyId}/rules/{ruleId}': {
        as();
        const rule = st.rules.get(p.ruleId!);
        if (!rule || rule.policyId !== p.policyId) return notFound(`Rule ${p.ruleId}`);
        st.rules.delete(p.ruleId!);
        return new HttpAnswer(204);
      }
      // custom claims
      case 'GET /api/v1/authorizationServers/{authServerId}/claims':
        as();
        return new HttpAnswer(200, [...st.claims.values()].filter((c) => c.authServerId === p.authServerId).map(claimView));
      case 'GET /api/v1/authorizationServers/{authServerId}/claims/{claimId}':
        return new HttpAnswer(200, claimView(claim()));
      case 'POST /api/v1/authorizationServers/{authServerId}/claims': {
        as();
        const e = semanticClaim(p.authServerId!, b);
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: claim', e);
        const id = okta('ocl');
        const c = { ...claimFields(b), id, system: false, _links: links(`/api/v1/authorizationServers/${p.authServerId}/claims/${id}`), authServerId: p.authServerId! };
        st.claims.set(id, c);
        return new HttpAnswer(201, claimView(c));
      }
      case 'PUT /api/v1/authorizationServers/{authServerId}/claims/{claimId}': {
        const old = claim();
        if (old.system) return oktaError(400, 'E0000001', 'Api validation failed: claim', ['System claims cannot be modified.']);
        const e = semanticClaim(p.authServerId!, b, p.claimId);
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: claim', e);
        const c = { ...claimFields(b), id: old.id, system: false, _links: old._links, authServerId: p.authServerId! };
        st.claims.set(p.claimId!, c);
        return new HttpAnswer(200, claimView(c));
      }
      case 'DELETE /api/v1/authorizationServers/{authServerId}/claims/{claimId}': {
        const c = claim();
        if (c.system) return oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', ['System claims cannot be deleted.']);
        st.claims.delete(p.claimId!);
        return new HttpAnswer(204);
      }
      // custom scopes
      case 'GET /api/v1/authorizationServers/{authServerId}/scopes': {
        as();
        const q = (r.query.get('q') ?? '').toLowerCase();
        const limit = Number(r.query.get('limit') ?? 10_000);
        return new HttpAnswer(200, [...st.scopes.values()].filter((x) => x.authServerId === p.authServerId && String(x.name).toLowerCase().includes(q)).slice(0, limit).map(scopeView));
      }
      case 'GET /api/v1/authorizationServers/{authServerId}/scopes/{scopeId}':
        return new HttpAnswer(200, scopeView(scope()));
      case 'POST /api/v1/authorizationServers/{authServerId}/scopes': {
        const server = as();
        const e = semanticScope(p.authServerId!, b);
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: scope', e);
        const id = okta('scp');
        const sc = { consent: 'IMPLICIT', default: false, optional: false, metadataPublish: 'NO_CLIENTS', ...b, id, system: false, _links: links(`/api/v1/authorizationServers/${p.authServerId}/scopes/${id}`), authServerId: p.authServerId! };
        st.scopes.set(id, sc);
        server.scopes = [...server.scopes, String(b.name)];
        return new HttpAnswer(201, scopeView(sc));
      }
      case 'PUT /api/v1/authorizationServers/{authServerId}/scopes/{scopeId}': {
        const server = as();
        const old = scope();
        if (old.system) return oktaError(400, 'E0000001', 'Api validation failed: scope', ['System scopes cannot be modified.']);
        const e = semanticScope(p.authServerId!, b, p.scopeId);
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: scope', e);
        const sc = { consent: 'IMPLICIT', default: false, optional: false, metadataPublish: 'NO_CLIENTS', ...b, id: old.id, system: false, _links: old._links, authServerId: p.authServerId! };
        st.scopes.set(p.scopeId!, sc);
        server.scopes = [...server.scopes.filter((x) => x !== old.name), String(b.name)];
        return new HttpAnswer(200, scopeView(sc));
      }
      case 'DELETE /api/v1/authorizationServers/{authServerId}/scopes/{scopeId}': {
        const server = as();
        const sc = scope();
        if (sc.system) return oktaError(403, 'E0000006', 'You do not have permission to perform the requested action', ['System scopes cannot be deleted.']);
        st.scopes.delete(p.scopeId!);
        server.scopes = server.scopes.filter((x) => x !== sc.name);
        return new HttpAnswer(204);
      }
      // apps
      case 'POST /api/v1/apps': {
        const e = semanticApp(b);
        const clientId = (((b.credentials as Json)?.oauthClient as Json | undefined)?.client_id as string | undefined);
        if (clientId && clientIds().has(clientId)) e.push(`client_id ${clientId} is taken`);
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: app', e);
        const id = okta('0oa');
        const cred = { ...((b.credentials as Json).oauthClient as Json) };
        const settings = b.settings as Json;
        const a: Json = {
          id,
          orn: `orn:okta:idp:stand-in:apps:oidc_client:${id}`,
          name: 'oidc_client',
          label: b.label,
          status: r.query.get('activate') === 'false' ? 'INACTIVE' : 'ACTIVE',
          created: now(),
          lastUpdated: now(),
          signOnMode: 'OPENID_CONNECT',
          accessibility: { selfService: false },
          visibility: { autoLaunch: false, autoSubmitToolbar: false, hide: { iOS: true, web: true }, appLinks: { oidc_client_link: true } },
          features: [],
          credentials: { userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' }, signing: { kid: 'k' }, oauthClient: { autoKeyRotation: true, client_id: clientId ?? id, pkce_required: true, token_endpoint_auth_method: 'client_secret_basic', ...cred } },
          settings: { ...settings, oauthClient: { consent_method: 'TRUSTED', issuer_mode: 'DYNAMIC', ...(settings.oauthClient as Json) } },
          _links: links(`/api/v1/apps/${id}`),
        };
        st.apps.set(id, a);
        return new HttpAnswer(200, appView(a));
      }
      case 'GET /api/v1/apps/{appId}':
        return new HttpAnswer(200, appView(app()));
      case 'PUT /api/v1/apps/{appId}': {
        // A full replace (Okta's "Replace an Application"): the body becomes the app. The system-assigned properties
        // stay Okta's (their values in the body are ignored); any other property the body leaves out is gone
        // (Okta puts its default there), so an update must send back everything it read.
        const a = app();
        const e = semanticApp(b);
        const cred = ((b.credentials as Json)?.oauthClient ?? {}) as Json;
        const cid = ((a.credentials as Json).oauthClient as Json).client_id;
        if (cred.client_id !== undefined && cred.client_id !== cid) e.push('credentials.oauthClient.client_id cannot be changed');
        if (e.length) return oktaError(400, 'E0000001', 'Api validation failed: app', e);
        const system = Object.fromEntries(['id', 'orn', 'name', 'status', 'created', 'features', '_links', '_embedded'].filter((k) => a[k] !== undefined).map((k) => [k, a[k]]));
        const updated: Json = {
          ...b,
          ...system,
          credentials: { ...(b.credentials as Json), oauthClient: { ...cred, client_id: cid } },
          lastUpdated: now(),
        };
        st.apps.set(p.appId!, updated);
        return new HttpAnswer(200, appView(updated));
      }
      case 'POST /api/v1/apps/{appId}/lifecycle/deactivate': {
        const a = app();
        a.status = 'INACTIVE';
        a.lastUpdated = now();
        return new HttpAnswer(200, {});
      }
      case 'DELETE /api/v1/apps/{appId}': {
        const a = app();
        if (a.status === 'ACTIVE') return oktaError(403, 'E0000056', 'Delete application forbidden.', ['The application must be deactivated before it can be deleted.']);
        st.apps.delete(p.appId!);
        // Okta deletes the app's assignments and its tokens with it.
        st.appUsers.delete(p.appId!);
        st.appGroups.delete(p.appId!);
        const cid = ((a.credentials as Json).oauthClient as Json).client_id as string;
        for (const [t, info] of issuedTokens) if (info.clientId === cid) st.revoked.add(t);
        return new HttpAnswer(204);
      }
      case 'PUT /api/v1/apps/{appId}/groups/{groupId}': {
        app();
        if (!st.groups.has(p.groupId!)) return notFound(`Group ${p.groupId}`);
        const asg = { id: p.groupId, priority: typeof b.priority === 'number' ? b.priority : 0, profile: (b.profile as Json) ?? {}, lastUpdated: now(), _links: { app: { href: `${st.orgUrl}/api/v1/apps/${p.appId}` }, group: { href: `${st.orgUrl}/api/v1/groups/${p.groupId}` }, self: { href: `${st.orgUrl}/api/v1/apps/${p.appId}/groups/${p.groupId}` } } };
        if (!st.appGroups.has(p.appId!)) st.appGroups.set(p.appId!, new Map());
        st.appGroups.get(p.appId!)!.set(p.groupId!, asg);
        return new HttpAnswer(200, asg);
      }
      case 'POST /api/v1/apps/{appId}/users': {
        app();
        const user = st.users.get(String(b.id));
        if (!user) return notFound(`User ${String(b.id)}`);
        const au = { id: user.id, scope: b.scope ?? 'USER', status: 'ACTIVE', syncState: 'DISABLED', created: now(), lastUpdated: now(), statusChanged: now(), credentials: { userName: (user.profile as Json).login }, profile: (b.profile as Json) ?? {}, _links: { app: { href: `${st.orgUrl}/api/v1/apps/${p.appId}` }, user: { href: `${st.orgUrl}/api/v1/users/${String(user.id)}` } } };
        if (!st.appUsers.has(p.appId!)) st.appUsers.set(p.appId!, new Map());
        st.appUsers.get(p.appId!)!.set(String(user.id), au);
        return new HttpAnswer(200, au);
      }
      // users and groups
      case 'GET /api/v1/users/{id}': {
        const u = st.users.get(p.id!) ?? [...st.users.values()].find((x) => (x.profile as Json).login === p.id);
        return u ? new HttpAnswer(200, u) : notFound(`User ${p.id}`);
      }
      case 'GET /api/v1/groups/{groupId}': {
        const g = st.groups.get(p.groupId!);
        return g ? new HttpAnswer(200, g) : notFound(`Group ${p.groupId}`);
      }
      case 'GET /api/v1/groups': {
        const q = (r.query.get('q') ?? '').toLowerCase();
        const limit = Number(r.query.get('limit') ?? 10_000);
        return new HttpAnswer(200, [...st.groups.values()].filter((g) => String((g.profile as Json).name).toLowerCase().startsWith(q)).slice(0, limit));
      }
      // OAuth: the custom authorization servers' public endpoints
      case 'GET /oauth2/{authorizationServerId}/.well-known/openid-configuration': {
        const s = st.authServers.get(p.authorizationServerId!);
        if (!s) return oauthError(404, 'not_found', 'Not found: authorization server');
        const iss = st.issuer(s.id);
        return new HttpAnswer(200, {
          issuer: iss,
          authorization_endpoint: `${iss}/v1/authorize`,
          token_endpoint: `${iss}/v1/token`,
          userinfo_endpoint: `${iss}/v1/userinfo`,
          registration_endpoint: `${st.orgUrl}/oauth2/v1/clients`,
          jwks_uri: `${iss}/v1/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'code token', 'id_token token', 'code id_token token'],
          response_modes_supported: ['query', 'fragment', 'form_post', 'okta_post_message'],
          grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: [...st.scopes.values()].filter((x) => x.authServerId === s.id && x.metadataPublish !== 'NO_CLIENTS').map((x) => x.name),
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
          claims_supported: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'email', 'name'],
          code_challenge_methods_supported: ['S256'],
          introspection_endpoint: `${iss}/v1/introspect`,
          revocation_endpoint: `${iss}/v1/revoke`,
          end_session_endpoint: `${iss}/v1/logout`,
          request_parameter_supported: true,
          request_object_signing_alg_values_supported: ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
          dpop_signing_alg_values_supported: ['RS256', 'ES256'],
        });
      }
      case 'GET /oauth2/{authorizationServerId}/v1/keys': {
        if (!st.authServers.has(p.authorizationServerId!)) return oauthError(404, 'not_found', 'Not found: authorization server');
        const k = await keyFor(p.authorizationServerId!);
        return new HttpAnswer(200, { keys: [k.jwk] });
      }
      case 'POST /oauth2/{authorizationServerId}/v1/revoke': {
        r.auth = 'client';
        if (!st.authServers.has(p.authorizationServerId!)) return oauthError(404, 'not_found', 'Not found: authorization server');
        // A public client authenticates with its client_id alone.
        const clientId = b.client_id as string | undefined;
        const a = [...st.apps.values()].find((x) => ((x.credentials as Json).oauthClient as Json).client_id === clientId);
        if (!clientId || !a) return oauthError(401, 'invalid_client', 'Client authentication failed.');
        if (((a.credentials as Json).oauthClient as Json).token_endpoint_auth_method !== 'none') return oauthError(401, 'invalid_client', 'Client authentication failed: this client needs credentials.');
        if (a.status !== 'ACTIVE') return oauthError(401, 'invalid_client', 'The client is not active.');
        const info = issuedTokens.get(String(b.token));
        // Unknown or foreign tokens: 200 without effect (RFC 7009; a client may only revoke its own tokens).
        if (info && info.clientId === clientId && info.authServerId === p.authorizationServerId) st.revoked.add(String(b.token));
        return new HttpAnswer(200);
      }
      // OAuth: the org authorization server's token endpoint (service apps, for the Management API)
      case 'POST /oauth2/v1/token': {
        r.auth = 'client';
        if (b.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'The stand-in issues client_credentials tokens only.');
        if (b.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || typeof b.client_assertion !== 'string') {
          return oauthError(401, 'invalid_client', 'Client authentication failed: private_key_jwt expected.');
        }
        let sub: string | undefined;
        try {
          sub = decodeProtectedHeader(String(b.client_assertion)) && (JSON.parse(Buffer.from(String(b.client_assertion).split('.')[1]!, 'base64url').toString()) as { sub?: string }).sub;
        } catch {
          return oauthError(401, 'invalid_client', 'The client_assertion is not a JWT.');
        }
        const sa = (options.serviceApps ?? []).find((x) => x.clientId === sub);
        if (!sa) return oauthError(401, 'invalid_client', 'Invalid value for client_id parameter.');
        try {
          const header = decodeProtectedHeader(String(b.client_assertion));
          if (header.kid && sa.publicJwk.kid && header.kid !== sa.publicJwk.kid) return oauthError(401, 'invalid_client', 'The client_assertion kid matches no key of the client.');
          const { payload } = await jwtVerify(String(b.client_assertion), await importJWK(sa.publicJwk, header.alg), { issuer: sa.clientId, subject: sa.clientId, audience: `${st.orgUrl}/oauth2/v1/token`, requiredClaims: ['exp', 'jti'] });
          if (seenJti.has(payload.jti!)) return oauthError(401, 'invalid_client', 'The client_assertion jti was already used.');
          seenJti.add(payload.jti!);
          if (payload.exp! - Math.floor(Date.now() / 1000) > 3600) return oauthError(401, 'invalid_client', 'The client_assertion expires more than an hour from now.');
        } catch (err) {
          return oauthError(401, 'invalid_client', `The client_assertion is invalid: ${(err as Error).message}`);
        }
        const asked = String(b.scope).split(' ').filter(Boolean);
        const refused = asked.filter((s) => !sa.scopes.includes(s));
        if (refused.length) return oauthError(400, 'invalid_scope', `The following scopes are not allowed: ${refused.join(', ')}`);
        let jkt: string | undefined;
        if (sa.requireDpop) {
          const d = await verifyDpop(r.headers, 'POST', `${st.orgUrl}/oauth2/v1/token`, { nonce: true });
          if (d instanceof HttpAnswer) return d;
          jkt = d.jkt;
        }
        const token = `${randomUUID()}.${randomBytes(24).toString('base64url')}`;
        adminTokens.set(token, { clientId: sa.clientId, scopes: new Set(asked), jkt, exp: Date.now() + 3600_000 });
        return new HttpAnswer(200, { token_type: jkt ? 'DPoP' : 'Bearer', expires_in: 3600, access_token: token, scope: asked.join(' ') });
      }
      default:
        violation(`${r.method} ${r.path}: the spec has this operation, but the stand-in does not model it (${key})`);
        return oktaError(501, 'E0000009', `stand-in does not implement ${key}`);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      violation(`stand-in crashed on ${req.method} ${req.url}: ${err.stack ?? err.message}`);
      if (!res.headersSent) send(res, oktaError(500, 'E0000009', 'Internal Server Error'));
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  st.orgUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return st;
}

/**
 * A local stand-in for one Auth0 tenant, for the Auth0 adapter's tests. It listens on 127.0.0.1:0, so the
 * tenant "domain" is 127.0.0.1:PORT (the adapter speaks plain http to a loopback domain) and the issuer is
 * http://127.0.0.1:PORT/ (trailing slash, as Auth0's).
 *
 * Every Management API request is checked against Auth0's published OpenAPI description
 * (../shared/specs/auth0-management.yaml, loaded once with js-yaml): the path and method must exist, the
 * bearer token must be one this tenant issued for https://{domain}/api/v2/ and carry one of the operation's
 * scopes (else 403 "Insufficient scope, expected any of: ..."), query and path parameters must fit their
 * schemas, and the JSON body must fit the request schema (types, required, enums, lengths, patterns,
 * additionalProperties: false). A request the spec refuses gets Auth0's 400 shape and is recorded in
 * `rejections`. Responses are checked against the spec's response schemas too (a mismatch is a stand-in bug,
 * recorded in `standinErrors` and answered 500).
 *
 * Beyond the spec it keeps state (clients, resource servers, tenant settings) and applies the rules the
 * real service applies that the spec cannot say: unique API identifiers (409), Auth0's lifetime limits,
 * rotating refresh tokens must expire, DELETE of an unknown id answers 204.
 *
 * It also serves /oauth/token (client credentials for the Management API), /oauth/revoke, the discovery
 * document and the JWKS, and `authorize()` mints user access tokens shaped exactly like Auth0's for a client
 * and an audience: an Auth0-profile JWT (azp), an RFC 9068 JWT (client_id, typ at+jwt), or, with no audience
 * and no tenant default audience, an opaque (JWE-looking) token: the trap the adapter must avoid.
 */
import { createActionsState, type ActionsState } from './auth0-standin-actions.js';
import { specPath } from './specs.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { PROJECT_ROOT } from './cli.js';

export const AUTH0_SPEC_PATH = specPath('auth0-management.yaml');

// ---------------------------------------------------------------------------------------------------------
// The OpenAPI document and a validator for the subset of OpenAPI 3.0 schema keywords it uses
// ---------------------------------------------------------------------------------------------------------

export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation | Parameter[]>>;
  components: { schemas: Record<string, Schema> };
}

let specCache: OpenApiDoc | undefined;

/** The Auth0 Management API description, parsed once per process (about 130 ms). */
export function loadAuth0Spec(): OpenApiDoc {
  if (!specCache) {
    // js-yaml is in node_modules already (a dependency of @okta/okta-sdk-nodejs); it ships no types.
    const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
    specCache = yaml.load(readFileSync(AUTH0_SPEC_PATH, 'utf8')) as OpenApiDoc;
  }
  return specCache;
}

function resolveRef(doc: OpenApiDoc, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`external $ref not supported: ${ref}`);
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  if (!node) throw new Error(`unresolvable $ref ${ref}`);
  return node as Schema;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isUrl(v: string, httpsOnly = false): boolean {
  try {
    const u = new URL(v);
    return httpsOnly ? u.protocol === 'https:' : /^[a-z][a-z0-9+.-]*:$/.test(u.protocol);
  } catch {
    return false;
  }
}

/** The formats Auth0 defines that matter for the fields an adapter sends; unknown formats pass. */
function checkFormat(format: string, v: string): boolean {
  switch (format) {
    case 'callback-url':
    case 'url':
    case 'strict-uri':
      return isUrl(v);
    case 'absolute-uri-or-empty':
      return v === '' || isUrl(v);
    case 'absolute-https-uri-or-empty':
      return v === '' || isUrl(v, true);
    case 'strict-https-uri':
      return isUrl(v, true);
    case 'url-with-placeholders':
      return isUrl(v.replace(/\{[^}]*\}/g, 'x').replace(/\*/g, 'x'));
    default:
      return true;
  }
}

/** Validates `value` against `schema`; returns human messages naming the JSON path (empty: valid). */
export function validateSchema(doc: OpenApiDoc, schema: Schema, value: unknown, path = 'body', errors: string[] = []): string[] {
  if (schema.$ref) return validateSchema(doc, resolveRef(doc, schema.$ref), value, path, errors);
  if (value === null) {
    if (schema.nullable || schema.type === undefined) return errors;
    errors.push(`${path}: null is not allowed (expected ${schema.type})`);
    return errors;
  }
  if (schema.allOf) for (const s of schema.allOf) validateSchema(doc, s, value, path, errors);
  if (schema.anyOf || schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf)!;
    const ok = options.some((s) => validateSchema(doc, s, value, path, []).length === 0);
    if (!ok) errors.push(`${path}: matches none of the ${schema.anyOf ? 'anyOf' : 'oneOf'} alternatives`);
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  const t = typeOf(value);
  if (schema.type) {
    const fits = schema.type === t || (schema.type === 'number' && t === 'integer');
    if (!fits) {
      errors.push(`${path}: expected ${schema.type}, got ${t}`);
      return errors;
    }
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: does not match pattern ${schema.pattern.slice(0, 60)}`);
    if (schema.format && !checkFormat(schema.format, value)) errors.push(`${path}: ${JSON.stringify(value)} is not a valid ${schema.format}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errors.push(`${path}: items are not unique`);
    if (schema.items) value.forEach((v, i) => validateSchema(doc, schema.items!, v, `${path}[${i}]`, errors));
  }
  if (t === 'object' && (schema.properties || schema.required || schema.additionalProperties !== undefined)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${path}: missing required property ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      const prop = schema.properties?.[k];
      if (prop) validateSchema(doc, prop, v, `${path}.${k}`, errors);
      else if (schema.additionalProperties === false) errors.push(`${path}: additional property ${k} is not allowed`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') validateSchema(doc, schema.additionalProperties, v, `${path}.${k}`, errors);
    }
  }
  return errors;
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  op: Operation;
}

function routesOf(doc: OpenApiDoc): Route[] {
  const out: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' || Array.isArray(op)) continue;
      const names: string[] = [];
      const regex = new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, n: string) => {
          names.push(n);
          return '([^/]+)';
        })}$`,
      );
      out.push({ method: method.toUpperCase(), template, regex, names, op: op as Operation });
    }
  }
  // Literal paths before templated ones (/clients/search before /clients/{id}).
  return out.sort((a, b) => a.names.length - b.names.length);
}

function paramValue(schema: Schema | undefined, raw: string): unknown {
  if (!schema) return raw;
  const s = schema.$ref ? undefined : schema;
  if (s?.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (s?.type === 'integer' || s?.type === 'number') return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  return raw;
}

// ---------------------------------------------------------------------------------------------------------
// The stand-in
// ---------------------------------------------------------------------------------------------------------

/** Every scope the adapter may need (init, tenant default audience, cleanup). */
export const ALL_ADAPTER_SCOPES = [
  'create:clients',
  'read:clients',
  'update:clients',
  'delete:clients',
  'create:resource_servers',
  'read:resource_servers',
  'update:resource_servers',
  'delete:resource_servers',
  'read:tenant_settings',
  'update:tenant_settings',
  // The access rules (--allow-group: roles and a Post-Login Action; --require-scope: the API's RBAC).
  'read:roles',
  'read:actions',
  'create:actions',
  'update:actions',
  'delete:actions',
];

/** Grant types Auth0 accepts in a client's grant_types. */
const AUTH0_GRANT_TYPES = new Set([
  'authorization_code',
  'implicit',
  'refresh_token',
  'client_credentials',
  'password',
  'http://auth0.com/oauth/grant-type/password-realm',
  'http://auth0.com/oauth/grant-type/mfa-oob',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-recovery-code',
  'http://auth0.com/oauth/grant-type/passwordless/otp',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);

export interface Auth0StandinOptions {
  /** Scopes the Machine-to-Machine app's Management API tokens carry (default ALL_ADAPTER_SCOPES). */
  scopes?: string[];
  /** The tenant's default_audience at start (default ''). */
  defaultAudience?: string;
  /** Whether the M2M app is authorized for the Management API (default true; false: the token endpoint answers 403). */
  m2mAuthorized?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId?: string;
  status: number;
  body?: unknown;
  query?: Record<string, string>;
  /** Set once the request passed authentication and the spec checks (a later 4xx is the handler's, e.g. a 404). */
  validated?: boolean;
}

export interface Auth0Standin {
  /** 127.0.0.1:PORT: what AUTH0_DOMAIN is set to. */
  domain: string;
  /** http://127.0.0.1:PORT/ */
  issuer: string;
  discoveryUrl: string;
  managementAudience: string;
  /** The Machine-to-Machine app's credentials (AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET). */
  m2m: { clientId: string; clientSecret: string };
  /** Environment for the adapter / CLI: AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET. */
  env(): Record<string, string>;
  clients: Map<string, Record<string, unknown>>;
  resourceServers: Map<string, Record<string, unknown>>;
  tenant: Record<string, unknown>;
  /** Clients other than the tenant's own M2M app. */
  createdClients(): Array<Record<string, unknown>>;
  /** Resource servers other than the system Management API. */
  createdResourceServers(): Array<Record<string, unknown>>;
  /** Actions, trigger bindings and roles (test/helpers/auth0-standin-actions.ts). */
  actions: ActionsState['actions'];
  bindings: ActionsState['bindings'];
  roles: ActionsState['roles'];
  addRole: ActionsState['addRole'];
  addForeignBinding: ActionsState['addForeignBinding'];
  /** Every Management API / token / revoke request, in order. */
  requests: RecordedRequest[];
  /** Requests the spec (or Auth0's rules) refused: 4xx before any handler ran. */
  rejections: Array<{ operationId?: string; path: string; status: number; message: string }>;
  /** Stand-in bugs (a response that breaks the spec, an operation not implemented). Tests assert it stays empty. */
  standinErrors: string[];
  /** Refresh tokens revoked at /oauth/revoke. */
  revoked: string[];
  /** Every secret this tenant handed out (tokens, client secrets): none may ever appear in output. */
  secrets(): string[];
  setScopes(scopes: string[]): void;
  /** The next `times` (default 1) calls of an operation answer `status` (after auth and validation). */
  failNext(operationId: string, status: number, opts?: { times?: number; headers?: Record<string, string>; message?: string }): void;
  /** A Management API token (for AUTH0_TOKEN), signed by this tenant. */
  issueManagementToken(opts?: { scopes?: string[]; expiresIn?: number; audience?: string }): Promise<string>;
  /**
   * What Auth0 issues to `clientId` after a user signs in with this authorization request: the audience is the
   * request's, else the tenant's default_audience; no audience gives an opaque token.
   */
  authorize(p: {
    clientId: string;
    audience?: string;
    scope: string;
    sub?: string;
    /** The user's Auth0 roles (event.authorization.roles for the bound Post-Login Actions). */
    roles?: string[];
    /** The user's permissions on the API (RBAC: with enforce_policies, only these API scopes are granted). */
    permissions?: string[];
  }): Promise<{ accessToken: string; refreshToken?: string; opaque: boolean }>;
  close(): Promise<void>;
}

const randomId = (n: number) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message ?? body.error_description ?? status));
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 429: 'Too Many Requests', 501: 'Not Implemented' };
const apiError = (status: number, message: string, errorCode?: string) =>
  new HttpError(status, { statusCode: status, error: REASONS[status] ?? 'Error', message, ...(errorCode ? { errorCode } : {}) });

function pick(obj: Record<string, unknown>, query: Record<string, string>): Record<string, unknown> {
  const fields = query.fields?.split(',').filter(Boolean);
  if (!fields?.length) return obj;
  const include = query.include_fields !== 'false';
  return Object.fromEntries(Object.entries(obj).filter(([k]) => fields.includes(k) === include));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseForm(text: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return Object.fromEntries(new URLSearchParams(text));
}

let keyPair: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> | undefined;

export async function startAuth0Standin(opts: Auth0StandinOptions = {}): Promise<Auth0Standin> {
  const doc = loadAuth0Spec();
  const routes = routesOf(doc);
  // RSA key generation takes 100-400 ms: one signing key per process is enough (each tenant gets its own kid).
  keyPair ??= generateKeyPair('RS256');
  const { privateKey, publicKey } = await keyPair;
  const kid = randomId(16);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  let scopes = [...(opts.scopes ?? ALL_ADAPTER_SCOPES)];
  const secrets = new Set<string>();
  const failures = new Map<string, { status: number; times: number; headers?: Record<string, string>; message?: string }>();
  const requests: RecordedRequest[] = [];
  const rejections: Auth0Standin['rejections'] = [];
  const standinErrors: string[] = [];
  const revoked: string[] = [];
  const refreshTokens = new Map<string, string>(); // token -> client_id

  let domain = '';
  let issuer = '';
  let mgmtAudience = '';
  const m2m = { clientId: randomId(32), clientSecret: randomId(64) };
  secrets.add(m2m.clientSecret);

  const clients = new Map<string, Record<string, unknown>>();
  const resourceServers = new Map<string, Record<string, unknown>>();
  const access = createActionsState(apiError);
  const tenant: Record<string, unknown> = {
    friendly_name: 'Stand-in tenant',
    default_audience: opts.defaultAudience ?? '',
    default_directory: '',
    session_lifetime: 168,
    idle_session_lifetime: 72,
    enabled_locales: ['en'],
  };

  async function sign(claims: Record<string, unknown>, typ = 'JWT', key: CryptoKey = privateKey): Promise<string> {
    const t = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ, kid }).sign(key);
    secrets.add(t);
    return t;
  }

  async function managementToken(s: string[], expiresIn = 86400, audience = mgmtAudience): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return sign({ iss: issuer, sub: `${m2m.clientId}@clients`, aud: audience, iat: now, exp: now + expiresIn, scope: s.join(' '), gty: 'client-credentials', azp: m2m.clientId });
  }

  /** The bearer token's scopes, or a 401. */
  async function authenticate(req: IncomingMessage): Promise<Set<string>> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new HttpError(401, { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
    try {
      const { payload } = await jwtVerify(m[1]!, publicKey, { issuer, audience: mgmtAudience });
      return new Set(String(payload.scope ?? '').split(/\s+/).filter(Boolean));
    } catch {
      throw new HttpError(401, { statusCode: 401, error: 'Unauthorized', message: 'Invalid token', attributes: { error: 'Invalid token' } });
    }
  }

  // --- operation handlers: state plus the rules Auth0 applies beyond its schema -------------------------

  function clientRules(body: Record<string, unknown>): void {
    for (const g of (body.grant_types as string[] | undefined) ?? []) {
      if (!AUTH0_GRANT_TYPES.has(g)) throw apiError(400, `Payload validation error: invalid grant type "${g}".`, 'invalid_body');
    }
    const rt = body.refresh_token as Record<string, unknown> | undefined | null;
    if (rt) {
      if (rt.rotation_type === 'rotating' && rt.expiration_type !== 'expiring') throw apiError(400, 'Refresh token rotation requires an expiring refresh token (expiration_type "expiring").', 'invalid_body');
      const life = rt.token_lifetime as number | undefined;
      const idle = rt.idle_token_lifetime as number | undefined;
      if (life !== undefined && (life < 1 || life > 31_557_600)) throw apiError(400, 'refresh_token.token_lifetime must be between 1 and 31557600 seconds.', 'invalid_body');
      if (idle !== undefined && (idle < 1 || idle > 31_557_600)) throw apiError(400, 'refresh_token.idle_token_lifetime must be between 1 and 31557600 seconds.', 'invalid_body');
      if (life !== undefined && idle !== undefined && idle > life) throw apiError(400, 'refresh_token.idle_token_lifetime must be less than or equal to refresh_token.token_lifetime.', 'invalid_body');
    }
    const jwtLife = (body.jwt_configuration as Record<string, unknown> | undefined)?.lifetime_in_seconds as number | undefined;
    if (jwtLife !== undefined && (jwtLife < 1 || jwtLife > 2_592_000)) throw apiError(400, 'jwt_configuration.lifetime_in_seconds must be between 1 and 2592000.', 'invalid_body');
    if (body.token_endpoint_auth_method === 'none' && ((body.grant_types as string[] | undefined) ?? []).includes('client_credentials')) {
      throw apiError(400, 'A public client (token_endpoint_auth_method none) cannot use the client_credentials grant.', 'invalid_body');
    }
  }

  function findResourceServer(idOrIdentifier: string): Record<string, unknown> | undefined {
    return resourceServers.get(idOrIdentifier) ?? [...resourceServers.values()].find((r) => r.identifier === idOrIdentifier);
  }

  const handlers: Record<string, (p: { params: Record<string, string>; query: Record<string, string>; body: Record<string, unknown> }) => { status: number; body?: unknown }> = {
    ...access.handlers,
    'post_clients': ({ body }) => {
      clientRules(body);
      const client_id = randomId(32);
      const client_secret = randomId(64);
      secrets.add(client_secret);
      const client: Record<string, unknown> = {
        client_id,
        tenant: 'stand-in',
        global: false,
        is_token_endpoint_ip_header_trusted: false,
        is_first_party: true,
        oidc_conformant: false,
        sso_disabled: false,
        cross_origin_authentication: false,
        custom_login_page_on: true,
        callbacks: [],
        allowed_origins: [],
        web_origins: [],
        allowed_clients: [],
        allowed_logout_urls: [],
        grant_types: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
        app_type: 'regular_web',
        signing_keys: [{ cert: '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----', pkcs7: '', subject: `/CN=${domain}` }],
        refresh_token: { rotation_type: 'non-rotating', expiration_type: 'non-expiring', leeway: 0, token_lifetime: 2592000, infinite_token_lifetime: true, idle_token_lifetime: 1296000, infinite_idle_token_lifetime: true },
        ...body,
        jwt_configuration: { alg: 'HS256', lifetime_in_seconds: 36000, secret_encoded: false, ...((body.jwt_configuration as object | undefined) ?? {}) },
        client_secret,
      };
      clients.set(client_id, client);
      return { status: 201, body: client };
    },
    'get_clients_by_id': ({ params, query }) => {
      const c = clients.get(params.client_id!);
      if (!c) throw apiError(404, 'The client does not exist', 'inexistent_client');
      return { status: 200, body: pick(c, query) };
    },
    'patch_clients_by_id': ({ params, body }) => {
      const c = clients.get(params.client_id!);
      if (!c) throw apiError(404, 'The client does not exist', 'inexistent_client');
      clientRules({ ...c, ...body });
      Object.assign(c, body);
      return { status: 200, body: c };
    },
    'delete_clients_by_id': ({ params }) => {
      if (params.client_id === m2m.clientId) throw apiError(400, 'You cannot delete the client making the request', 'invalid_uri');
      clients.delete(params.client_id!); // Auth0 answers 204 whether or not it existed
      return { status: 204 };
    },
    'post_resource-servers': ({ body }) => {
      if ([...resourceServers.values()].some((r) => r.identifier === body.identifier)) {
        throw apiError(409, 'A resource server with the same identifier already exists', 'resource_server_conflict');
      }
      const life = body.token_lifetime as number | undefined;
      if (life !== undefined && (life < 1 || life > 2_592_000)) throw apiError(400, 'token_lifetime must be between 1 and 2592000 seconds.', 'invalid_body');
      if (body.signing_alg === 'HS256' && !body.signing_secret) body = { ...body, signing_secret: randomId(32) };
      const id = randomBytes(12).toString('hex');
      const rs: Record<string, unknown> = {
        id,
        name: body.identifier,
        is_system: false,
        scopes: [],
        signing_alg: 'RS256',
        allow_offline_access: false,
        skip_consent_for_verifiable_first_party_clients: false,
        token_lifetime: 86400,
        token_lifetime_for_web: 7200,
        token_dialect: 'access_token',
        enforce_policies: false,
        ...body,
      };
      resourceServers.set(id, rs);
      return { status: 201, body: rs };
    },
    'get_resource-servers_by_id': ({ params, query }) => {
      const rs = findResourceServer(params.id!);
      if (!rs) throw apiError(404, 'Resource server not found', 'inexistent_resource_server');
      return { status: 200, body: pick(rs, query) };
    },
    'patch_resource-servers_by_id': ({ params, body }) => {
      const rs = findResourceServer(params.id!);
      if (!rs) throw apiError(404, 'Resource server not found', 'inexistent_resource_server');
      if (rs.is_system) throw apiError(400, 'You cannot update a system API', 'invalid_uri');
      // PATCH replaces the scopes list (a list without the existing ones drops them); values are unique.
      const values = ((body.scopes as Array<{ value: string }> | undefined) ?? []).map((x) => x.value);
      if (new Set(values).size !== values.length) throw apiError(400, 'Payload validation error: scopes must have unique values.', 'invalid_body');
      // "Add Permissions in the Access Token" exists only with RBAC on.
      const next = { ...rs, ...body };
      if (String(next.token_dialect ?? '').endsWith('_authz') && next.enforce_policies !== true) {
        throw apiError(400, `token_dialect ${String(next.token_dialect)} needs enforce_policies (RBAC) on.`, 'invalid_body');
      }
      Object.assign(rs, body);
      return { status: 200, body: rs };
    },
    'delete_resource-servers_by_id': ({ params }) => {
      const rs = findResourceServer(params.id!);
      if (rs?.is_system) throw apiError(400, 'You cannot delete a system API', 'invalid_uri');
      if (rs) resourceServers.delete(String(rs.id));
      return { status: 204 };
    },
    'tenant_settings_route': ({ query }) => ({ status: 200, body: pick(tenant, query) }),
    'patch_settings': ({ body }) => {
      Object.assign(tenant, body);
      return { status: 200, body: tenant };
    },
  };

  // --- HTTP ------------------------------------------------------------------------------------------------

  async function management(req: IncomingMessage, url: URL, text: string, rec: RecordedRequest): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const path = url.pathname.slice('/api/v2'.length) || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const candidates = routes.filter((r) => r.regex.test(path));
    if (!candidates.length) throw apiError(404, `Not Found: ${method} /api/v2${path} is not in the Management API`);
    const route = candidates.find((r) => r.method === method);
    if (!route) throw apiError(405, `${method} is not allowed on /api/v2${path} (allowed: ${candidates.map((c) => c.method).join(', ')})`);
    const op = route.op;
    rec.operationId = op.operationId;

    const granted = await authenticate(req);
    const needed = op.security?.find((s) => s.oAuth2ClientCredentials)?.oAuth2ClientCredentials ?? [];
    if (needed.length && !needed.some((s) => granted.has(s))) throw apiError(403, `Insufficient scope, expected any of: ${needed.join(',')}`, 'insufficient_scope');

    const m = route.regex.exec(path)!;
    const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    const query = Object.fromEntries(url.searchParams);
    rec.query = query;
    const declared = op.parameters ?? [];
    const problems: string[] = [];
    for (const [k, v] of Object.entries(query)) {
      const p = declared.find((d) => d.in === 'query' && d.name === k);
      if (!p) problems.push(`query: additional property ${k} is not allowed`);
      else if (p.schema) validateSchema(doc, p.schema, paramValue(p.schema, v), `query.${k}`, problems);
    }
    for (const p of declared) {
      if (p.in === 'query' && p.required && !(p.name in query)) problems.push(`query: missing required parameter ${p.name}`);
      if (p.in === 'path' && p.schema) validateSchema(doc, p.schema, params[p.name], `path.${p.name}`, problems);
    }
    if (problems.length) throw apiError(400, `Query validation error: '${problems[0]}'.`, 'invalid_query_string');

    let body: Record<string, unknown> = {};
    if (op.requestBody) {
      const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (text) {
        if (!op.requestBody.content[ct]) throw apiError(400, `Unsupported content type ${ct || '(none)'}: expected ${Object.keys(op.requestBody.content).join(' or ')}.`, 'invalid_body');
        try {
          body = parseForm(text, ct) as Record<string, unknown>;
        } catch {
          throw apiError(400, 'Invalid request payload JSON format', 'invalid_body');
        }
      }
      rec.body = body;
      const schema = (op.requestBody.content['application/json'] ?? Object.values(op.requestBody.content)[0]!).schema;
      const errs = validateSchema(doc, schema, body);
      if (errs.length) throw apiError(400, `Payload validation error: '${errs.join("'; '")}'.`, 'invalid_body');
    } else if (text) {
      throw apiError(400, `${method} /api/v2${path} takes no request body.`, 'invalid_body');
    }

    rec.validated = true;
    const fail = failures.get(op.operationId);
    if (fail && fail.times > 0) {
      fail.times--;
      throw new HttpError(fail.status, { statusCode: fail.status, error: REASONS[fail.status] ?? 'Error', message: fail.message ?? `injected ${fail.status}` }, fail.headers);
    }

    const handler = handlers[op.operationId];
    if (!handler) {
      standinErrors.push(`operation ${op.operationId} (${method} ${route.template}) is valid but not implemented by the stand-in`);
      throw apiError(501, `The stand-in does not implement ${op.operationId}`);
    }
    const out = handler({ params, query, body });
    // The stand-in must answer in the spec's shapes.
    const resp = op.responses[String(out.status)];
    if (!resp) standinErrors.push(`${op.operationId} answered ${out.status}, which the spec does not list`);
    const schema = resp?.content?.['application/json']?.schema;
    if (schema && out.body !== undefined) {
      const errs = validateSchema(doc, schema, out.body, 'response');
      if (errs.length) standinErrors.push(`${op.operationId} response breaks the spec: ${errs.slice(0, 3).join('; ')}`);
    }
    return out;
  }

  async function oauthToken(req: IncomingMessage, text: string): Promise<{ status: number; body: unknown }> {
    const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const p = parseForm(text, ct) as Record<string, string>;
    if (p.grant_type !== 'client_credentials') throw new HttpError(403, { error: 'unauthorized_client', error_description: `Grant type '${p.grant_type ?? ''}' not allowed for the client.` });
    if (p.client_id !== m2m.clientId || p.client_secret !== m2m.clientSecret) throw new HttpError(401, { error: 'access_denied', error_description: 'Unauthorized' });
    if (p.audience !== mgmtAudience) throw new HttpError(403, { error: 'access_denied', error_description: `Service not found: ${p.audience ?? ''}` });
    if (opts.m2mAuthorized === false) {
      throw new HttpError(403, {
        error: 'access_denied',
        error_description: `Client is not authorized to access "${mgmtAudience}". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`,
      });
    }
    const token = await managementToken(scopes);
    return { status: 200, body: { access_token: token, scope: scopes.join(' '), expires_in: 86400, token_type: 'Bearer' } };
  }

  function oauthRevoke(req: IncomingMessage, text: string): { status: number; body?: unknown } {
    const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const p = parseForm(text, ct) as Record<string, string>;
    if (!p.client_id || !clients.has(p.client_id)) throw new HttpError(401, { error: 'invalid_client', error_description: 'Unknown client' });
    if (!p.token) throw new HttpError(400, { error: 'invalid_request', error_description: 'Missing required parameter: token' });
    const owner = refreshTokens.get(p.token);
    if (owner && owner !== p.client_id) throw new HttpError(403, { error: 'invalid_grant', error_description: 'The refresh token was issued to another client' });
    if (owner) {
      refreshTokens.delete(p.token);
      revoked.push(p.token);
    }
    return { status: 200 };
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${domain}`);
      const text = await readBody(req);
      const rec: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, status: 0 };
      requests.push(rec);
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        rec.status = status;
        if (body === undefined) res.writeHead(status, headers).end();
        else res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
      };
      try {
        if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
          return send(200, {
            issuer,
            authorization_endpoint: `${issuer}authorize`,
            token_endpoint: `${issuer}oauth/token`,
            device_authorization_endpoint: `${issuer}oauth/device/code`,
            userinfo_endpoint: `${issuer}userinfo`,
            mfa_challenge_endpoint: `${issuer}mfa/challenge`,
            jwks_uri: `${issuer}.well-known/jwks.json`,
            registration_endpoint: `${issuer}oidc/register`,
            revocation_endpoint: `${issuer}oauth/revoke`,
            scopes_supported: ['openid', 'profile', 'offline_access', 'name', 'given_name', 'family_name', 'nickname', 'email', 'email_verified', 'picture', 'created_at', 'identities', 'phone', 'address'],
            response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token'],
            code_challenge_methods_supported: ['S256', 'plain'],
            response_modes_supported: ['query', 'fragment', 'form_post'],
            subject_types_supported: ['public'],
            token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
            claims_supported: ['aud', 'auth_time', 'created_at', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'identities', 'iss', 'name', 'nickname', 'phone_number', 'picture', 'sub'],
            request_uri_parameter_supported: false,
            request_parameter_supported: false,
            id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
            end_session_endpoint: `${issuer}oidc/logout`,
          });
        }
        if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') return send(200, { keys: [jwk] });
        if (req.method === 'POST' && url.pathname === '/oauth/token') {
          const r = await oauthToken(req, text);
          return send(r.status, r.body);
        }
        if (req.method === 'POST' && url.pathname === '/oauth/revoke') {
          const r = oauthRevoke(req, text);
          return send(r.status, r.body);
        }
        if (url.pathname === '/api/v2' || url.pathname.startsWith('/api/v2/')) {
          const r = await management(req, url, text, rec);
          return send(r.status, r.body, r.headers);
        }
        throw new HttpError(404, { statusCode: 404, error: 'Not Found', message: `${req.method} ${url.pathname} is not served by the stand-in` });
      } catch (err) {
        if (err instanceof HttpError) {
          if (url.pathname.startsWith('/api/v2') && !rec.validated && [400, 404, 405].includes(err.status)) {
            rejections.push({ operationId: rec.operationId, path: `${req.method} ${url.pathname}`, status: err.status, message: err.message });
          }
          return send(err.status, err.body, err.headers);
        }
        standinErrors.push(`stand-in crashed on ${req.method} ${url.pathname}: ${(err as Error).stack ?? String(err)}`);
        return send(500, { statusCode: 500, error: 'Internal Server Error', message: 'stand-in error' });
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  domain = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `http://${domain}/`;
  mgmtAudience = `https://${domain}/api/v2/`;

  // The tenant as Auth0 makes it: the system Management API and the M2M app that talks to it.
  const systemApi = randomBytes(12).toString('hex');
  resourceServers.set(systemApi, {
    id: systemApi,
    name: 'Auth0 Management API',
    identifier: mgmtAudience,
    is_system: true,
    scopes: [],
    signing_alg: 'RS256',
    allow_offline_access: false,
    token_lifetime: 86400,
    token_lifetime_for_web: 7200,
    skip_consent_for_verifiable_first_party_clients: false,
  });
  clients.set(m2m.clientId, {
    client_id: m2m.clientId,
    name: 'agentcore-auth admin (M2M)',
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_post',
    client_secret: m2m.clientSecret,
    callbacks: [],
  });

  const builtIn = { clients: new Set(clients.keys()), resourceServers: new Set(resourceServers.keys()) };

  return {
    domain,
    issuer,
    discoveryUrl: `${issuer}.well-known/openid-configuration`,
    managementAudience: mgmtAudience,
    m2m,
    env: () => ({ AUTH0_DOMAIN: domain, AUTH0_CLIENT_ID: m2m.clientId, AUTH0_CLIENT_SECRET: m2m.clientSecret }),
    clients,
    resourceServers,
    tenant,
    createdClients: () => [...clients.entries()].filter(([k]) => !builtIn.clients.has(k)).map(([, v]) => v),
    createdResourceServers: () => [...resourceServers.entries()].filter(([k]) => !builtIn.resourceServers.has(k)).map(([, v]) => v),
    actions: access.actions,
    bindings: access.bindings,
    roles: access.roles,
    addRole: access.addRole,
    addForeignBinding: access.addForeignBinding,
    requests,
    rejections,
    standinErrors,
    revoked,
    secrets: () => [...secrets],
    setScopes(s) {
      scopes = [...s];
    },
    failNext(operationId, status, o = {}) {
      failures.set(operationId, { status, times: o.times ?? 1, headers: o.headers, message: o.message });
    },
    issueManagementToken: (o = {}) => managementToken(o.scopes ?? scopes, o.expiresIn ?? 86400, o.audience ?? mgmtAudience),
    async authorize(p) {
      const client = clients.get(p.clientId);
      if (!client) throw new Error(`unknown client ${p.clientId}`);
      if (!((client.grant_types as string[] | undefined) ?? []).includes('authorization_code')) throw new Error(`client ${p.clientId} may not use the authorization code grant`);
      const audience = p.audience || String(tenant.default_audience ?? '');
      const requested = p.scope.split(/\s+/).filter(Boolean);
      if (!audience) {
        // No API audience: Auth0 issues an opaque token (a JWE only Auth0 can read), good for /userinfo only.
        const header = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', iss: issuer })).toString('base64url');
        const accessToken = `${header}..${randomBytes(12).toString('base64url')}.${randomBytes(96).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
        secrets.add(accessToken);
        return { accessToken, opaque: true };
      }
      const rs = [...resourceServers.values()].find((r) => r.identifier === audience);
      if (!rs) throw new Error(`access_denied: Service not found: ${audience}`);
      const offline = requested.includes('offline_access') && rs.allow_offline_access === true && ((client.grant_types as string[]) ?? []).includes('refresh_token');
      // RBAC (enforce_policies): an API scope is granted only to a user who holds it as a permission.
      const apiScopes = ((rs.scopes as Array<{ value: string }> | undefined) ?? []).map((x) => x.value);
      const permissions = (p.permissions ?? []).filter((x) => apiScopes.includes(x));
      const granted = requested.filter((s) => (s !== 'offline_access' || offline) && (rs.enforce_policies !== true || !apiScopes.includes(s) || permissions.includes(s)));
      const now = Math.floor(Date.now() / 1000);
      const aud = requested.includes('openid') ? [audience, `${issuer}userinfo`] : audience;
      const sub = p.sub ?? `auth0|${randomBytes(12).toString('hex')}`;
      const rfc9068 = String(rs.token_dialect ?? 'access_token').startsWith('rfc9068');
      const claims: Record<string, unknown> = rfc9068
        ? { iss: issuer, sub, aud, client_id: p.clientId, exp: now + Number(rs.token_lifetime ?? 86400), iat: now, jti: randomId(22), scope: granted.join(' ') }
        : { iss: issuer, sub, aud, iat: now, exp: now + Number(rs.token_lifetime ?? 86400), scope: granted.join(' '), azp: p.clientId };
      // "Add Permissions in the Access Token" (token_dialect *_authz, with RBAC): the user's permissions on this API.
      if (rs.enforce_policies === true && String(rs.token_dialect ?? '').endsWith('_authz')) claims.permissions = permissions;
      access.runPostLogin({ audience, roles: p.roles ?? [], clientId: p.clientId, sub }, claims);
      const accessToken = await sign(claims, rfc9068 ? 'at+jwt' : 'JWT');
      let refreshToken: string | undefined;
      if (offline) {
        refreshToken = `v1.${randomId(120)}`;
        refreshTokens.set(refreshToken, p.clientId);
        secrets.add(refreshToken);
      }
      return { accessToken, refreshToken, opaque: false };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}


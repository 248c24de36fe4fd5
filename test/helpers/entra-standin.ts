/**
 * A local HTTPS stand-in for Microsoft Entra ID: the login authority (tenant discovery, device code, token
 * endpoint with client secrets, certificate assertions and the device code grant) and the slice of Microsoft
 * Graph v1.0 the Entra adapter uses (applications, servicePrincipals, tokenLifetimePolicies, deletedItems,
 * revokeSignInSessions). It keeps state and validates every request against Microsoft's documented shapes:
 * unknown properties, wrong types and enums, identifierUris that are not api://{appId}, token lifetime
 * definitions Graph refuses, missing permissions (403 Authorization_RequestDenied), unknown tokens (401).
 *
 * MSAL refuses non-https authorities, so this serves https with a self-signed certificate made at start with
 * `openssl` (on PATH on these machines; tests skip with a clear message where it is not). In-process callers pass
 * `dispatcher()` (an undici Agent trusting that certificate) to the adapter; CLI processes get `cliEnv()`
 * (NODE_EXTRA_CA_CERTS plus the authority-host and Graph-URL overrides).
 *
 * Modelled behaviours worth knowing: PATCH replaces each top-level property it names (so `api` is replaced
 * whole); DELETE of an application or service principal moves it to deleted items; a just-created app can be
 * made invisible for the next `lag` requests that name it (Entra's replication delay); `licensed: false` makes
 * token lifetime policy creation answer 403; a policy still assigned to a live app cannot be deleted (our
 * assumption, so the adapter's order is checked: unassign, delete).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { importX509, jwtVerify, decodeProtectedHeader } from 'jose';

const run = promisify(execFile);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

/** Whether `openssl` can be run (the stand-in needs it for its certificate). */
export async function haveOpenssl(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

/** A self-signed certificate + key (PEM) for `cn`, made with openssl. RSA when `rsa` (client certificates: MSAL signs PS256). */
export async function makeCertificate(dir: string, name: string, opts: { rsa?: boolean; san?: string } = {}): Promise<{ certPem: string; keyPem: string; certPath: string; keyPath: string }> {
  const certPath = join(dir, `${name}.crt.pem`);
  const keyPath = join(dir, `${name}.key.pem`);
  const keyArgs = opts.rsa ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  await run('openssl', [
    'req', '-x509', ...keyArgs, '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    ...(opts.san ? ['-addext', `subjectAltName=${opts.san}`] : []),
    '-keyout', keyPath, '-out', certPath,
  ]);
  return { certPem: await readFile(certPath, 'utf8'), keyPem: await readFile(keyPath, 'utf8'), certPath, keyPath };
}

export interface AdminClient {
  clientId: string;
  secret?: string;
  /** PEM certificate registered on the app (client assertion credentials). */
  certPem?: string;
  /** Graph application permissions granted (admin-consented). */
  roles: string[];
}

export interface StandinOptions {
  tenantId?: string;
  tenantDomain?: string;
  clients?: AdminClient[];
  /** Public clients that may run the device code flow. */
  publicClients?: string[];
  /** Delegated Graph permissions the device code user may get (short names). */
  userScopes?: string[];
  /** Device codes are approved at the first poll (CLI tests). Default false: approvePending() does it. */
  autoApproveDeviceCodes?: boolean;
  /** Seconds between device code polls the stand-in asks for. */
  deviceCodeInterval?: number;
  /** False: creating a token lifetime policy answers 403 (tenant without Entra ID P1). Default true. */
  licensed?: boolean;
  /** Requests naming a just-created app that answer as if it did not exist yet. Default 0. */
  lag?: number;
  /** Directory users (userPrincipalName), for app role assignments and their tokens' `roles`. */
  users?: string[];
  /** Directory groups: display name and direct members (userPrincipalNames). Display names need not be unique. */
  groups?: Array<{ displayName: string; members?: string[] }>;
}

export interface StoredUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
}

export interface StoredGroup {
  id: string;
  displayName: string;
  /** Direct members' object ids. */
  members: string[];
}

export interface StoredAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  principalType: 'User' | 'Group';
  principalDisplayName: string;
  resourceId: string;
  resourceDisplayName: string;
  createdDateTime: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  /** Parsed JSON (Graph) or form fields (authority, secrets masked). */
  body: unknown;
  status: number;
  /** appid (app-only) or upn (delegated) of the caller, for Graph calls. */
  caller?: string;
}

interface TokenClaims {
  [k: string]: unknown;
  roles?: string[];
  scp?: string;
  appid: string;
  tid: string;
}

export interface StoredApp {
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  isFallbackPublicClient: boolean | null;
  publicClient: { redirectUris: string[] };
  web: { redirectUris: string[] } | null;
  spa: { redirectUris: string[] } | null;
  api: Record<string, unknown>;
  identifierUris: string[];
  tokenLifetimePolicies: string[];
  appRoles: StoredAppRole[];
  [k: string]: unknown;
}

export interface StoredAppRole {
  id: string;
  value: string;
  isEnabled: boolean;
  allowedMemberTypes: string[];
  displayName: string;
  description: string;
  origin: 'Application';
}

export interface StoredPolicy {
  id: string;
  displayName: string;
  definition: string[];
  isOrganizationDefault: boolean;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
  times: number;
}

interface DeviceCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  approved: boolean;
  expiresAt: number;
}

const APP_PROPS = new Set([
  'displayName', 'signInAudience', 'isFallbackPublicClient', 'publicClient', 'web', 'spa', 'api', 'identifierUris',
  'requiredResourceAccess', 'tags', 'notes', 'description', 'appRoles', 'optionalClaims', 'info', 'groupMembershipClaims',
  'serviceManagementReference', 'defaultRedirectUri', 'parentalControlSettings', 'isDeviceOnlyAuthSupported', 'tokenEncryptionKeyId',
]);
const API_PROPS = new Set(['acceptMappedClaims', 'knownClientApplications', 'oauth2PermissionScopes', 'preAuthorizedApplications', 'requestedAccessTokenVersion']);
const SCOPE_PROPS = new Set(['id', 'value', 'type', 'isEnabled', 'adminConsentDescription', 'adminConsentDisplayName', 'userConsentDescription', 'userConsentDisplayName', 'origin']);
const SIGN_IN_AUDIENCES = ['AzureADMyOrg', 'AzureADMultipleOrgs', 'AzureADandPersonalMicrosoftAccount', 'PersonalMicrosoftAccount'];
/** appRole: `origin` is read-only and must not be sent in POST or PATCH (Graph docs, appRole resource type). */
const APP_ROLE_PROPS = new Set(['allowedMemberTypes', 'description', 'displayName', 'id', 'isEnabled', 'value']);
/** appRole.value: at most 120 characters of these, no space, not starting with a dot (Graph docs, appRole resource type). */
const ROLE_VALUE = /^(?!\.)[A-Za-z0-9:!#$%&'()*+,\-./;<=>?@[\]^_`{|}~]{1,120}$/;
const ASSIGNMENT_PROPS = new Set(['principalId', 'resourceId', 'appRoleId']);
const SP_PROPS = new Set(['appId', 'accountEnabled', 'tags', 'appRoleAssignmentRequired', 'displayName', 'notes']);
const POLICY_PROPS = new Set(['definition', 'displayName', 'isOrganizationDefault', 'description']);
/** TokenLifetimePolicy properties; the refresh/session ones were retired in 2021 (the adapter must not send them). */
const LIFETIME_KEYS = new Set(['Version', 'AccessTokenLifetime']);
const RETIRED_LIFETIME_KEYS = ['MaxInactiveTime', 'MaxAgeSingleFactor', 'MaxAgeMultiFactor', 'MaxAgeSessionSingleFactor', 'MaxAgeSessionMultiFactor'];

const APP_WRITE = ['Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy'];
const APP_READ = [...APP_WRITE, 'Application.Read.All', 'Directory.Read.All'];
const POLICY_WRITE = ['Policy.ReadWrite.ApplicationConfiguration'];
const SESSIONS = ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'];
const GROUP_READ = ['Group.Read.All', 'GroupMember.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const USER_READ = ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
/** POST appRoleAssignedTo: AppRoleAssignment.ReadWrite.All (and read access to the app); DELETE: it or Application.ReadWrite.All. */
const ASSIGN_WRITE = ['AppRoleAssignment.ReadWrite.All'];
const ASSIGN_DELETE = ['AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All'];

class HttpErr extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export class EntraStandin {
  readonly tenantId: string;
  readonly tenantDomain: string;
  readonly applications = new Map<string, StoredApp>();
  readonly servicePrincipals = new Map<string, { id: string; appId: string; displayName: string }>();
  readonly policies = new Map<string, StoredPolicy>();
  /** Soft-deleted applications and service principals, by id. */
  readonly deletedItems = new Map<string, Record<string, unknown>>();
  readonly users = new Map<string, StoredUser>();
  readonly groups = new Map<string, StoredGroup>();
  /** App role assignments, by assignment id (each on a resource service principal). */
  readonly assignments = new Map<string, StoredAssignment>();
  readonly requests: LoggedRequest[] = [];
  readonly revokedSessions: string[] = [];
  readonly deviceCodes: DeviceCode[] = [];
  /** Tokens the token endpoint issued (never printed): token -> claims. */
  private readonly tokens = new Map<string, TokenClaims>();
  private readonly faults: Fault[] = [];
  private readonly lagging = new Map<string, number>();
  private server!: Server;
  origin = '';
  host = '';
  caPem = '';
  caPath = '';
  private dir = '';
  private readonly agents: Array<{ close(): Promise<void> }> = [];

  constructor(readonly opts: StandinOptions = {}) {
    this.tenantId = opts.tenantId ?? randomUUID();
    this.tenantDomain = opts.tenantDomain ?? 'contoso.onmicrosoft.com';
    for (const upn of opts.users ?? []) this.addUser(upn);
    for (const g of opts.groups ?? []) this.addGroup(g.displayName, g.members ?? []);
  }

  /** A directory user (returns it when it exists). */
  addUser(userPrincipalName: string): StoredUser {
    const had = [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === userPrincipalName.toLowerCase());
    if (had) return had;
    const u: StoredUser = { id: randomUUID(), userPrincipalName, displayName: userPrincipalName.split('@')[0]! };
    this.users.set(u.id, u);
    return u;
  }

  /** A directory group with direct members (users made when missing). */
  addGroup(displayName: string, members: string[] = []): StoredGroup {
    const g: StoredGroup = { id: randomUUID(), displayName, members: members.map((m) => this.addUser(m).id) };
    this.groups.set(g.id, g);
    return g;
  }

  /**
   * The `roles` claim Entra puts in `upn`'s access token for app `appId`: the values of the app's enabled roles
   * assigned to the user directly or to a group the user is a direct member of (nested groups do not count).
   */
  rolesFor(upn: string, appId: string): string[] {
    const user = [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
    const app = [...this.applications.values()].find((a) => a.appId === appId);
    const sp = [...this.servicePrincipals.values()].find((x) => x.appId === appId);
    if (!user || !app || !sp) return [];
    const principals = new Set([user.id, ...[...this.groups.values()].filter((g) => g.members.includes(user.id)).map((g) => g.id)]);
    const roleIds = new Set([...this.assignments.values()].filter((a) => a.resourceId === sp.id && principals.has(a.principalId)).map((a) => a.appRoleId));
    return appRolesOf(app).filter((r) => r.isEnabled && roleIds.has(r.id)).map((r) => r.value);
  }

  /** The claims of a v2.0 access token Entra would issue to `upn` for app `appId` (scp: the app's enabled scopes). */
  userAccessTokenClaims(upn: string, appId: string): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const app = [...this.applications.values()].find((a) => a.appId === appId);
    const scopes = ((app?.api.oauth2PermissionScopes ?? []) as Array<{ value: string; isEnabled: boolean }>).filter((x) => x.isEnabled).map((x) => x.value);
    const user = [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());
    const roles = this.rolesFor(upn, appId);
    return {
      aud: appId, iss: this.issuer, iat: now, nbf: now, exp: now + 3600, azp: appId, azpacr: '0',
      oid: user?.id ?? randomUUID(), preferred_username: upn, scp: scopes.join(' '), sub: randomBytes(16).toString('base64url'),
      tid: this.tenantId, ver: '2.0', ...(roles.length ? { roles } : {}),
    };
  }

  get graphUrl(): string {
    return `${this.origin}/v1.0`;
  }

  get issuer(): string {
    return `${this.origin}/${this.tenantId}/v2.0`;
  }

  /** Starts on 127.0.0.1, port 0. */
  static async start(opts: StandinOptions = {}): Promise<EntraStandin> {
    const s = new EntraStandin(opts);
    s.dir = await mkdtemp(join(tmpdir(), 'entra-standin-'));
    const { certPem, keyPem, certPath } = await makeCertificate(s.dir, 'entra-standin', { san: 'IP:127.0.0.1,DNS:localhost' });
    s.caPem = certPem;
    s.caPath = certPath;
    s.server = createServer({ key: keyPem, cert: certPem }, (req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    const addr = s.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    s.host = `127.0.0.1:${port}`;
    s.origin = `https://${s.host}`;
    return s;
  }

  async close(): Promise<void> {
    for (const a of this.agents) await a.close().catch(() => undefined);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    if (this.dir && existsSync(this.dir)) await rm(this.dir, { recursive: true, force: true });
  }

  /** An undici Agent that trusts this stand-in's certificate, for in-process callers (adapter deps.dispatcher). */
  async dispatcher(): Promise<RequestInit['dispatcher']> {
    const { Agent } = await import('undici');
    const agent = new Agent({ connect: { ca: this.caPem } });
    this.agents.push(agent);
    return agent as unknown as RequestInit['dispatcher'];
  }

  /** Env for a CLI process: trust the certificate, and point the adapter's authority and Graph here. */
  cliEnv(): Record<string, string> {
    return {
      NODE_EXTRA_CA_CERTS: this.caPath,
      AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST: this.host,
      AGENTCORE_AUTH_GRAPH_URL: this.graphUrl,
    };
  }

  /** The next `times` requests matching method + path answer `status` with Graph's error shape. */
  fail(method: string, path: RegExp, status: number, opts: { code?: string; message?: string; times?: number; headers?: Record<string, string> } = {}): void {
    this.faults.push({ method, path, status, code: opts.code ?? 'Request_BadRequest', message: opts.message ?? 'Injected failure.', headers: opts.headers, times: opts.times ?? 1 });
  }

  /** Approves every pending device code (what the admin does in the browser). */
  approvePending(): number {
    let n = 0;
    for (const d of this.deviceCodes) if (!d.approved) (d.approved = true), n++;
    return n;
  }

  /** Graph requests only (path under /v1.0), for assertions. */
  graphRequests(): LoggedRequest[] {
    return this.requests.filter((r) => r.path.startsWith('/v1.0/'));
  }

  /** Every token the stand-in issued (tests check none of them was printed). */
  issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  // --- HTTP --------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const method = req.method ?? 'GET';
    const raw = await new Promise<string>((resolve) => {
      let b = '';
      req.setEncoding('utf8').on('data', (d: string) => (b += d)).on('end', () => resolve(b));
    });
    const entry: LoggedRequest = { method, path: url.pathname, query: url.search, body: undefined, status: 0 };
    this.requests.push(entry);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
      res.end(body !== undefined ? JSON.stringify(body) : undefined);
    };
    try {
      if (url.pathname.startsWith('/v1.0/')) {
        let body: unknown;
        if (raw) {
          if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) throw new HttpErr(415, 'Request_BadRequest', 'Content-Type must be application/json.');
          try {
            body = JSON.parse(raw);
          } catch {
            throw new HttpErr(400, 'BadRequest', 'Unable to read JSON request payload.');
          }
        }
        entry.body = body;
        const claims = this.authenticate(req);
        entry.caller = typeof claims.upn === 'string' ? claims.upn : claims.appid;
        this.injected(method, url.pathname);
        const r = this.graph(method, url, body, claims);
        send(r.status, r.body);
        return;
      }
      const form = Object.fromEntries(new URLSearchParams(raw));
      entry.body = Object.fromEntries(Object.entries(form).map(([k, v]) => [k, /^(client_secret|client_assertion|device_code|refresh_token)$/.test(k) ? '***' : v]));
      this.injected(method, url.pathname);
      const r = await this.authority(method, url, form);
      send(r.status, r.body);
    } catch (err) {
      if (err instanceof HttpErr) {
        if (url.pathname.startsWith('/v1.0/')) {
          send(err.status, { error: { code: err.code, message: err.message, innerError: { 'request-id': randomUUID(), date: new Date().toISOString() } } }, err.headers);
        } else {
          send(err.status, { error: err.code, error_description: err.message, error_codes: [Number(/AADSTS(\d+)/.exec(err.message)?.[1] ?? 0)], timestamp: new Date().toISOString() }, err.headers);
        }
        return;
      }
      send(500, { error: { code: 'InternalServerError', message: (err as Error).message } });
    }
  }

  private injected(method: string, path: string): void {
    const f = this.faults.find((x) => x.times > 0 && x.method === method && x.path.test(path));
    if (!f) return;
    f.times--;
    throw new HttpErr(f.status, f.code, f.message, f.headers);
  }

  // --- the authority -------------------------------------------------------------------------------------

  private tenantOf(segment: string): void {
    if (segment.toLowerCase() !== this.tenantId && segment.toLowerCase() !== this.tenantDomain) {
      throw new HttpErr(400, 'invalid_tenant', `AADSTS90002: Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
  }

  private async authority(method: string, url: URL, form: Record<string, string>): Promise<{ status: number; body?: unknown }> {
    const segs = url.pathname.split('/').filter(Boolean);
    const [tenant, ...rest] = segs;
    const tail = rest.join('/');
    if (method === 'GET' && tail === 'v2.0/.well-known/openid-configuration') {
      this.tenantOf(tenant!);
      const t = `${this.origin}/${this.tenantId}`;
      return {
        status: 200,
        body: {
          issuer: `${t}/v2.0`,
          authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
          token_endpoint: `${t}/oauth2/v2.0/token`,
          device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${t}/oauth2/v2.0/logout`,
          jwks_uri: `${t}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          tenant_region_scope: 'EU',
          cloud_instance_name: 'microsoftonline.com',
        },
      };
    }
    if (method === 'GET' && tail === 'discovery/v2.0/keys') return { status: 200, body: { keys: [] } };
    if (method === 'POST' && tail === 'oauth2/v2.0/devicecode') {
      this.tenantOf(tenant!);
      return this.deviceCode(form);
    }
    if (method === 'POST' && tail === 'oauth2/v2.0/token') {
      this.tenantOf(tenant!);
      return this.token(url, form);
    }
    if (segs[0] === 'devicelogin') return { status: 200, body: { page: 'enter the code' } };
    throw new HttpErr(404, 'not_found', `No route ${method} ${url.pathname}`);
  }

  private deviceCode(form: Record<string, string>): { status: number; body: unknown } {
    const clientId = form.client_id ?? '';
    if (!(this.opts.publicClients ?? []).includes(clientId)) {
      throw new HttpErr(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`);
    }
    const scopes = (form.scope ?? '').split(' ').filter(Boolean);
    const graphScopes = scopes.filter((s) => s.startsWith(`${GRAPH_RESOURCE}/`));
    if (!graphScopes.length) throw new HttpErr(400, 'invalid_scope', 'AADSTS70011: The provided value for the input parameter \'scope\' is not valid.');
    const d: DeviceCode = {
      deviceCode: randomBytes(24).toString('base64url'),
      userCode: randomBytes(5).toString('hex').toUpperCase().slice(0, 9),
      clientId,
      scopes,
      approved: this.opts.autoApproveDeviceCodes === true,
      expiresAt: Date.now() + 900_000,
    };
    this.deviceCodes.push(d);
    return {
      status: 200,
      body: {
        user_code: d.userCode,
        device_code: d.deviceCode,
        verification_uri: `${this.origin}/devicelogin`,
        expires_in: 900,
        interval: this.opts.deviceCodeInterval ?? 1,
        message: `To sign in, use a web browser to open the page ${this.origin}/devicelogin and enter the code ${d.userCode} to authenticate.`,
      },
    };
  }

  private async token(url: URL, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const grant = form.grant_type;
    const now = Math.floor(Date.now() / 1000);
    if (grant === 'client_credentials') {
      const client = (this.opts.clients ?? []).find((c) => c.clientId === form.client_id);
      if (!client) throw new HttpErr(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.client_id}' was not found in the directory '${this.tenantDomain}'.`);
      if (form.scope !== `${GRAPH_RESOURCE}/.default`) {
        throw new HttpErr(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${form.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      }
      if (form.client_secret !== undefined) {
        if (form.client_secret !== client.secret) throw new HttpErr(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`);
      } else if (form.client_assertion !== undefined) {
        if (form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') throw new HttpErr(400, 'invalid_request', 'AADSTS50027: client_assertion_type is wrong.');
        await this.checkAssertion(client, form.client_assertion, `${this.origin}${url.pathname}`);
      } else {
        throw new HttpErr(401, 'invalid_client', 'AADSTS7000218: The request body must contain the following parameter: \'client_assertion\' or \'client_secret\'.');
      }
      const access = this.issue({ aud: GRAPH_RESOURCE, iss: `https://sts.windows.net/${this.tenantId}/`, appid: client.clientId, idtyp: 'app', roles: client.roles, tid: this.tenantId, oid: randomUUID(), iat: now, nbf: now, exp: now + 3600, ver: '1.0' });
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: access } };
    }
    // Entra takes the RFC 8628 name and its own short one (MSAL sends `device_code`).
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code' || grant === 'device_code') {
      const d = this.deviceCodes.find((x) => x.deviceCode === form.device_code && x.clientId === form.client_id);
      if (!d) throw new HttpErr(400, 'invalid_grant', 'AADSTS70000: The provided value for the \'device_code\' is not valid.');
      if (Date.now() > d.expiresAt) throw new HttpErr(400, 'expired_token', 'AADSTS70020: The provided value for the input parameter \'device_code\' is not valid. This device code has expired.');
      if (!d.approved) throw new HttpErr(400, 'authorization_pending', 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
      const allowed = this.opts.userScopes ?? [];
      const granted = d.scopes.filter((s) => s.startsWith(`${GRAPH_RESOURCE}/`)).map((s) => s.slice(GRAPH_RESOURCE.length + 1)).filter((s) => allowed.includes(s));
      const oid = '99999999-8888-7777-6666-555555555555';
      const access = this.issue({ aud: GRAPH_RESOURCE, iss: `https://sts.windows.net/${this.tenantId}/`, appid: d.clientId, idtyp: 'user', scp: granted.join(' '), upn: `admin@${this.tenantDomain}`, tid: this.tenantId, oid, iat: now, nbf: now, exp: now + 3600, ver: '1.0' });
      const idToken = `${b64u({ alg: 'RS256', typ: 'JWT', kid: 'standin' })}.${b64u({ aud: d.clientId, iss: this.issuer, tid: this.tenantId, oid, sub: 'admin-sub', preferred_username: `admin@${this.tenantDomain}`, name: 'Stand-in Admin', iat: now, nbf: now, exp: now + 3600, ver: '2.0' })}.${randomBytes(32).toString('base64url')}`;
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          scope: granted.map((s) => `${GRAPH_RESOURCE}/${s}`).join(' '),
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: access,
          refresh_token: randomBytes(32).toString('base64url'),
          id_token: idToken,
          client_info: b64u({ uid: oid, utid: this.tenantId }),
        },
      };
    }
    throw new HttpErr(400, 'unsupported_grant_type', `AADSTS70003: The app requested an unsupported grant type '${grant}'.`);
  }

  private async checkAssertion(client: AdminClient, assertion: string, tokenEndpoint: string): Promise<void> {
    if (!client.certPem) throw new HttpErr(401, 'invalid_client', `AADSTS700027: Client assertion failed signature validation: no certificate on app '${client.clientId}'.`);
    const header = decodeProtectedHeader(assertion);
    const der = new X509Certificate(client.certPem).raw;
    const x5t256 = createHash('sha256').update(der).digest('base64url');
    if (header['x5t#S256'] !== x5t256 && header.x5t !== createHash('sha1').update(der).digest('base64url')) {
      throw new HttpErr(401, 'invalid_client', 'AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.');
    }
    const alg = String(header.alg);
    if (!['PS256', 'RS256'].includes(alg)) throw new HttpErr(401, 'invalid_client', `AADSTS5002730: Invalid JWT token. Unsupported key for the signing algorithm ${alg}.`);
    try {
      await jwtVerify(assertion, await importX509(client.certPem, alg), { audience: tokenEndpoint, issuer: client.clientId, subject: client.clientId, clockTolerance: 300 });
    } catch (err) {
      throw new HttpErr(401, 'invalid_client', `AADSTS700027: Client assertion failed signature validation (${(err as Error).message}).`);
    }
  }

  private issue(claims: TokenClaims): string {
    const token = `${b64u({ typ: 'JWT', alg: 'RS256', kid: 'standin' })}.${b64u(claims)}.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(token, claims);
    return token;
  }

  // --- Graph ---------------------------------------------------------------------------------------------

  private authenticate(req: IncomingMessage): TokenClaims {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const claims = m ? this.tokens.get(m[1]!) : undefined;
    if (!claims) throw new HttpErr(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    return claims;
  }

  private need(claims: TokenClaims, anyOf: string[]): void {
    const granted = new Set([...(claims.roles ?? []), ...(claims.scp ? claims.scp.split(' ') : [])]);
    if (!anyOf.some((p) => granted.has(p))) throw new HttpErr(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }

  private notFound(id: string): HttpErr {
    return new HttpErr(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
  }

  /** A just-created app still replicating: invisible for the next `lag` requests naming it. */
  private lags(id: string): boolean {
    const n = this.lagging.get(id) ?? 0;
    if (n <= 0) return false;
    this.lagging.set(id, n - 1);
    return true;
  }

  private app(id: string): StoredApp {
    const a = this.applications.get(id);
    if (!a || this.lags(a.id)) throw this.notFound(id);
    return a;
  }

  private graph(method: string, url: URL, body: unknown, claims: TokenClaims): { status: number; body?: unknown } {
    const p = url.pathname.slice('/v1.0'.length);
    let m: RegExpExecArray | null;
    if (method === 'POST' && p === '/applications') {
      this.need(claims, APP_WRITE);
      return { status: 201, body: this.createApp(obj(body, 'application')) };
    }
    if ((m = /^\/applications\(appId='([^']+)'\)$/.exec(p))) {
      this.need(claims, APP_READ);
      const a = [...this.applications.values()].find((x) => x.appId === decodeURIComponent(m![1]!));
      if (!a || this.lags(a.id)) throw this.notFound(m[1]!);
      if (method === 'GET') return { status: 200, body: select(a, url) };
    }
    if ((m = /^\/applications\/([^/]+)$/.exec(p))) {
      const id = m[1]!;
      if (method === 'GET') {
        this.need(claims, APP_READ);
        return { status: 200, body: select(this.app(id), url) };
      }
      if (method === 'PATCH') {
        this.need(claims, APP_WRITE);
        this.patchApp(this.app(id), obj(body, 'application'));
        return { status: 204 };
      }
      if (method === 'DELETE') {
        this.need(claims, APP_WRITE);
        const a = this.app(id);
        this.applications.delete(id);
        this.deletedItems.set(id, { ...a, '@odata.type': '#microsoft.graph.application', deletedDateTime: new Date().toISOString() });
        return { status: 204 };
      }
    }
    if ((m = /^\/applications\/([^/]+)\/tokenLifetimePolicies\/\$ref$/.exec(p)) && method === 'POST') {
      this.need(claims, POLICY_WRITE);
      this.need(claims, APP_WRITE);
      const a = this.app(m[1]!);
      const b = obj(body, 'reference');
      onlyProps(b, new Set(['@odata.id']), 'reference');
      const ref = b['@odata.id'];
      const rm = typeof ref === 'string' ? new RegExp(`^(?:${esc(this.graphUrl)}|${esc(GRAPH_RESOURCE)}/v1\\.0)/policies/tokenLifetimePolicies/([0-9a-f-]{36})$`).exec(ref) : null;
      if (!rm) throw new HttpErr(400, 'Request_BadRequest', `Invalid object identifier '${String(ref)}'.`);
      if (!this.policies.has(rm[1]!)) throw this.notFound(rm[1]!);
      if (a.tokenLifetimePolicies.length) throw new HttpErr(400, 'Request_BadRequest', 'One or more added object references already exist for the following modified properties: \'tokenLifetimePolicies\'.');
      a.tokenLifetimePolicies.push(rm[1]!);
      return { status: 204 };
    }
    if ((m = /^\/applications\/([^/]+)\/tokenLifetimePolicies\/([^/]+)\/\$ref$/.exec(p)) && method === 'DELETE') {
      this.need(claims, POLICY_WRITE);
      this.need(claims, APP_WRITE);
      const a = this.app(m[1]!);
      const i = a.tokenLifetimePolicies.indexOf(m[2]!);
      if (i < 0) throw this.notFound(m[2]!);
      a.tokenLifetimePolicies.splice(i, 1);
      return { status: 204 };
    }
    if (p === '/groups' && method === 'GET') {
      this.need(claims, GROUP_READ);
      const name = displayNameFilter(url);
      // Graph compares display names case-insensitively.
      const value = [...this.groups.values()].filter((g) => g.displayName.toLowerCase() === name.toLowerCase()).map(({ id, displayName }) => ({ id, displayName }));
      return { status: 200, body: { '@odata.context': `${this.graphUrl}/$metadata#groups`, value } };
    }
    if ((m = /^\/groups\/([^/]+)$/.exec(p)) && method === 'GET') {
      this.need(claims, GROUP_READ);
      const g = this.groups.get(m[1]!);
      if (!g) throw this.notFound(m[1]!);
      return { status: 200, body: { id: g.id, displayName: g.displayName } };
    }
    if ((m = /^\/users\/([^/]+)$/.exec(p)) && method === 'GET') {
      this.need(claims, USER_READ);
      const key = decodeURIComponent(m[1]!).toLowerCase();
      const u = [...this.users.values()].find((x) => x.id === key || x.userPrincipalName.toLowerCase() === key);
      if (!u) throw this.notFound(decodeURIComponent(m[1]!));
      return { status: 200, body: { ...u } };
    }
    if ((m = /^\/servicePrincipals\(appId='([^']+)'\)$/.exec(p)) && method === 'GET') {
      this.need(claims, APP_READ);
      const sp = [...this.servicePrincipals.values()].find((x) => x.appId === decodeURIComponent(m![1]!));
      if (!sp) throw this.notFound(m[1]!);
      return { status: 200, body: sp };
    }
    if ((m = /^\/servicePrincipals\/([^/]+)\/appRoleAssignedTo$/.exec(p))) {
      const sp = this.servicePrincipals.get(m[1]!);
      if (!sp) throw this.notFound(m[1]!);
      if (method === 'GET') {
        this.need(claims, APP_READ);
        return { status: 200, body: { '@odata.context': `${this.graphUrl}/$metadata#servicePrincipals('${sp.id}')/appRoleAssignedTo`, value: [...this.assignments.values()].filter((a) => a.resourceId === sp.id) } };
      }
      if (method === 'POST') {
        this.need(claims, ASSIGN_WRITE);
        this.need(claims, APP_READ);
        return { status: 201, body: this.assign(sp, obj(body, 'appRoleAssignment')) };
      }
    }
    if ((m = /^\/servicePrincipals\/([^/]+)\/appRoleAssignedTo\/([^/]+)$/.exec(p)) && method === 'DELETE') {
      this.need(claims, ASSIGN_DELETE);
      const sp = this.servicePrincipals.get(m[1]!);
      const a = this.assignments.get(m[2]!);
      if (!sp || !a || a.resourceId !== sp.id) throw this.notFound(m[2]!);
      this.assignments.delete(a.id);
      return { status: 204 };
    }
    if (p === '/servicePrincipals' && method === 'POST') {
      this.need(claims, APP_WRITE);
      const b = obj(body, 'servicePrincipal');
      onlyProps(b, SP_PROPS, 'servicePrincipal');
      if (typeof b.appId !== 'string' || !GUID.test(b.appId)) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'appId\' of resource \'ServicePrincipal\'.');
      const a = [...this.applications.values()].find((x) => x.appId === b.appId);
      if (!a || this.lags(a.id)) throw new HttpErr(400, 'Request_BadRequest', `The appId '${b.appId}' of the service principal does not reference a valid application object.`);
      if ([...this.servicePrincipals.values()].some((s) => s.appId === b.appId)) {
        throw new HttpErr(409, 'Request_MultipleObjectsWithSameKeyValue', 'Another object with the same value for property servicePrincipalNames already exists.');
      }
      const sp = { id: randomUUID(), appId: a.appId, displayName: a.displayName };
      this.servicePrincipals.set(sp.id, sp);
      return { status: 201, body: { ...sp, servicePrincipalType: 'Application', accountEnabled: true } };
    }
    if ((m = /^\/servicePrincipals\/([^/]+)$/.exec(p))) {
      const sp = this.servicePrincipals.get(m[1]!);
      if (!sp) throw this.notFound(m[1]!);
      if (method === 'GET') {
        this.need(claims, APP_READ);
        return { status: 200, body: sp };
      }
      if (method === 'DELETE') {
        this.need(claims, APP_WRITE);
        this.servicePrincipals.delete(sp.id);
        // Its app role assignments go with it.
        for (const a of [...this.assignments.values()]) if (a.resourceId === sp.id) this.assignments.delete(a.id);
        this.deletedItems.set(sp.id, { ...sp, '@odata.type': '#microsoft.graph.servicePrincipal', deletedDateTime: new Date().toISOString() });
        return { status: 204 };
      }
    }
    if (p === '/policies/tokenLifetimePolicies' && method === 'POST') {
      this.need(claims, POLICY_WRITE);
      if (this.opts.licensed === false) throw new HttpErr(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
      return { status: 201, body: this.createPolicy(obj(body, 'tokenLifetimePolicy')) };
    }
    if ((m = /^\/policies\/tokenLifetimePolicies\/([^/]+)$/.exec(p))) {
      const pol = this.policies.get(m[1]!);
      if (!pol) throw this.notFound(m[1]!);
      if (method === 'GET') return { status: 200, body: pol };
      if (method === 'DELETE') {
        this.need(claims, POLICY_WRITE);
        if ([...this.applications.values()].some((a) => a.tokenLifetimePolicies.includes(pol.id))) {
          throw new HttpErr(400, 'Request_BadRequest', 'The policy is still assigned to an application: remove the assignment first.');
        }
        this.policies.delete(pol.id);
        return { status: 204 };
      }
    }
    if ((m = /^\/directory\/deletedItems\/([^/]+)$/.exec(p))) {
      const item = this.deletedItems.get(m[1]!);
      if (!item) throw this.notFound(m[1]!);
      if (method === 'GET') {
        this.need(claims, APP_READ);
        return { status: 200, body: item };
      }
      if (method === 'DELETE') {
        this.need(claims, APP_WRITE);
        this.deletedItems.delete(m[1]!);
        return { status: 204 };
      }
    }
    if ((m = /^\/users\/([^/]+)\/revokeSignInSessions$/.exec(p)) && method === 'POST') {
      this.need(claims, SESSIONS);
      if (body !== undefined) throw new HttpErr(400, 'Request_BadRequest', 'revokeSignInSessions takes no request body.');
      this.revokedSessions.push(m[1]!);
      return { status: 200, body: { '@odata.context': `${this.graphUrl}/$metadata#Edm.Boolean`, value: true } };
    }
    throw new HttpErr(400, 'BadRequest', `Resource not found for the segment '${p.split('/')[1] ?? ''}'.`);
  }

  private createApp(b: Record<string, unknown>): StoredApp {
    onlyProps(b, APP_PROPS, 'application');
    if (typeof b.displayName !== 'string' || !b.displayName.trim() || b.displayName.length > 256) {
      throw new HttpErr(400, 'Request_BadRequest', 'Property displayName is required and must be a non-empty string (at most 256 characters).');
    }
    const appId = randomUUID();
    const a: StoredApp = {
      id: randomUUID(),
      appId,
      displayName: b.displayName,
      appRoles: [],
      signInAudience: 'AzureADandPersonalMicrosoftAccount',
      isFallbackPublicClient: null,
      publicClient: { redirectUris: [] },
      web: null,
      spa: null,
      api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [], knownClientApplications: [], acceptMappedClaims: null },
      identifierUris: [],
      tokenLifetimePolicies: [],
      createdDateTime: new Date().toISOString(),
      publisherDomain: this.tenantDomain,
    };
    this.applyAppProps(a, b);
    this.applications.set(a.id, a);
    if (this.opts.lag) this.lagging.set(a.id, this.opts.lag);
    return a;
  }

  private patchApp(a: StoredApp, b: Record<string, unknown>): void {
    onlyProps(b, APP_PROPS, 'application');
    if ('displayName' in b && (typeof b.displayName !== 'string' || !b.displayName.trim())) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'displayName\'.');
    if ('api' in b) {
      // Enabled scopes cannot be removed or changed in place (they must be disabled first).
      const next = ((b.api as Record<string, unknown> | null)?.oauth2PermissionScopes as Array<Record<string, unknown>> | undefined) ?? [];
      for (const old of (a.api.oauth2PermissionScopes as Array<Record<string, unknown>>) ?? []) {
        const same = next.find((n) => n.id === old.id);
        if (old.isEnabled && (!same || same.value !== old.value)) {
          throw new HttpErr(400, 'CannotDeleteOrUpdateEnabledEntitlement', 'Permission (scope or role) cannot be deleted or updated unless disabled first.');
        }
      }
    }
    if ('appRoles' in b && Array.isArray(b.appRoles)) {
      // Graph: an app role must be disabled (isEnabled false) in one update before another removes or changes it.
      const next = b.appRoles as Array<Record<string, unknown>>;
      for (const old of appRolesOf(a)) {
        const same = next.find((n) => n && typeof n === 'object' && n.id === old.id);
        if (old.isEnabled && (!same || same.value !== old.value)) {
          throw new HttpErr(400, 'CannotDeleteOrUpdateEnabledEntitlement', 'Permission (scope or role) cannot be deleted or updated unless disabled first.');
        }
      }
    }
    const copy = structuredClone(a);
    this.applyAppProps(copy, b);
    Object.assign(a, copy);
  }

  /** Validates and applies application properties (top-level replace, as Graph's PATCH does). */
  private applyAppProps(a: StoredApp, b: Record<string, unknown>): void {
    if ('displayName' in b) a.displayName = String(b.displayName);
    if ('signInAudience' in b) {
      if (!SIGN_IN_AUDIENCES.includes(String(b.signInAudience))) throw new HttpErr(400, 'Request_BadRequest', `Invalid value specified for property 'signInAudience' of resource 'Application'.`);
      a.signInAudience = String(b.signInAudience);
    }
    if ('isFallbackPublicClient' in b) {
      if (b.isFallbackPublicClient !== null && typeof b.isFallbackPublicClient !== 'boolean') throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'isFallbackPublicClient\': a boolean.');
      a.isFallbackPublicClient = b.isFallbackPublicClient as boolean | null;
    }
    for (const platform of ['publicClient', 'web', 'spa'] as const) {
      if (!(platform in b)) continue;
      const v = b[platform];
      const o = obj(v, platform);
      const allowed = platform === 'web' ? new Set(['redirectUris', 'homePageUrl', 'logoutUrl', 'implicitGrantSettings', 'redirectUriSettings']) : new Set(['redirectUris']);
      onlyProps(o, allowed, platform);
      const uris = o.redirectUris ?? [];
      if (!Array.isArray(uris) || !uris.every((u) => typeof u === 'string')) throw new HttpErr(400, 'Request_BadRequest', `Invalid value specified for property 'redirectUris' of resource '${platform}'.`);
      for (const u of uris as string[]) checkRedirectUri(u, platform);
      if (platform === 'publicClient') a.publicClient = { redirectUris: uris as string[] };
      else a[platform] = { redirectUris: uris as string[] };
    }
    if ('identifierUris' in b) {
      const v = b.identifierUris;
      if (!Array.isArray(v) || !v.every((u) => typeof u === 'string')) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'identifierUris\': an array of strings.');
      for (const u of v as string[]) {
        // The default app management policy: api:// URIs must name this app's id (or a verified domain).
        if (u !== `api://${a.appId}` && !u.startsWith(`api://${a.appId}/`)) {
          throw new HttpErr(400, 'HostNameNotOnVerifiedDomain', `Values of identifierUris property must use a verified domain of the organization or its subdomain: '${u}'`);
        }
      }
      a.identifierUris = v as string[];
    }
    if ('api' in b) {
      const api = obj(b.api, 'apiApplication');
      onlyProps(api, API_PROPS, 'apiApplication');
      const ver = api.requestedAccessTokenVersion;
      if (ver !== undefined && ver !== null && ver !== 1 && ver !== 2) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'requestedAccessTokenVersion\': 1, 2 or null.');
      const scopes = api.oauth2PermissionScopes ?? [];
      if (!Array.isArray(scopes)) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'oauth2PermissionScopes\'.');
      const ids = new Set<string>();
      const values = new Set<string>();
      for (const s of scopes) checkScope(obj(s, 'permissionScope'), ids, values);
      if ((scopes as unknown[]).length && !a.identifierUris.length && !(Array.isArray(b.identifierUris) && b.identifierUris.length)) {
        throw new HttpErr(400, 'Request_BadRequest', 'An application with delegated permissions (oauth2PermissionScopes) must have an identifier URI.');
      }
      // The whole api object is replaced: what is not sent goes back to its default.
      a.api = {
        requestedAccessTokenVersion: ver ?? null,
        oauth2PermissionScopes: scopes,
        preAuthorizedApplications: api.preAuthorizedApplications ?? [],
        knownClientApplications: api.knownClientApplications ?? [],
        acceptMappedClaims: api.acceptMappedClaims ?? null,
      };
    }
    if ('appRoles' in b) {
      const roles = b.appRoles;
      if (!Array.isArray(roles)) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'appRoles\' of resource \'Application\'.');
      const ids = new Set<string>();
      const values = new Set<string>();
      for (const r of roles) checkAppRole(obj(r, 'appRole'), ids, values);
      // Ids are unique across the app's roles and its delegated scopes.
      for (const sc of (a.api.oauth2PermissionScopes as Array<{ id: string }>) ?? []) {
        if (ids.has(sc.id)) throw new HttpErr(400, 'Request_BadRequest', 'The id of an app role must differ from the ids of the app\'s permission scopes.');
      }
      // Stored as Graph returns it: origin is read-only, set by Graph.
      a.appRoles = (roles as Array<Record<string, unknown>>).map((r) => ({ ...r, isEnabled: r.isEnabled ?? true, origin: 'Application' }) as StoredAppRole);
    }
    for (const k of ['requiredResourceAccess', 'tags', 'notes', 'description']) if (k in b) a[k] = b[k];
  }

  /** POST /servicePrincipals/{id}/appRoleAssignedTo, as Graph validates it. */
  private assign(sp: { id: string; appId: string; displayName: string }, b: Record<string, unknown>): StoredAssignment {
    onlyProps(b, ASSIGNMENT_PROPS, 'appRoleAssignment');
    for (const k of ['principalId', 'resourceId', 'appRoleId']) {
      if (typeof b[k] !== 'string' || !GUID.test(b[k] as string)) throw new HttpErr(400, 'Request_BadRequest', `Invalid value specified for property '${k}' of resource 'AppRoleAssignment': a GUID.`);
    }
    if (b.resourceId !== sp.id) throw new HttpErr(400, 'Request_BadRequest', 'The resourceId of an app role assignment must be the service principal it is posted to.');
    const user = this.users.get(b.principalId as string);
    const group = this.groups.get(b.principalId as string);
    if (!user && !group) throw new HttpErr(404, 'Request_ResourceNotFound', `Resource '${String(b.principalId)}' does not exist or one of its queried reference-property objects are not present.`);
    const app = [...this.applications.values()].find((a) => a.appId === sp.appId);
    const role = app ? appRolesOf(app).find((r) => r.id === b.appRoleId) : undefined;
    if (!role || !role.isEnabled || !role.allowedMemberTypes.includes('User')) {
      throw new HttpErr(400, 'Request_BadRequest', 'Permission being assigned was not found on application');
    }
    if ([...this.assignments.values()].some((a) => a.resourceId === sp.id && a.principalId === b.principalId && a.appRoleId === b.appRoleId)) {
      throw new HttpErr(400, 'Request_BadRequest', 'Permission being assigned already exists on the object');
    }
    const a: StoredAssignment = {
      id: randomBytes(32).toString('base64url').slice(0, 43),
      appRoleId: role.id,
      principalId: b.principalId as string,
      principalType: user ? 'User' : 'Group',
      principalDisplayName: user ? user.displayName : group!.displayName,
      resourceId: sp.id,
      resourceDisplayName: sp.displayName,
      createdDateTime: new Date().toISOString(),
    };
    this.assignments.set(a.id, a);
    return a;
  }

  private createPolicy(b: Record<string, unknown>): StoredPolicy {
    onlyProps(b, POLICY_PROPS, 'tokenLifetimePolicy');
    if (typeof b.displayName !== 'string' || !b.displayName.trim()) throw new HttpErr(400, 'Request_BadRequest', 'Property displayName is required.');
    if (b.isOrganizationDefault !== undefined && typeof b.isOrganizationDefault !== 'boolean') throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'isOrganizationDefault\'.');
    const def = b.definition;
    if (!Array.isArray(def) || def.length !== 1 || typeof def[0] !== 'string') {
      throw new HttpErr(400, 'Request_BadRequest', 'Property definition has an invalid value: an array holding one JSON string.');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(def[0]);
    } catch {
      throw new HttpErr(400, 'Request_BadRequest', 'Property definition has an invalid value.');
    }
    const tlp = (parsed as { TokenLifetimePolicy?: Record<string, unknown> })?.TokenLifetimePolicy;
    if (!tlp || typeof tlp !== 'object' || Object.keys(parsed as object).length !== 1) throw new HttpErr(400, 'Request_BadRequest', 'Property definition has an invalid value.');
    for (const k of Object.keys(tlp)) {
      if (RETIRED_LIFETIME_KEYS.includes(k) || !LIFETIME_KEYS.has(k)) throw new HttpErr(400, 'Request_BadRequest', `Property definition has an invalid value ('${k}').`);
    }
    if (tlp.Version !== 1) throw new HttpErr(400, 'Request_BadRequest', 'Property definition has an invalid value (Version must be 1).');
    const life = tlp.AccessTokenLifetime;
    const lm = typeof life === 'string' ? /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(life) : null;
    const secs = lm ? Number(lm[1]) * 3600 + Number(lm[2]) * 60 + Number(lm[3]) : NaN;
    if (!lm || Number(lm[2]) > 59 || Number(lm[3]) > 59 || secs < 600 || secs >= 86400) {
      throw new HttpErr(400, 'Request_BadRequest', `Property definition has an invalid value (AccessTokenLifetime '${String(life)}': 00:10:00 to 23:59:59).`);
    }
    const pol: StoredPolicy = { id: randomUUID(), displayName: b.displayName, definition: def as string[], isOrganizationDefault: b.isOrganizationDefault === true };
    this.policies.set(pol.id, pol);
    return pol;
  }
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function obj(v: unknown, type: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpErr(400, 'Request_BadRequest', `A JSON object was expected for '${type}'.`);
  return v as Record<string, unknown>;
}

function onlyProps(o: Record<string, unknown>, allowed: Set<string>, type: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) throw new HttpErr(400, 'Request_BadRequest', `Property '${k}' does not exist on type 'microsoft.graph.${type}'. Make sure to only use property names that are defined by the type.`);
  }
}

function checkRedirectUri(u: string, platform: string): void {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new HttpErr(400, 'Request_BadRequest', `Invalid value specified for property 'redirectUris' of resource '${platform}': '${u}'.`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !loopback) throw new HttpErr(400, 'Request_BadRequest', `Redirect URI '${u}' must use https (http is allowed for localhost only).`);
  if (url.hash) throw new HttpErr(400, 'Request_BadRequest', `Redirect URI '${u}' cannot contain a fragment.`);
}

function appRolesOf(a: StoredApp): StoredAppRole[] {
  return a.appRoles ?? [];
}

function checkAppRole(r: Record<string, unknown>, ids: Set<string>, values: Set<string>): void {
  if ('origin' in r) throw new HttpErr(400, 'Request_BadRequest', 'Property \'origin\' of an app role is read-only: it must not be included in POST or PATCH requests.');
  onlyProps(r, APP_ROLE_PROPS, 'appRole');
  if (typeof r.id !== 'string' || !GUID.test(r.id)) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'id\' of resource \'AppRole\': a GUID.');
  if (ids.has(r.id)) throw new HttpErr(400, 'Request_BadRequest', 'App role ids must be unique.');
  ids.add(r.id);
  if (typeof r.value !== 'string' || !ROLE_VALUE.test(r.value)) {
    throw new HttpErr(400, 'Request_BadRequest', `Invalid value specified for property 'value' of resource 'AppRole': '${String(r.value)}' (at most 120 characters, no spaces, not starting with a dot).`);
  }
  if (values.has(r.value)) throw new HttpErr(400, 'Request_BadRequest', `App role values must be unique: '${r.value}'.`);
  values.add(r.value);
  const types = r.allowedMemberTypes;
  if (!Array.isArray(types) || !types.length || !types.every((t) => t === 'User' || t === 'Application') || new Set(types).size !== types.length) {
    throw new HttpErr(400, 'Request_BadRequest', 'Property allowedMemberTypes of an app role must hold "User", "Application" or both.');
  }
  for (const k of ['displayName', 'description']) {
    if (typeof r[k] !== 'string' || !(r[k] as string).trim()) throw new HttpErr(400, 'Request_BadRequest', `Property ${k} of an app role is required.`);
  }
  if (r.isEnabled !== undefined && typeof r.isEnabled !== 'boolean') throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'isEnabled\' of resource \'AppRole\'.');
}

/** `$filter=displayName eq 'Name'` (quotes doubled inside), the only filter the stand-in understands. */
function displayNameFilter(url: URL): string {
  const f = url.searchParams.get('$filter');
  const m = f ? /^displayName eq '((?:[^']|'')*)'$/.exec(f) : null;
  if (!m) throw new HttpErr(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified for property 'displayName' of resource 'Group': ${String(f)}`);
  return m[1]!.replace(/''/g, "'");
}

function checkScope(s: Record<string, unknown>, ids: Set<string>, values: Set<string>): void {
  onlyProps(s, SCOPE_PROPS, 'permissionScope');
  if (typeof s.id !== 'string' || !GUID.test(s.id)) throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'id\' of resource \'PermissionScope\': a GUID.');
  if (ids.has(s.id)) throw new HttpErr(400, 'Request_BadRequest', 'Permission scope ids must be unique.');
  ids.add(s.id);
  if (typeof s.value !== 'string' || !/^[^\s.][^\s]{0,119}$/.test(s.value)) throw new HttpErr(400, 'Request_BadRequest', 'Property value of a permission scope must have no spaces, not start with a dot, and be at most 120 characters.');
  if (values.has(s.value)) throw new HttpErr(400, 'Request_BadRequest', 'Permission scope values must be unique.');
  values.add(s.value);
  if (s.type !== 'User' && s.type !== 'Admin') throw new HttpErr(400, 'Request_BadRequest', 'Invalid value specified for property \'type\' of resource \'PermissionScope\': User or Admin.');
  if (typeof s.isEnabled !== 'boolean') throw new HttpErr(400, 'Request_BadRequest', 'Property isEnabled of a permission scope is required (boolean).');
  for (const k of ['adminConsentDisplayName', 'adminConsentDescription']) {
    if (typeof s[k] !== 'string' || !(s[k] as string).trim()) throw new HttpErr(400, 'Request_BadRequest', `Property ${k} of a permission scope is required.`);
  }
  for (const k of ['userConsentDisplayName', 'userConsentDescription']) {
    if (s[k] !== undefined && s[k] !== null && typeof s[k] !== 'string') throw new HttpErr(400, 'Request_BadRequest', `Invalid value specified for property '${k}'.`);
  }
}

/** $select=a,b: only those properties (plus id), as Graph returns them. */
function select(a: Record<string, unknown>, url: URL): Record<string, unknown> {
  const sel = url.searchParams.get('$select');
  if (!sel) return a;
  const out: Record<string, unknown> = { id: a.id };
  for (const k of sel.split(',')) {
    if (!(k in a)) throw new HttpErr(400, 'Request_BadRequest', `Could not find a property named '${k}' on type 'microsoft.graph.application'.`);
    out[k] = a[k];
  }
  return out;
}

/** Writes `text` to a file in a fresh temp dir (client certificate PEMs for the CLI). */
export async function writeTemp(name: string, text: string): Promise<{ path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'entra-file-'));
  const path = join(dir, name);
  await writeFile(path, text, { mode: 0o600 });
  return { path, dir };
}

/**
 * Debian's glewlwyd (an OpenID provider this project did not write) in a test: its own config file, a sqlite
 * database initialised from the schema the package ships, a free loopback port; then configured through its admin
 * REST API (the shipped schema's admin/password account): scopes, one password user, and an OpenID Connect plugin
 * instance with open dynamic client registration (RFC 7591) and management (RFC 7592), PKCE, refresh tokens and
 * RS256 JWT access tokens signed with a key made here.
 *
 *   glewlwydMissing()           why the tests cannot run here (no binary, no sqlite3, no schema), or undefined
 *   startGlewlwyd(dir)          the running server: issuer, api, admin calls, stop()
 *
 * Facts found while writing this (glewlwyd 2.7.5; see README.md, "Testing against software we did not write"):
 *   - the authorization endpoint always redirects to its login page first, even with a signed-in session; the
 *     page sends the browser back with `g_continue` added, after the user granted the scopes (PUT /api/auth/grant,
 *     the scope list separated by spaces, not by commas as API.md says; the user needs the g_profile scope);
 *   - a nonce is required whenever openid is asked (hard-coded, no setting), checked only after sign-in;
 *   - RFC 7591 registration with token_endpoint_auth_method "none" stores a confidential client unless the
 *     request also says client_confidential: false (then the token endpoint answers 403 unauthorized_client);
 *   - RFC 7592 DELETE disables the client (enabled: false) and its registration token; the row stays.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort, redactedTail } from './cli.js';

const BINARIES = ['/usr/bin/glewlwyd', '/usr/sbin/glewlwyd'];
const SCHEMA = '/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz';
const MODULES = '/usr/lib/glewlwyd';

/** The test user (a password sign-in; the password is a test value, never a real one). */
export const GLEWLWYD_USER = { username: 'alice', password: 'alice-test-password-1' };
/** Scopes the test user holds; the discovery document lists all but g_profile. */
export const GLEWLWYD_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'mcp'];

export function glewlwydBinary(): string | undefined {
  return BINARIES.find((b) => existsSync(b));
}

/** Why glewlwyd cannot run here, or undefined when it can. */
export function glewlwydMissing(): string | undefined {
  if (process.platform !== 'linux') return 'glewlwyd tests run on Linux only';
  if (!glewlwydBinary()) return `glewlwyd is not installed (${BINARIES.join(' or ')} missing; Debian/Ubuntu: apt-get install -y glewlwyd)`;
  if (!existsSync(SCHEMA)) return `the glewlwyd package's sqlite schema ${SCHEMA} is missing`;
  if (!existsSync(join(MODULES, 'plugin', 'libprotocol_oidc.so'))) return `glewlwyd's OIDC plugin ${MODULES}/plugin/libprotocol_oidc.so is missing`;
  if (spawnSync('sqlite3', ['-version'], { stdio: 'ignore' }).status !== 0) return 'sqlite3 (a dependency of the glewlwyd package) is not on PATH';
  return undefined;
}

export interface Glewlwyd {
  origin: string;
  /** The REST API root, e.g. http://127.0.0.1:PORT/api */
  api: string;
  /** The OIDC plugin's issuer (its discovery document is at issuer + /.well-known/openid-configuration). */
  issuer: string;
  /** An admin API call (cookie session of the shipped admin account). */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** A client as glewlwyd's admin API has it (null when it does not exist). */
  client(clientId: string): Promise<Record<string, unknown> | null>;
  /** The server's log so far (it never logs tokens at INFO). */
  log(): string;
  stop(): Promise<void>;
}

export async function startGlewlwyd(dir: string): Promise<Glewlwyd> {
  const binary = glewlwydBinary();
  if (!binary) throw new Error(glewlwydMissing());
  const db = join(dir, 'glewlwyd.sqlite');
  const init = spawnSync('sqlite3', [db], { input: gunzipSync(readFileSync(SCHEMA)), encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`sqlite3 could not load ${SCHEMA}: ${init.stderr}`);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const conf = join(dir, 'glewlwyd.conf');
  await writeFile(
    conf,
    [
      `port=${port}`,
      'bind_address="127.0.0.1"',
      `external_url="${origin}"`,
      'login_url="login.html"',
      'api_prefix="api"',
      'allow_origin="*"',
      'log_mode="console"',
      'log_level="INFO"',
      'cookie_secure=0',
      'session_expiration=3600',
      'session_key="GLEWLWYD2_SESSION_ID"',
      'admin_session_authentication="cookie"',
      'profile_session_authentication="cookie"',
      'allow_multiple_user_per_session=true',
      'login_api_enabled=true',
      'admin_scope="g_admin"',
      'profile_scope="g_profile"',
      `user_module_path="${MODULES}/user"`,
      `client_module_path="${MODULES}/client"`,
      `user_auth_scheme_module_path="${MODULES}/scheme"`,
      `plugin_module_path="${MODULES}/plugin"`,
      'hash_algorithm="SHA512"',
      `database = { type = "sqlite3"; path = "${db}"; };`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(t);
  };
  try {
    const deadline = Date.now() + 10_000;
    while (!/Glewlwyd started on port/.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`glewlwyd did not start:\n${redactedTail(out)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const api = `${origin}/api`;
    const issuer = `${api}/oidc`;
    const adminCookie = await signIn(api, 'admin', 'password');
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api}${path}`, { method, headers: { cookie: adminCookie, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* text */
      }
      return { status: res.status, body: parsed };
    };
    const must = async (method: string, path: string, body?: unknown) => {
      const r = await admin(method, path, body);
      if (r.status !== 200) throw new Error(`glewlwyd admin ${method} ${path} answered HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    };
    // Scopes: a password sign-in is enough for each (the shipped openid scope asks for no authentication at all).
    const scope = (name: string) => ({ name, display_name: name, description: `${name} (test)`, password_required: true, password_max_age: 0, scheme: {} });
    for (const s of GLEWLWYD_SCOPES) await must(s === 'openid' ? 'PUT' : 'POST', s === 'openid' ? '/scope/openid' : '/scope/', scope(s));
    // g_profile: glewlwyd's own consent API (PUT /api/auth/grant) needs it, as its login page does.
    await must('POST', '/user/', { username: GLEWLWYD_USER.username, name: 'Alice Test', email: 'alice@example.com', password: GLEWLWYD_USER.password, scope: [...GLEWLWYD_SCOPES, 'g_profile'], enabled: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'agentcore-auth-test', alg: 'RS256', use: 'sig' };
    await must('POST', '/mod/plugin/', {
      module: 'oidc',
      name: 'oidc',
      display_name: 'OpenID Connect (agentcore-auth test)',
      enabled: true,
      parameters: {
        iss: issuer,
        'jwks-private': JSON.stringify({ keys: [jwk] }),
        'default-kid': jwk.kid,
        'jwks-show': true,
        'access-token-duration': 3600,
        'refresh-token-duration': 1209600,
        'refresh-token-rolling': true,
        'code-duration': 600,
        'allow-non-oidc': true,
        'auth-type-code-enabled': true,
        'auth-type-refresh-enabled': true,
        'auth-type-token-enabled': false,
        'auth-type-none-enabled': false,
        'auth-type-password-enabled': false,
        'auth-type-client-enabled': false,
        'auth-type-device-enabled': false,
        'pkce-allowed': true,
        'pkce-method-plain-allowed': false,
        'register-client-allowed': true,
        'register-client-management-allowed': true,
        'introspection-revocation-allowed': true,
        'subject-type': 'public',
        'allowed-scope': GLEWLWYD_SCOPES,
      },
    });
    return {
      origin,
      api,
      issuer,
      admin,
      async client(clientId) {
        const r = await admin('GET', `/client/${encodeURIComponent(clientId)}`);
        if (r.status === 404) return null;
        if (r.status !== 200) throw new Error(`glewlwyd admin GET /client/${clientId} answered HTTP ${r.status}`);
        return r.body as Record<string, unknown>;
      },
      log: () => out,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Password sign-in at glewlwyd's API: the session cookie (name=value). */
export async function signIn(api: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${api}/auth/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`glewlwyd refused the password sign-in of ${username} (HTTP ${res.status})`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (!cookie) throw new Error('glewlwyd set no session cookie');
  return cookie;
}

/**
 * The Okta Management API client: the typed API classes of @okta/okta-sdk-nodejs v8 (ApplicationApi,
 * AuthorizationServerApi, UserApi, GroupApi) over src/core/http.ts, with the two admin credentials Okta offers:
 *  - an API token: `Authorization: SSWS <token>` (OKTA_API_TOKEN);
 *  - an API service app: OAuth 2.0 client credentials at the org authorization server with a private_key_jwt
 *    client assertion (OKTA_OAUTH_CLIENT_ID + OKTA_OAUTH_PRIVATE_KEY_FILE [+ OKTA_OAUTH_KEY_ID]), DPoP-bound
 *    when the app requires it (the token endpoint then answers `use_dpop_nonce`, as Okta's SDKs expect).
 *
 * How the SDK is used (and why not its `Client`):
 *  - Isolation. `new Client()` always runs the SDK's ConfigLoader, which reads ~/.okta/okta.yaml, ./okta.yaml and
 *    OKTA_CLIENT_{ORGURL,TOKEN,AUTHORIZATIONMODE,CLIENTID,SCOPES,PRIVATEKEY,KEYID} from the process (and any other
 *    `okta.client.*` key a yaml holds, e.g. userAgent), merging whatever the caller left out; a malformed yaml even
 *    makes the constructor throw. Its Http layer also reads https_proxy / HTTPS_PROXY. So no Client is built: the
 *    API classes are made from the SDK's public `createConfiguration({ baseServer: new ServerConfiguration(orgUrl),
 *    httpApi })`, which reads nothing from disk or env. Only --okta-use-config-file (OKTA_USE_CONFIG_FILE=1) reads
 *    the yaml files, through the SDK's own ConfigLoader, as a fallback for what the env does not set.
 *  - Transport. `httpApi` is ours (wrapHttpLibrary): every request goes through httpFetch (per-attempt timeouts,
 *    the retry policy per method, "outcome unknown" for a lost POST, 429 with Retry-After / X-Rate-Limit-Reset)
 *    and every refusal becomes a CliError naming what to change (401 the credential, 403 the scope or admin role,
 *    429 how long to wait). The SDK's own executor, cache middleware (which would serve stale GETs) and 429 retry
 *    loop are not used.
 *  - Service-app tokens are ours, not the SDK's `authorizationMode: 'PrivateKey'`: in v8.1.0 its OAuth signs every
 *    DPoP proof with the client's own private_key_jwt key under a hard-coded RS256 (an EC key fails with
 *    "unsupported algorithm", even for apps without DPoP, since it always sends a proof); its token response skips
 *    the error filter (oauth.js reads `Http.errorFilter` off the module object: undefined), so a refused token
 *    request is cached as if it were a token; it asks for one fixed scope list; and it keeps the token past its
 *    expiry (until a 401). So this module gets the token (below) and adds the Authorization / DPoP headers to each
 *    SDK request; both credential kinds use the SDK's typed API classes.
 *  - Loading. The SDK (~0.5-1.6 s, 45 MB) is imported on the first API call, never on the --help path.
 *
 * Tokens are never logged.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// The SDK's own okta.yaml reader (CommonJS; its dependencies are js-yaml, lodash and safe-flat, not the SDK).
import oktaConfigLoader from '@okta/okta-sdk-nodejs/src/config-loader.js';
import type { ApplicationApi, AuthorizationServerApi, GroupApi, RequestContext, ResponseContext, UserApi } from '@okta/okta-sdk-nodejs';
import { CliError, UsageError } from '../../src/core/errors.js';
import { isSecureTransportUrl } from '../../src/core/net.js';
import { httpFetch, readJsonBody, readText } from '../../src/core/http.js';
import type { Logger } from '../../src/core/logger.js';
import { redact } from '../../src/core/redact.js';

export const ENV = {
  orgUrl: 'OKTA_ORG_URL',
  apiToken: 'OKTA_API_TOKEN',
  clientId: 'OKTA_OAUTH_CLIENT_ID',
  privateKeyFile: 'OKTA_OAUTH_PRIVATE_KEY_FILE',
  keyId: 'OKTA_OAUTH_KEY_ID',
} as const;

/** The Okta API scopes (service app) each kind of call needs; `.manage` covers `.read`. */
export type OktaScope = 'okta.apps.manage' | 'okta.authorizationServers.manage' | 'okta.users.read' | 'okta.groups.read';

/** What each scope lets the adapter do (for messages). */
const SCOPE_USE: Record<OktaScope, string> = {
  'okta.apps.manage': 'create, assign, deactivate and delete apps',
  'okta.authorizationServers.manage': 'read authorization servers and create or delete their access policies, claims and scopes',
  'okta.users.read': 'look up the users to assign',
  'okta.groups.read': 'look up the groups to assign or to allow',
};

export type OktaCredentials =
  | { kind: 'ssws'; token: string }
  | {
      kind: 'oauth';
      clientId: string;
      /** The PEM or JWK private key file (env); or, from okta.yaml (--okta-use-config-file), the key itself. */
      privateKeyFile?: string;
      privateKey?: string;
      keyId?: string;
    };

/** Opt-in to the SDK's own configuration files: --okta-use-config-file or this env var (1/true/yes). */
export const USE_CONFIG_FILE_ENV = 'OKTA_USE_CONFIG_FILE';
export const USE_CONFIG_FILE_FLAG = '--okta-use-config-file';

export function wantsConfigFile(env: NodeJS.ProcessEnv, flag?: unknown): boolean {
  return flag === true || /^(1|true|yes)$/i.test(env[USE_CONFIG_FILE_ENV]?.trim() ?? '');
}

/** The two files the SDK reads, in its order (the later wins): ~/.okta/okta.yaml, then ./okta.yaml. */
export function oktaYamlPaths(env: NodeJS.ProcessEnv): string[] {
  return [join(env.HOME || homedir(), '.okta', 'okta.yaml'), join(process.cwd(), 'okta.yaml')];
}

/** Where a missing credential is looked for, for the error message. */
export function missingCredentialsError(env: NodeJS.ProcessEnv, usedConfigFile = false): CliError {
  const yaml = oktaYamlPaths(env).filter((p) => existsSync(p));
  return new CliError('Okta admin credentials are missing.', {
    code: 'credentials',
    fix:
      `Set ${ENV.apiToken} (an API token: Okta Admin Console > Security > API > Tokens), or ${ENV.clientId} and ${ENV.privateKeyFile} ` +
      `(an API service app using private_key_jwt, granted ${Object.keys(SCOPE_USE).join(', ')}).` +
      (yaml.length && !usedConfigFile
        ? ` ${yaml.join(' and ')} ${yaml.length > 1 ? 'exist' : 'exists'} but ${yaml.length > 1 ? 'are' : 'is'} read only when you ask: pass ${USE_CONFIG_FILE_FLAG} (or set ${USE_CONFIG_FILE_ENV}=1), or export the values you want.`
        : usedConfigFile
          ? ` (${USE_CONFIG_FILE_FLAG}: okta.client.token, or okta.client.authorizationMode PrivateKey with clientId and privateKey, in ${oktaYamlPaths(env).join(' or ')}, or OKTA_CLIENT_TOKEN.)`
          : ''),
  });
}

/** Admin credentials from env only (see the module comment). Undefined when none are set. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): OktaCredentials | undefined {
  const token = env[ENV.apiToken]?.trim();
  if (token) return { kind: 'ssws', token };
  const clientId = env[ENV.clientId]?.trim();
  const privateKeyFile = env[ENV.privateKeyFile]?.trim();
  if (clientId && privateKeyFile) return { kind: 'oauth', clientId, privateKeyFile, keyId: env[ENV.keyId]?.trim() || undefined };
  if (clientId || privateKeyFile) {
    throw new CliError(`${clientId ? ENV.clientId : ENV.privateKeyFile} is set but ${clientId ? ENV.privateKeyFile : ENV.clientId} is not.`, {
      code: 'credentials',
      fix: `An Okta API service app needs both ${ENV.clientId} and ${ENV.privateKeyFile} (a PEM or JWK private key file); or use ${ENV.apiToken}.`,
    });
  }
  return undefined;
}

/** What the SDK's configuration (okta.yaml files, then OKTA_CLIENT_*) gives; only with --okta-use-config-file. */
export interface OktaFileConfig {
  orgUrl?: string;
  creds?: OktaCredentials;
}

interface SdkConfigLoader {
  config: { client: Record<string, string> };
  apply(c: unknown): void;
  applyYamlFile(path: string): void;
}

/**
 * Reads the SDK's configuration with the SDK's own ConfigLoader (its yaml parsing and merge rules), from the two
 * okta.yaml files and the OKTA_CLIENT_* variables of `env` (the adapter's env, not necessarily process.env).
 * Called only when the user asked for it. Uses the SDK's config loader alone (js-yaml, lodash), not the whole SDK.
 */
export function readOktaConfigFiles(env: NodeJS.ProcessEnv): OktaFileConfig {
  const { ConfigLoader } = oktaConfigLoader as { ConfigLoader: new () => SdkConfigLoader };
  const loader = new ConfigLoader();
  loader.apply({ client: { authorizationMode: 'SSWS' } });
  for (const path of oktaYamlPaths(env)) {
    if (!existsSync(path)) continue;
    try {
      loader.applyYamlFile(path);
    } catch (err) {
      throw new CliError(`${path} is not valid okta.yaml (${USE_CONFIG_FILE_FLAG}): ${redact((err as Error).message.split('\n')[0] ?? '')}.`, {
        code: 'credentials',
        fix: `Fix the file, or leave out ${USE_CONFIG_FILE_FLAG} and set ${ENV.orgUrl} and ${ENV.apiToken}.`,
      });
    }
  }
  const fromEnv: Record<string, string> = {};
  for (const key of Object.keys(loader.config.client)) {
    const v = env[`OKTA_CLIENT_${key.toUpperCase()}`];
    if (v !== undefined) fromEnv[key] = v;
  }
  loader.apply({ client: fromEnv });
  const c = loader.config.client;
  const out: OktaFileConfig = {};
  if (c.orgUrl) out.orgUrl = normaliseOrgUrl(c.orgUrl, 'okta.client.orgUrl');
  if (c.authorizationMode === 'PrivateKey') {
    if (c.clientId && c.privateKey) out.creds = { kind: 'oauth', clientId: c.clientId, privateKey: c.privateKey, keyId: c.keyId || undefined };
  } else if (c.token) out.creds = { kind: 'ssws', token: c.token };
  return out;
}


/** https://acme.okta.com (no trailing slash, no path). Plain http only on loopback (tests, stand-ins). */
export function normaliseOrgUrl(value: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new UsageError(`${flag} "${value}" is not a URL.`, { fix: `Pass your Okta org URL, e.g. ${flag === ENV.orgUrl ? `${ENV.orgUrl}=` : `${flag} `}https://acme.okta.com` });
  }
  if (!isSecureTransportUrl(u)) {
    throw new UsageError(`${flag} ${value} is not https.`, { fix: 'Okta org URLs are https://<org>.okta.com (or your custom domain).' });
  }
  if (/-admin\./.test(u.hostname)) {
    throw new UsageError(`${flag} ${value} is the Admin Console host, not the org URL.`, { fix: `Drop "-admin": ${u.protocol}//${u.hostname.replace('-admin.', '.')}` });
  }
  const path = u.pathname.replace(/\/+$/, '');
  if (path) {
    const m = /^\/oauth2\/([^/]+)/.exec(path);
    throw new UsageError(`${flag} ${value} has a path; it must be the org URL alone.`, {
      fix: m ? `Pass ${flag} ${u.origin} and --okta-auth-server ${m[1]} (or --issuer ${u.origin}${m[0]}).` : `Pass ${flag} ${u.origin}`,
    });
  }
  return u.origin;
}

interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
  errorCauses?: Array<{ errorSummary?: string }>;
  error?: string;
  error_description?: string;
}

function describeOktaError(body: OktaErrorBody | undefined): string {
  if (!body) return '';
  const summary = body.errorSummary ?? body.error_description ?? body.error;
  const causes = (body.errorCauses ?? []).map((c) => c.errorSummary).filter(Boolean);
  return redact([summary, ...causes].filter(Boolean).join('; ') + (body.errorCode ? ` [${body.errorCode}]` : ''));
}

export interface RequestOptions {
  /** The API scope the operation needs (service-app credentials); also named in a 403. */
  scope: OktaScope;
  /** What the call is for, in messages ("creating the app"). */
  purpose: string;
  /** Return null on 404 instead of throwing. */
  allow404?: boolean;
  /** For non-idempotent POSTs: what to check when the outcome is unknown. */
  unknownOutcomeFix?: string;
}

/** The SDK's typed Management API classes this tool uses (built on our transport; see the module comment). */
export interface OktaSdk {
  applicationApi: ApplicationApi;
  authorizationServerApi: AuthorizationServerApi;
  userApi: UserApi;
  groupApi: GroupApi;
}

type SdkModule = typeof import('@okta/okta-sdk-nodejs');
let sdkModule: Promise<SdkModule> | undefined;

/** The SDK, loaded on first use (a CommonJS module: its exports may sit on `default`). */
export function loadOktaSdk(): Promise<SdkModule> {
  sdkModule ??= import('@okta/okta-sdk-nodejs').then((m) => ((m as unknown as { default?: SdkModule }).default ?? m) as SdkModule);
  return sdkModule;
}

/** Every item of an SDK collection (it follows Okta's `Link: rel="next"` pages), up to `max`. */
export async function collect<T>(col: AsyncIterable<T | null>, max = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const item of col) {
    if (item !== null && item !== undefined) out.push(item);
    if (out.length >= max) break;
  }
  return out;
}

interface CachedToken {
  value: string;
  scopes: Set<string>;
  expiresAt: number;
  dpop: boolean;
}

/** An ES256 key for DPoP proofs, made once per client (DPoP binds tokens to it; it never leaves memory). */
interface DpopKey {
  privateKey: KeyObject;
  jwk: JsonWebKey;
}

/** Per call: what it is for (messages, scope), and the last request it made (for an unreadable answer). */
interface CallState {
  o: RequestOptions;
  last?: { method: string; path: string; status: number };
}

export class OktaApi {
  private token?: CachedToken;
  private dpopKey?: DpopKey;
  private signingKey?: { key: KeyObject; alg: string; kid?: string };
  private sdkApis?: Promise<OktaSdk>;
  private readonly calls = new AsyncLocalStorage<CallState>();

  private dpopNonce?: string;

  /**
   * `scopes`: every API scope this run will need (service apps), asked for in one token; a call needing another
   * one gets a new token with it added.
   */
  constructor(
    readonly orgUrl: string,
    private readonly creds: OktaCredentials,
    private readonly opts: { timeoutMs: number; logger: Pick<Logger, 'debug'>; scopes?: OktaScope[] },
  ) {}

  get credentialKind(): OktaCredentials['kind'] {
    return this.creds.kind;
  }

  /**
   * One Management API operation through the SDK: `fn` calls its typed API (e.g.
   * `(s) => s.applicationApi.getApplication({ appId })`). `null` for a 404 when allow404; a CliError otherwise.
   */
  async call<T>(o: RequestOptions, fn: (sdk: OktaSdk) => Promise<T>): Promise<T | null> {
    const sdk = await this.sdk();
    const state: CallState = { o };
    try {
      return await this.calls.run(state, () => fn(sdk));
    } catch (err) {
      if (err instanceof CliError) {
        if (o.allow404 && err.code === 'not_found') return null;
        throw err;
      }
      // Our transport turns every refusal into a CliError: what is left is an answer the SDK could not read.
      const last = state.last;
      this.opts.logger.debug(`okta: the SDK could not read the answer${last ? ` to ${last.method} ${last.path} (HTTP ${last.status})` : ''}: ${(err as Error)?.message}`);
      throw new CliError(`Okta answered ${last ? `${last.method} ${last.path}` : 'a request'} (${o.purpose}) with something that is not the JSON the Management API returns.`, {
        code: 'okta_not_json',
        fix: `Check that ${this.orgUrl} is your Okta org URL.`,
        cause: err,
      });
    }
  }

  /** The SDK's API classes on our transport: createConfiguration reads no file and no env var (no Client, no ConfigLoader). */
  private sdk(): Promise<OktaSdk> {
    this.sdkApis ??= loadOktaSdk().then((m) => {
      const configuration = m.createConfiguration({
        baseServer: new m.ServerConfiguration(this.orgUrl, {}),
        httpApi: m.wrapHttpLibrary({ send: (req: RequestContext) => this.send(m, req) }),
      });
      return {
        applicationApi: new m.ApplicationApi(configuration),
        authorizationServerApi: new m.AuthorizationServerApi(configuration),
        userApi: new m.UserApi(configuration),
        groupApi: new m.GroupApi(configuration),
      };
    });
    return this.sdkApis;
  }

  /** The SDK's HTTP library: one request through httpFetch, with our credential; a refusal becomes a CliError. */
  private async send(m: SdkModule, req: RequestContext): Promise<ResponseContext> {
    const state = this.calls.getStore();
    const o: RequestOptions = state?.o ?? { scope: 'okta.apps.manage', purpose: 'calling the Okta Management API' };
    const url = new URL(req.getUrl());
    if (url.origin !== this.orgUrl) throw new CliError(`The Okta SDK asked for ${url.origin}, not ${this.orgUrl}.`, { code: 'okta_sdk' });
    const method = String(req.getHttpMethod()).toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.getHeaders())) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    delete headers.authorization;
    Object.assign(headers, await this.authHeaders(method, url, o.scope));
    const body = req.getBody() as unknown;
    if (body !== undefined && typeof body !== 'string') throw new CliError(`The Okta SDK built a ${method} ${url.pathname} body this tool cannot send.`, { code: 'okta_sdk' });
    const res = await httpFetch(
      url,
      { method, headers, ...(body !== undefined ? { body } : {}) },
      { timeoutMs: this.opts.timeoutMs, logger: this.opts.logger, purpose: o.purpose, unknownOutcomeFix: o.unknownOutcomeFix },
    );
    this.opts.logger.debug(`okta: ${method} ${url.pathname} -> HTTP ${res.status}`);
    if (state) state.last = { method, path: url.pathname, status: res.status };
    if (!res.ok) {
      const errBody = (await readJsonBody(res)) as OktaErrorBody | undefined;
      throw this.httpError(res.status, method, url.pathname, o, errBody);
    }
    const text = res.status === 204 ? '' : await readText(res);
    const resHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      resHeaders[k] = v;
    });
    return new m.ResponseContext(res.status, resHeaders, { text: async () => text, binary: async () => Buffer.from(text) });
  }

  private httpError(status: number, method: string, path: string, o: RequestOptions, body: OktaErrorBody | undefined): CliError {
    const what = describeOktaError(body);
    const head = `Okta refused ${o.purpose} (${method} ${path}: HTTP ${status}${what ? `, ${what}` : ''}).`;
    switch (status) {
      case 400:
        return new CliError(head, { code: 'validation', fix: 'The message above says which field Okta did not accept.' });
      case 401:
        return new CliError(`Okta did not accept the admin credential (HTTP 401${what ? `: ${what}` : ''}).`, {
          code: 'credentials',
          fix:
            this.creds.kind === 'ssws'
              ? `${ENV.apiToken} is invalid, expired or revoked, or belongs to another org than ${this.orgUrl}: create a new token (Security > API > Tokens).`
              : `The service app's access token was refused: check ${ENV.clientId}, that the app is active in ${this.orgUrl}, and that it uses the key in ${ENV.privateKeyFile}.`,
        });
      case 403:
        return new CliError(`${head} The admin credential lacks the permission to ${SCOPE_USE[o.scope]}.`, {
          code: 'access_denied',
          fix:
            this.creds.kind === 'ssws'
              ? `Use an API token created by an administrator whose role can ${SCOPE_USE[o.scope]} (Super Administrator, or a custom admin role with that permission).`
              : `Grant the scope ${o.scope} to the service app (Admin Console > Applications > the app > Okta API Scopes) and give it an admin role that can ${SCOPE_USE[o.scope]}.`,
        });
      case 404:
        return new CliError(head, { code: 'not_found' });
      default:
        return new CliError(head, { code: `okta_http_${status}`, fix: status >= 500 ? 'Okta had a problem: run the command again in a moment.' : undefined });
    }
  }

  // --- credentials ---------------------------------------------------------------------------------------

  private async authHeaders(method: string, url: URL, scope: OktaScope): Promise<Record<string, string>> {
    if (this.creds.kind === 'ssws') return { authorization: `SSWS ${this.creds.token}` };
    const t = await this.accessToken(scope);
    if (!t.dpop) return { authorization: `Bearer ${t.value}` };
    const ath = createHash('sha256').update(t.value).digest('base64url');
    return { authorization: `DPoP ${t.value}`, dpop: await this.dpopProof(method, `${url.origin}${url.pathname}`, { ath }) };
  }

  private async accessToken(scope: OktaScope): Promise<CachedToken> {
    const now = Date.now();
    if (this.token && this.token.expiresAt - 60_000 > now && this.token.scopes.has(scope)) return this.token;
    const scopes = new Set([...(this.opts.scopes ?? []), ...(this.token?.scopes ?? []), scope]);
    this.token = await this.requestToken([...scopes]);
    return this.token;
  }

  private async loadSigningKey(): Promise<{ key: KeyObject; alg: string; kid?: string }> {
    if (this.signingKey) return this.signingKey;
    if (this.creds.kind !== 'oauth') throw new Error('not a service app');
    const file = this.creds.privateKeyFile ?? 'okta.client.privateKey';
    let text: string;
    try {
      text = this.creds.privateKey ?? (await readFile(file, 'utf8'));
    } catch (err) {
      throw new CliError(`Cannot read the service app's private key ${file} (${ENV.privateKeyFile}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`, {
        code: 'credentials',
        fix: `Point ${ENV.privateKeyFile} at the PEM or JWK private key of the service app.`,
      });
    }
    try {
      if (this.creds.privateKeyFile && process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
        this.opts.logger.debug(`okta: ${file} is readable by other users; chmod 600 it`);
      }
    } catch {
      /* the read above succeeded; a stat failure is not worth failing for */
    }
    let key: KeyObject;
    let kid = this.creds.keyId;
    try {
      const trimmed = text.trim();
      if (trimmed.startsWith('{')) {
        const jwk = JSON.parse(trimmed) as JsonWebKey & { kid?: string };
        kid ??= jwk.kid;
        key = createPrivateKey({ key: jwk, format: 'jwk' });
      } else key = createPrivateKey(trimmed);
    } catch {
      throw new CliError(`${file} (${ENV.privateKeyFile}) is not a private key in PEM or JWK form.`, {
        code: 'credentials',
        fix: 'Use the private key you generated for the service app (Admin Console > the app > General > Public Keys), as PEM or JWK JSON.',
      });
    }
    const type = key.asymmetricKeyType;
    const alg = type === 'rsa' ? 'RS256' : type === 'ec' ? ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as Record<string, string>)[key.asymmetricKeyDetails?.namedCurve ?? ''] : undefined;
    if (!alg) {
      throw new CliError(`${file} holds a ${type ?? 'unknown'} key; Okta's private_key_jwt takes RSA or EC (P-256/384/521) keys.`, { code: 'credentials' });
    }
    this.signingKey = { key, alg, kid };
    return this.signingKey;
  }

  private async dpopProof(htm: string, htu: string, extra: { nonce?: string; ath?: string } = {}): Promise<string> {
    const { SignJWT } = await import('jose');
    if (!this.dpopKey) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.dpopKey = { privateKey, jwk: publicKey.export({ format: 'jwk' }) };
    }
    const { kty, crv, x, y } = this.dpopKey.jwk;
    return new SignJWT({ htm, htu, ...(extra.nonce ? { nonce: extra.nonce } : {}), ...(extra.ath ? { ath: extra.ath } : {}) })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: kty!, crv: crv!, x: x!, y: y! } })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(this.dpopKey.privateKey);
  }

  /**
   * client_credentials at the org authorization server (`/oauth2/v1/token`): only it issues tokens for the
   * Management API. A DPoP proof goes along (as Okta's SDKs send it); a `use_dpop_nonce` answer is retried once
   * with the nonce, and the token is then DPoP-bound.
   */
  private async requestToken(scopes: string[]): Promise<CachedToken> {
    if (this.creds.kind !== 'oauth') throw new Error('not a service app');
    const { SignJWT } = await import('jose');
    const signing = await this.loadSigningKey();
    const tokenUrl = `${this.orgUrl}/oauth2/v1/token`;
    const clientId = this.creds.clientId;
    // A nonce Okta gave earlier in this run is sent straight away (saves a round trip per token).
    let nonce: string | undefined = this.dpopNonce;
    let sendDpop = true;
    let nonceRetried = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: signing.alg, ...(signing.kid ? { kid: signing.kid } : {}) })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(tokenUrl)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(signing.key);
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        scope: scopes.join(' '),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
      const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
      if (sendDpop) headers.dpop = await this.dpopProof('POST', tokenUrl, { nonce });
      const res = await httpFetch(tokenUrl, { method: 'POST', headers, body }, { timeoutMs: this.opts.timeoutMs, logger: this.opts.logger, purpose: 'getting an Okta API access token', retry: 'idempotent' });
      const json = (await readJsonBody(res)) as (OktaErrorBody & { access_token?: string; token_type?: string; expires_in?: number; scope?: string }) | undefined;
      if (res.ok && json?.access_token) {
        const dpop = sendDpop && (nonce !== undefined || String(json.token_type).toLowerCase() === 'dpop');
        this.opts.logger.debug(`okta: service-app token for ${scopes.join(' ')} (${dpop ? 'DPoP-bound' : 'bearer'})`);
        return { value: json.access_token, scopes: new Set(scopes), expiresAt: Date.now() + (json.expires_in ?? 3600) * 1000, dpop };
      }
      if (json?.error === 'use_dpop_nonce' && res.headers.get('dpop-nonce') && !nonceRetried) {
        nonce = this.dpopNonce = res.headers.get('dpop-nonce')!;
        nonceRetried = true;
        continue;
      }
      if (json?.error === 'invalid_dpop_proof' && sendDpop && !nonceRetried && /not (configured|enabled)|not require/i.test(json.error_description ?? '')) {
        sendDpop = false;
        continue;
      }
      throw this.tokenError(res.status, json, scopes);
    }
    throw new CliError('Okta kept refusing the DPoP proof of the token request.', { code: 'credentials', fix: 'Check the service app\'s DPoP setting (Admin Console > the app > General).' });
  }

  private tokenError(status: number, body: OktaErrorBody | undefined, scopes: string[]): CliError {
    const what = describeOktaError(body);
    const clientId = this.creds.kind === 'oauth' ? this.creds.clientId : '';
    if (body?.error === 'invalid_scope') {
      const named = scopes.filter((s) => (body.error_description ?? '').includes(s));
      const missing = named.length ? named : scopes;
      return new CliError(`The Okta service app ${clientId} may not request ${missing.join(', ')} (${what}).`, {
        code: 'access_denied',
        fix: `Grant ${missing.join(', ')} to the service app (Admin Console > Applications > the app > Okta API Scopes).`,
      });
    }
    if (body?.error === 'invalid_client') {
      return new CliError(`Okta did not accept the service app's client assertion (${what}).`, {
        code: 'credentials',
        fix: `Check ${ENV.clientId}, and that ${ENV.privateKeyFile} holds the private half of a public key registered on that app${this.signingKey?.kid ? '' : ` (set ${ENV.keyId} when the app has several keys)`}.`,
      });
    }
    return new CliError(`Okta refused the service app's token request (HTTP ${status}${what ? `: ${what}` : ''}).`, {
      code: status >= 400 && status < 500 ? 'credentials' : `okta_http_${status}`,
      fix: `Check the service app ${clientId}: client credentials grant, private_key_jwt, and the scopes ${scopes.join(', ')}.`,
    });
  }
}

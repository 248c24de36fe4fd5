/**
 * Discovery as an MCP client (mcp-remote and the MCP SDK it uses) performs it:
 * the unauthenticated 401 challenge, RFC 9728 Protected Resource Metadata, RFC 8414 / OIDC
 * authorization-server metadata, and the JWKS. Each function records the URLs it tried so a
 * failed check can name them.
 */
import { CliError, errorMessage } from '../core/errors.js';
import { httpFetch, readText } from '../core/http.js';

export const MCP_PROTOCOL_VERSION = '2025-06-18';

export interface DiscoveryOptions {
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate (RFC 7235 §4.1 / RFC 9110 §11.6.1)

export interface AuthChallenge {
  /** As sent (compare case-insensitively). */
  scheme: string;
  /** auth-params, names lower-cased, quoted-string values unescaped. */
  params: Record<string, string>;
  token68?: string;
}

export interface WwwAuthenticate extends AuthChallenge {
  /** Every challenge in the header; the top-level fields are the Bearer one (else the first). */
  challenges: AuthChallenge[];
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/;

/** Parses a WWW-Authenticate value that may hold several challenges, quoted strings and commas inside quotes. */
export function parseWwwAuthenticate(header: string): WwwAuthenticate {
  const s = header;
  const challenges: AuthChallenge[] = [];
  let current: AuthChallenge | undefined;
  let i = 0;
  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  /** Unquoted values: a token by the grammar, but be lenient like real clients (URLs arrive unquoted). */
  const readBare = () => {
    const start = i;
    while (i < s.length && !/[\s,]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readQuoted = () => {
    // s[i] === '"'
    i++;
    let out = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i];
      i++;
    }
    i++; // closing quote (or end of input for an unterminated string)
    return out;
  };
  const readChallengeBody = (ch: AuthChallenge) => {
    skipWs();
    const m = TOKEN68.exec(s.slice(i));
    // token68 only when it is not the start of an auth-param (name=value)
    if (m && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=\s*[^=\s,]/.test(s.slice(i))) {
      ch.token68 = m[0];
      i += m[0].length;
    }
  };

  while (i < s.length) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (i >= s.length) break;
    const tok = readToken();
    if (!tok) {
      i++; // stray character: skip it rather than loop forever
      continue;
    }
    skipWs();
    if (s[i] === '=' && current) {
      i++;
      skipWs();
      const value = s[i] === '"' ? readQuoted() : readBare();
      current.params[tok.toLowerCase()] = value;
      continue;
    }
    // a new challenge: scheme [ token68 | #auth-param ]
    current = { scheme: tok, params: {} };
    challenges.push(current);
    readChallengeBody(current);
  }

  const primary = challenges.find((c) => c.scheme.toLowerCase() === 'bearer') ?? challenges[0] ?? { scheme: '', params: {} };
  return { ...primary, challenges };
}

// ---------------------------------------------------------------------------------------------
// The unauthenticated initialize

export interface ChallengeResult {
  url: string;
  status: number;
  contentType?: string;
  /** The raw header, when present. */
  wwwAuthenticateRaw?: string;
  wwwAuthenticate?: WwwAuthenticate;
  bodyJson?: unknown;
  /** The body is a JSON-RPC 2.0 error object (`{"jsonrpc":"2.0","error":{code,message}}`). */
  bodyIsJsonRpcError: boolean;
}

export function initializeRequest(id: number | string = 0): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: MCP_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'agentcore-auth', version: '0.1.0' },
    },
  };
}

/** An MCP HTTP answer's body: JSON, or the first JSON `data:` event of an SSE stream. */
export function parseMcpBody(text: string, contentType: string | undefined): unknown {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  if (contentType?.includes('text/event-stream')) {
    // the first `data:` event that is JSON
    for (const line of trimmed.split(/\r?\n/)) {
      if (!line.startsWith('data:')) continue;
      try {
        return JSON.parse(line.slice(5).trim());
      } catch {
        /* next line */
      }
    }
    return undefined;
  }
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

export function isJsonRpcError(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } };
  return b.jsonrpc === '2.0' && !!b.error && typeof b.error === 'object' && typeof b.error.code === 'number' && typeof b.error.message === 'string';
}

/** POSTs an MCP initialize with no token, as a client's first request does. Network failures throw CliError. */
export async function probeChallenge(mcpUrl: string, opts: DiscoveryOptions = {}): Promise<ChallengeResult> {
  const res = await httpFetch(
    mcpUrl,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MCP_PROTOCOL_VERSION,
      },
      body: JSON.stringify(initializeRequest(0)),
      redirect: 'manual',
    },
    // An initialize without a token changes nothing: safe to repeat.
    { timeoutMs: opts.timeoutMs, purpose: 'the unauthenticated MCP initialize', retry: 'idempotent' },
  );
  const contentType = res.headers.get('content-type') ?? undefined;
  let text = '';
  try {
    text = await readText(res);
  } catch {
    /* an aborted or endless stream: judge by status and headers */
  }
  const raw = res.headers.get('www-authenticate') ?? undefined;
  const bodyJson = parseMcpBody(text, contentType);
  return {
    url: mcpUrl,
    status: res.status,
    contentType,
    wwwAuthenticateRaw: raw,
    wwwAuthenticate: raw ? parseWwwAuthenticate(raw) : undefined,
    bodyJson,
    bodyIsJsonRpcError: isJsonRpcError(bodyJson),
  };
}

// ---------------------------------------------------------------------------------------------
// Metadata documents

export interface Attempt {
  url: string;
  /** HTTP status, or 0 when no answer arrived. */
  status: number;
  /** Why this URL did not yield a document ('HTTP 404', 'not JSON', 'timeout', ...); absent for the one that did. */
  problem?: string;
}

/** Discovery found nothing: `attempts` names every URL and why it failed. */
export class DiscoveryError extends CliError {
  constructor(
    message: string,
    readonly attempts: Attempt[],
    opts: { fix?: string; code?: string } = {},
  ) {
    super(message, opts);
    this.name = 'DiscoveryError';
  }
  get tried(): string[] {
    return this.attempts.map((a) => a.url);
  }
}

type JsonObject = Record<string, unknown>;

async function tryJson(url: string, opts: DiscoveryOptions, purpose: string): Promise<{ attempt: Attempt; doc?: JsonObject }> {
  let res: Response;
  try {
    res = await httpFetch(
      url,
      { headers: { accept: 'application/json', 'mcp-protocol-version': MCP_PROTOCOL_VERSION }, redirect: 'follow' },
      { timeoutMs: opts.timeoutMs, purpose },
    );
  } catch (err) {
    const code = err instanceof CliError ? err.code : 'network';
    return { attempt: { url, status: 0, problem: code === 'timeout' ? 'no answer (timeout)' : `unreachable (${errorMessage(err)})` } };
  }
  let text = '';
  try {
    text = await readText(res);
  } catch (err) {
    return { attempt: { url, status: res.status, problem: `body could not be read (${errorMessage(err)})` } };
  }
  if (!res.ok) return { attempt: { url, status: res.status, problem: `HTTP ${res.status}` } };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { attempt: { url, status: res.status, problem: 'not JSON' } };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { attempt: { url, status: res.status, problem: 'not a JSON object' } };
  return { attempt: { url, status: res.status }, doc: doc as JsonObject };
}

export interface ProtectedResourceMetadata {
  resource?: string;
  authorization_servers?: string[];
  scopes_supported?: string[];
  bearer_methods_supported?: string[];
  [k: string]: unknown;
}

export interface MetadataResult<T> {
  url: string;
  metadata: T;
  tried: string[];
  attempts: Attempt[];
}

/** The well-known PRM URLs for a resource: path-suffixed (when the URL has a path), then the root. */
export function protectedResourceMetadataUrls(mcpUrl: string): string[] {
  const u = new URL(mcpUrl);
  const path = u.pathname.replace(/\/+$/, '');
  const urls: string[] = [];
  if (path && path !== '/') urls.push(`${u.origin}/.well-known/oauth-protected-resource${path}`);
  urls.push(`${u.origin}/.well-known/oauth-protected-resource`);
  return urls;
}

/**
 * RFC 9728 discovery in mcp-remote's order: the `resource_metadata` URL from the 401, then
 * `/.well-known/oauth-protected-resource/<path>`, then the root. Throws DiscoveryError when none answers.
 */
export async function fetchProtectedResourceMetadata(
  mcpUrl: string,
  resourceMetadataUrl?: string,
  opts: DiscoveryOptions = {},
): Promise<MetadataResult<ProtectedResourceMetadata>> {
  const candidates = [...(resourceMetadataUrl ? [resourceMetadataUrl] : []), ...protectedResourceMetadataUrls(mcpUrl)];
  const unique = [...new Set(candidates)];
  const attempts: Attempt[] = [];
  for (const url of unique) {
    const { attempt, doc } = await tryJson(url, opts, 'protected resource metadata');
    attempts.push(attempt);
    if (doc) return { url, metadata: doc as ProtectedResourceMetadata, tried: attempts.map((a) => a.url), attempts };
  }
  throw new DiscoveryError(`No OAuth protected resource metadata (RFC 9728) for ${mcpUrl}: tried ${describeAttempts(attempts)}.`, attempts, {
    code: 'prm_not_found',
    fix: 'The gateway must serve {"resource","authorization_servers"} at /.well-known/oauth-protected-resource: is this an MCP endpoint with OAuth (CUSTOM_JWT) inbound auth?',
  });
}

export interface AuthorizationServerMetadata {
  issuer?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  jwks_uri?: string;
  registration_endpoint?: string;
  revocation_endpoint?: string;
  response_types_supported?: string[];
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  scopes_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
  [k: string]: unknown;
}

export interface AsDiscoveryUrl {
  url: string;
  kind: 'oauth' | 'oidc';
}

/**
 * The metadata URLs the MCP SDK (inside mcp-remote) tries for an issuer, in its order:
 * no path: RFC 8414 root, OIDC root; with a path: RFC 8414 path insertion, OIDC path insertion, OIDC appending.
 */
export function authorizationServerMetadataUrls(issuer: string): AsDiscoveryUrl[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/+$/, '');
  if (!path) {
    return [
      { url: `${u.origin}/.well-known/oauth-authorization-server`, kind: 'oauth' },
      { url: `${u.origin}/.well-known/openid-configuration`, kind: 'oidc' },
    ];
  }
  return [
    { url: `${u.origin}/.well-known/oauth-authorization-server${path}`, kind: 'oauth' },
    { url: `${u.origin}/.well-known/openid-configuration${path}`, kind: 'oidc' },
    { url: `${u.origin}${path}/.well-known/openid-configuration`, kind: 'oidc' },
  ];
}

export interface AsMetadataResult extends MetadataResult<AuthorizationServerMetadata> {
  kind: 'oauth' | 'oidc';
}

/** RFC 8414 / OIDC discovery for an issuer. Throws DiscoveryError when no candidate answers with JSON. */
export async function discoverAuthorizationServer(issuer: string, opts: DiscoveryOptions = {}): Promise<AsMetadataResult> {
  let candidates: AsDiscoveryUrl[];
  try {
    candidates = authorizationServerMetadataUrls(issuer);
  } catch {
    throw new DiscoveryError(`The authorization server "${issuer}" is not a valid URL.`, [], { code: 'as_invalid_url' });
  }
  const attempts: Attempt[] = [];
  for (const c of candidates) {
    const { attempt, doc } = await tryJson(c.url, opts, 'authorization server metadata');
    attempts.push(attempt);
    if (doc) return { url: c.url, kind: c.kind, metadata: doc as AuthorizationServerMetadata, tried: attempts.map((a) => a.url), attempts };
  }
  throw new DiscoveryError(`No authorization server metadata for ${issuer}: tried ${describeAttempts(attempts)}.`, attempts, {
    code: 'as_not_found',
    fix: `Check that ${issuer} is the IdP's issuer; its discovery document should be at ${candidates.at(-1)?.url}.`,
  });
}

export function describeAttempts(attempts: Attempt[]): string {
  return attempts.map((a) => `${a.url} (${a.problem ?? `HTTP ${a.status}`})`).join(', ');
}

// ---------------------------------------------------------------------------------------------
// JWKS

export interface Jwk {
  kty?: string;
  use?: string;
  key_ops?: string[];
  alg?: string;
  kid?: string;
  [k: string]: unknown;
}

export interface JwksResult {
  url: string;
  keys: Jwk[];
  /** Keys a verifier can use for signatures: kty RSA/EC/OKP, `use` sig or absent, not encryption-only. */
  signingKeys: Jwk[];
  signingKeyCount: number;
}

const ENC_ALG = /^(RSA1_5|RSA-OAEP|ECDH-ES|A\d+KW|A\d+GCMKW|dir|PBES2)/;

export function isUsableSigningKey(k: Jwk): boolean {
  if (!k || typeof k !== 'object') return false;
  if (!['RSA', 'EC', 'OKP'].includes(String(k.kty))) return false;
  if (k.use !== undefined && k.use !== 'sig') return false;
  if (Array.isArray(k.key_ops) && !k.key_ops.includes('verify')) return false;
  if (typeof k.alg === 'string' && ENC_ALG.test(k.alg)) return false;
  return true;
}

/** Fetches a JWK Set. Unreachable, non-JSON or keyless documents throw CliError naming the URL. */
export async function fetchJwks(jwksUri: string, opts: DiscoveryOptions = {}): Promise<JwksResult> {
  const { attempt, doc } = await tryJson(jwksUri, opts, 'the JWKS');
  if (!doc) {
    throw new DiscoveryError(`The JWKS at ${jwksUri} could not be read: ${attempt.problem}.`, [attempt], {
      code: 'jwks_unreadable',
      fix: 'The gateway fetches this URL to validate tokens: it must answer a public GET with {"keys":[...]}.',
    });
  }
  if (!Array.isArray(doc.keys)) {
    throw new DiscoveryError(`The JWKS at ${jwksUri} has no "keys" array.`, [attempt], { code: 'jwks_invalid' });
  }
  const keys = doc.keys as Jwk[];
  const signingKeys = keys.filter(isUsableSigningKey);
  return { url: jwksUri, keys, signingKeys, signingKeyCount: signingKeys.length };
}

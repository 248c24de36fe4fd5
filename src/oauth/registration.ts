/**
 * RFC 7591 dynamic client registration and RFC 7592 client management (read, delete),
 * for IdPs (and the sandbox) that offer it.
 */
import { CliError } from '../core/errors.js';
import { httpFetch, readJsonBody } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import { redact } from '../core/redact.js';

export interface ClientMetadata {
  client_name?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: string;
  application_type?: string;
  scope?: string;
  [k: string]: unknown;
}

export interface RegisteredClient extends ClientMetadata {
  client_id: string;
  client_secret?: string;
  registration_access_token?: string;
  registration_client_uri?: string;
}

export interface RegistrationOptions {
  timeoutMs?: number;
  /** Retries are reported here at debug level. */
  logger?: Pick<Logger, 'debug'>;
}


function describe(body: Record<string, unknown> | undefined, status: number): { error?: string; text: string } {
  const error = typeof body?.error === 'string' ? body.error : undefined;
  const description = typeof body?.error_description === 'string' ? redact(body.error_description) : undefined;
  return { error, text: error ? `${error}${description ? `: ${description}` : ''}` : `HTTP ${status}` };
}

export async function registerClient(
  args: { registrationEndpoint: string; metadata: ClientMetadata; initialAccessToken?: string },
  opts: RegistrationOptions = {},
): Promise<RegisteredClient> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (args.initialAccessToken) headers.authorization = `Bearer ${args.initialAccessToken}`;
  // Not idempotent: a registration that reached the IdP created a client even if the answer was lost, and RFC 7591
  // has no lookup by name. So it is repeated only when the IdP said it did not act (429, 503 + Retry-After, refused).
  const name = args.metadata.client_name ? `"${args.metadata.client_name}"` : 'this tool\'s client';
  const res = await httpFetch(
    args.registrationEndpoint,
    { method: 'POST', headers, body: JSON.stringify(args.metadata) },
    {
      timeoutMs: opts.timeoutMs,
      logger: opts.logger,
      purpose: 'client registration',
      // An initial access token rides along (when given): never over plain http to another machine.
      secret: Boolean(args.initialAccessToken),
      retry: 'refused-only',
      unknownOutcomeFix: `The IdP may have registered a client named ${name} without this tool getting its id. Look for it in the IdP's admin console and delete it (\`agentcore-auth cleanup\` cannot: it never learned the id), then run init again.`,
    },
  );
  const body = await readJsonBody(res);
  if (res.ok) {
    if (!body || typeof body.client_id !== 'string') {
      throw new CliError(`The registration endpoint ${args.registrationEndpoint} answered without a client_id.`, { code: 'registration_invalid' });
    }
    return body as RegisteredClient;
  }
  const { error, text } = describe(body, res.status);
  if (res.status === 401 || res.status === 403 || error === 'invalid_token') {
    const how = text === `HTTP ${res.status}` ? text : `HTTP ${res.status}, ${text}`;
    throw new CliError(
      args.initialAccessToken
        ? `The IdP refused client registration with the initial access token given (${how}).`
        : `The IdP refused client registration (${how}): it requires an initial access token (RFC 7591).`,
      {
        code: 'registration_unauthorized',
        fix: args.initialAccessToken
          ? 'The initial access token is wrong or expired: get a new one from the IdP admin and set AGENTCORE_AUTH_INITIAL_ACCESS_TOKEN.'
          : 'Get an initial access token from the IdP admin and set AGENTCORE_AUTH_INITIAL_ACCESS_TOKEN.',
      },
    );
  }
  if (error === 'invalid_redirect_uri') {
    throw new CliError(`The IdP refused the redirect URI ${(args.metadata.redirect_uris ?? []).join(', ')}: ${text}.`, {
      code: 'registration_invalid_redirect_uri',
      fix: `Allow the loopback redirect URI ${(args.metadata.redirect_uris ?? []).join(', ') || 'http://localhost:<callback port>/oauth/callback'} (mcp-remote's) in the IdP's registration policy, or choose another --callback-port it allows.`,
    });
  }
  if (error === 'invalid_client_metadata') {
    throw new CliError(`The IdP refused the client metadata: ${text}.`, {
      code: 'registration_invalid_metadata',
      fix: 'The description above names the field; a public client needs token_endpoint_auth_method "none" and grant types authorization_code and refresh_token.',
    });
  }
  throw new CliError(`Client registration at ${args.registrationEndpoint} failed: ${text}.`, { code: error ? `registration_${error}` : `registration_http_${res.status}` });
}

/** RFC 7592 read. null when the client is gone (401 or 404: the registration access token no longer resolves). */
export async function readClient(
  args: { registrationClientUri: string; registrationAccessToken: string },
  opts: RegistrationOptions = {},
): Promise<RegisteredClient | null> {
  const res = await httpFetch(
    args.registrationClientUri,
    { headers: { authorization: `Bearer ${args.registrationAccessToken}`, accept: 'application/json' } },
    { timeoutMs: opts.timeoutMs, logger: opts.logger, purpose: 'reading the client registration', secret: true },
  );
  const body = await readJsonBody(res);
  if (res.status === 401 || res.status === 404) return null;
  if (!res.ok || !body) {
    throw new CliError(`Reading the client registration at ${args.registrationClientUri} failed: ${describe(body, res.status).text}.`, {
      code: `registration_read_http_${res.status}`,
    });
  }
  return body as RegisteredClient;
}

/** RFC 7592 delete: 'deleted' on 204/200, 'gone' when it was already deleted (401/404). */
export async function deleteClient(
  args: { registrationClientUri: string; registrationAccessToken: string },
  opts: RegistrationOptions = {},
): Promise<'deleted' | 'gone'> {
  const res = await httpFetch(
    args.registrationClientUri,
    { method: 'DELETE', headers: { authorization: `Bearer ${args.registrationAccessToken}`, accept: 'application/json' } },
    { timeoutMs: opts.timeoutMs, logger: opts.logger, purpose: 'deleting the client registration', secret: true },
  );
  const body = await readJsonBody(res);
  if (res.ok) return 'deleted';
  if (res.status === 401 || res.status === 404) return 'gone';
  throw new CliError(`Deleting the client registration at ${args.registrationClientUri} failed: ${describe(body, res.status).text}.`, {
    code: `registration_delete_http_${res.status}`,
    fix: 'Delete the app in the IdP\'s admin console instead.',
  });
}

/**
 * RFC 7592 update: replace the client's metadata with `metadata` (every field the client should keep; the server
 * drops what is left out). The answer may carry a new registration access token (rotation): callers must keep it.
 * null when the client is gone.
 */
export async function updateClient(
  args: { registrationClientUri: string; registrationAccessToken: string; metadata: Record<string, unknown> },
  opts: RegistrationOptions = {},
): Promise<RegisteredClient | null> {
  const res = await httpFetch(
    args.registrationClientUri,
    { method: 'PUT', headers: { authorization: `Bearer ${args.registrationAccessToken}`, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(args.metadata) },
    { timeoutMs: opts.timeoutMs, logger: opts.logger, purpose: 'updating the client registration', secret: true, retry: 'refused-only' },
  );
  const body = await readJsonBody(res);
  if (res.status === 401 || res.status === 404) return null;
  if (!res.ok || !body || typeof body.client_id !== 'string') {
    const { error, text } = describe(body, res.status);
    throw new CliError(`Updating the client registration at ${args.registrationClientUri} failed: ${text}.`, {
      code: error ? `registration_${error}` : `registration_update_http_${res.status}`,
      fix: 'Change the redirect URI in the IdP\'s admin console, or run init with the callback port the client was registered with.',
    });
  }
  return body as RegisteredClient;
}

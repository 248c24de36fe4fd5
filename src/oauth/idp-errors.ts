/**
 * One table from what an IdP answers (an OAuth error code and its description, at the authorization endpoint or
 * the token endpoint) to the cause and the fix, with this sign-in's own values put in: the client id, the exact
 * redirect URI, the scopes. The description decides first, because IdPs reuse codes: `invalid_request` says
 * "redirect_uri", "nonce" or "code_challenge" in words, Entra puts an AADSTS number there, Okta and Auth0 their
 * own sentences. Used by the test login (checks/login), the authorization probe, the token exchange and
 * --via-client's diagnosis, so every place gives the same answer.
 */

export interface SignInFacts {
  clientId?: string;
  /** Exactly as the client sends it (host as written: localhost and 127.0.0.1 are different URIs to an IdP). */
  redirectUri?: string;
  scopes?: string[];
  /** Which step answered: the authorization request, or the token endpoint. */
  step?: 'authorize' | 'token';
  /** A resource parameter was sent (RFC 8707). */
  resourceSent?: boolean;
  /** The grant the token endpoint was asked for. */
  grant?: 'authorization_code' | 'refresh_token';
}

export interface IdpErrorExplained {
  /** The row that matched (stable, for tests and --json). */
  cause: string;
  finding: string;
  fix: string;
}

interface Row {
  cause: string;
  /** Matches the error code (lower case) or the description. */
  when: (code: string, text: string, f: SignInFacts) => boolean;
  explain: (said: string, f: SignInFacts) => { finding: string; fix: string };
}

const client = (f: SignInFacts) => (f.clientId ? `client ${f.clientId}` : 'this client');
const uri = (f: SignInFacts) => f.redirectUri ?? 'the redirect URI';

/**
 * The fix for a redirect URI the IdP app lacks. One answer for localhost vs 127.0.0.1 everywhere: agentcore-auth
 * registers localhost, so a 127.0.0.1 redirect (an entry's --host 127.0.0.1, or Windows without --host) is the
 * entry's to change; an IdP compares the host as written.
 */
export function registerRedirectFix(redirectUri: string): string {
  if (/\/\/127\.0\.0\.1:/.test(redirectUri)) {
    return `Use "--host", "localhost" in the client entry: agentcore-auth registers ${redirectUri.replace('//127.0.0.1:', '//localhost:')} (run \`agentcore-auth init\` again to register it), and an IdP compares the host as written. Or register exactly ${redirectUri} at the IdP app as well.`;
  }
  return `Register exactly ${redirectUri} as a redirect (callback) URI of the IdP app (path /oauth/callback; the host exactly as written, localhost, not 127.0.0.1; the same port), or run \`agentcore-auth init\` again: it registers it.`;
}

const ROWS: Row[] = [
  {
    cause: 'nonce_required',
    when: (_c, t) => /\bnonce\b/i.test(t),
    explain: (said, f) => ({
      finding: `The IdP requires a nonce with the openid scope (${said}). OpenID Connect makes a nonce optional for the code flow, and mcp-remote sends none, so ${client(f)} cannot sign in through it.`,
      fix: 'Configure the IdP app not to require a nonce for the authorization code flow with PKCE, or leave openid out of the scopes (glewlwyd always requires one with openid, it has no setting for it: there, leave openid out and enable the OIDC plugin\'s "allow non OIDC" option).',
    }),
  },
  {
    cause: 'redirect_uri',
    when: (c, t) => c === 'invalid_redirect_uri' || c === 'redirect_uri_mismatch' || /redirect[_ -]?ur[il]|callback url|AADSTS50011|AADSTS500113/i.test(t),
    explain: (said, f) => ({
      finding: `The IdP refused the redirect URI ${uri(f)} (${said}): it is not registered for ${client(f)}.`,
      fix: registerRedirectFix(uri(f)),
    }),
  },
  {
    cause: 'pkce',
    when: (_c, t) => /code_challenge|code_verifier|pkce|\bS256\b/i.test(t),
    explain: (said, f) => ({
      finding: `The IdP refused the PKCE parameters (${said}).`,
      fix: `Allow PKCE with S256 for ${client(f)} at the IdP (public clients need it).`,
    }),
  },
  {
    cause: 'unknown_client',
    when: (c, t) => c === 'invalid_client' || /client.{0,40}(not found|unknown|does not exist|is invalid|no such)|AADSTS700016|AADSTS7000215/i.test(t),
    explain: (said, f) => ({
      finding: `The IdP refused ${client(f)} (${said}): it does not know this client id, or it expects a client secret.`,
      fix: `Use the client id of the public app registered for this gateway (agentcore-auth init registers one and writes it into the client entry); the app must be a public client (token endpoint auth method "none", no secret).`,
    }),
  },
  {
    cause: 'confidential_or_grant',
    when: (c) => c === 'unauthorized_client' || c === 'unsupported_response_type',
    explain: (said, f) => ({
      finding: `The IdP does not let ${client(f)} use the ${f.grant === 'refresh_token' ? 'refresh token' : 'authorization code'} flow as a public client (${said}).`,
      fix: `At the IdP, make ${client(f)} a public client (native app, token endpoint auth method "none"; an app stored as confidential is refused this way) with the Authorization Code${f.grant === 'refresh_token' ? ' and Refresh Token grants' : ' grant (and Refresh Token)'}. glewlwyd: switch off "Confidential" for the client (its dynamic registration stores a client as confidential unless the request says client_confidential: false; \`agentcore-auth init\` does).`,
    }),
  },
  {
    cause: 'resource',
    when: (c, t) => c === 'invalid_target' || /AADSTS9010010|AADSTS500011|\bresource\b.{0,40}(invalid|not|unknown)/i.test(t),
    explain: (said) => ({
      finding: `The IdP refused the resource parameter (${said}).`,
      fix: 'Send no resource parameter to this IdP (mcp-remote: --disable-resource-parameter; Entra always needs that), or one it knows.',
    }),
  },
  {
    cause: 'scope',
    when: (c, t) => c === 'invalid_scope' || /AADSTS70011|AADSTS650053|\bscope\b.{0,40}(invalid|not allowed|unknown|not permitted)/i.test(t),
    explain: (said, f) => ({
      finding: `The IdP refused the scopes ${f.scopes?.length ? f.scopes.join(' ') : '(none)'} (${said}).`,
      fix: `Ask only for scopes ${client(f)} may request (the IdP app's allowed scopes, and the authorization server's scopes_supported); the client entry's --static-oauth-client-metadata scope is what mcp-remote asks.`,
    }),
  },
  {
    cause: 'consent',
    when: (c, t) => c === 'consent_required' || /AADSTS65001|AADSTS90094|consent/i.test(t),
    explain: (said, f) => ({
      finding: `The IdP needs consent before ${client(f)} may act for the user (${said}).`,
      fix: 'Grant consent once (an admin: "Grant admin consent" for the app), then sign in again.',
    }),
  },
  {
    cause: 'not_assigned',
    when: (c, t) => c === 'access_denied' || /AADSTS50105|AADSTS50020|not assigned|assignment/i.test(t),
    explain: (said, f) => ({
      finding: `The sign-in was denied (${said}): the user declined, or is not assigned to ${client(f)}'s app.`,
      fix: 'Assign the user (or their group) to the IdP app, sign in as that user and accept the consent screen.',
    }),
  },
  {
    cause: 'grant',
    when: (c) => c === 'invalid_grant',
    explain: (said, f) => ({
      finding: `The IdP refused the ${f.grant === 'refresh_token' ? 'refresh token' : 'authorization code'} (${said}).`,
      fix:
        f.grant === 'refresh_token'
          ? 'The refresh token was revoked, expired or already used (rotation): sign in again.'
          : `The code expired or was used, or the PKCE verifier or redirect URI (${uri(f)}) differed from the authorization request: sign in again.`,
    }),
  },
  {
    cause: 'interaction',
    when: (c) => c === 'login_required' || c === 'interaction_required',
    explain: (said) => ({ finding: `The IdP needs an interactive sign-in (${said}).`, fix: 'Sign in in the browser that opens.' }),
  },
];

/** The cause and fix for an IdP's error answer. `description` may be absent; unknown codes get a generic row. */
export function explainIdpError(code: string | undefined, description: string | undefined, f: SignInFacts = {}): IdpErrorExplained {
  const c = (code ?? '').toLowerCase();
  const said = [code, description].filter(Boolean).join(': ') || 'no error code';
  // The description decides first (rows that look at the text), then the code alone.
  const text = description ?? '';
  const row = ROWS.find((r) => text && r.when('', text, f)) ?? ROWS.find((r) => r.when(c, text, f));
  if (row) return { cause: row.cause, ...row.explain(said, f) };
  return {
    cause: 'other',
    finding: `The IdP refused the sign-in (${said}).`,
    fix: `Check the IdP app: a public client${f.clientId ? ` (${f.clientId})` : ''} with PKCE S256, the redirect URI ${uri(f)}, and the scopes ${f.scopes?.join(' ') ?? ''}.`.replace(/ \.$/, '.'),
  };
}

/**
 * The one table of IdP errors (src/oauth/idp-errors.ts): each row with what real IdPs answer, the cause it is
 * recognised as, and a fix that carries this sign-in's own values (never a placeholder such as PORT).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainIdpError, registerRedirectFix } from '../../src/oauth/idp-errors.js';

const F = { clientId: 'client-123', redirectUri: 'http://localhost:4321/oauth/callback', scopes: ['openid', 'mcp:tools'] };

const ROWS: Array<{ idp: string; code: string; description?: string; cause: string; fix: RegExp }> = [
  { idp: 'glewlwyd', code: 'invalid_request', description: 'nonce required', cause: 'nonce_required', fix: /not to require a nonce/ },
  { idp: 'oidc-provider', code: 'invalid_redirect_uri', description: "redirect_uri did not match any of the client's registered redirect_uris", cause: 'redirect_uri', fix: /Register exactly http:\/\/localhost:4321\/oauth\/callback/ },
  { idp: 'Okta', code: 'invalid_request', description: "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings", cause: 'redirect_uri', fix: /localhost, not 127\.0\.0\.1/ },
  { idp: 'Auth0', code: 'access_denied', description: 'Callback URL mismatch. http://localhost:4321/oauth/callback is not in the list of allowed callback URLs', cause: 'redirect_uri', fix: /port|4321/ },
  { idp: 'Entra', code: 'invalid_request', description: "AADSTS50011: The redirect URI 'http://localhost:4321/oauth/callback' specified in the request does not match", cause: 'redirect_uri', fix: /4321/ },
  { idp: 'Okta', code: 'invalid_request', description: "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.", cause: 'pkce', fix: /PKCE with S256 for client client-123/ },
  { idp: 'Entra', code: 'unauthorized_client', description: "AADSTS700016: Application with identifier 'client-123' was not found in the directory", cause: 'unknown_client', fix: /public app/ },
  { idp: 'any', code: 'invalid_client', cause: 'unknown_client', fix: /token endpoint auth method "none"/ },
  { idp: 'Keycloak (confidential client)', code: 'unauthorized_client', description: 'Client not allowed for direct access grants', cause: 'confidential_or_grant', fix: /public client .*confidential is refused/ },
  { idp: 'Entra', code: 'invalid_request', description: 'AADSTS9010010: The resource parameter provided in the request doesn\'t match with the requested scopes.', cause: 'resource', fix: /--disable-resource-parameter/ },
  { idp: 'any', code: 'invalid_scope', description: 'The requested scope is invalid, unknown, or malformed.', cause: 'scope', fix: /client-123 may request/ },
  { idp: 'Entra', code: 'consent_required', description: 'AADSTS65001: The user or administrator has not consented to use the application', cause: 'consent', fix: /Grant consent/ },
  { idp: 'Entra', code: 'access_denied', description: 'AADSTS50105: The signed in user is not assigned to a role for the application', cause: 'not_assigned', fix: /Assign the user/ },
  { idp: 'any', code: 'invalid_grant', description: 'grant request is invalid', cause: 'grant', fix: /sign in again/ },
  { idp: 'any', code: 'temporarily_unavailable', cause: 'other', fix: /client-123.*http:\/\/localhost:4321\/oauth\/callback/ },
];

describe('IdP errors: cause and fix, driven by the description', () => {
  for (const r of ROWS) {
    test(`${r.idp}: ${r.code}${r.description ? ` "${r.description.slice(0, 50)}"` : ''} -> ${r.cause}`, () => {
      const e = explainIdpError(r.code, r.description, F);
      assert.equal(e.cause, r.cause);
      assert.match(e.fix, r.fix);
      assert.doesNotMatch(`${e.finding} ${e.fix}`, /\bPORT\b|<port>|<client/, 'values, never placeholders');
      if (r.description) assert.ok(e.finding.includes(r.description), 'the IdP\'s own words are quoted');
    });
  }

  test('one answer for localhost and 127.0.0.1: the fix names the host the client really sends', () => {
    const lo = explainIdpError('invalid_request', 'redirect_uri mismatch', { ...F, redirectUri: 'http://127.0.0.1:4321/oauth/callback' });
    // agentcore-auth registers localhost: the entry's 127.0.0.1 is what changes, and init is not said to register 127.0.0.1.
    assert.match(lo.fix, /^Use "--host", "localhost" in the client entry: agentcore-auth registers http:\/\/localhost:4321\/oauth\/callback/);
    assert.match(lo.fix, /Or register exactly http:\/\/127\.0\.0\.1:4321\/oauth\/callback at the IdP app as well\./);
    assert.equal(lo.fix, registerRedirectFix('http://127.0.0.1:4321/oauth/callback'), 'the redirect-uri check and the sign-in give the same fix');
    const local = explainIdpError('invalid_request', 'redirect_uri mismatch', { ...F, redirectUri: 'http://localhost:4321/oauth/callback' });
    assert.match(local.fix, /Register exactly http:\/\/localhost:4321\/oauth\/callback .*localhost, not 127\.0\.0\.1/);
  });

  test('unauthorized_client at the token endpoint for a refresh names the refresh grant, not "enable the Authorization Code grant"', () => {
    const e = explainIdpError('unauthorized_client', undefined, { ...F, step: 'token', grant: 'refresh_token' });
    assert.match(e.finding, /refresh token flow/);
    assert.match(e.fix, /Refresh Token grants/);
  });
});

describe('IdP errors: glewlwyd (test/e2e/glewlwyd.test.ts drives the real server)', () => {
  test('"nonce required": glewlwyd has no setting for it; the way out there is leaving openid out (allow non OIDC)', () => {
    const e = explainIdpError('invalid_request', 'nonce required', F);
    assert.match(e.fix, /glewlwyd always requires one with openid, it has no setting for it/);
    assert.match(e.fix, /"allow non OIDC"/);
    assert.doesNotMatch(e.fix, /"nonce required" setting/);
  });

  test('unauthorized_client names glewlwyd\'s confidential flag (its registration stores "none" clients as confidential)', () => {
    const e = explainIdpError('unauthorized_client', undefined, { ...F, step: 'token', grant: 'authorization_code' });
    assert.equal(e.cause, 'confidential_or_grant');
    assert.match(e.fix, /glewlwyd: switch off "Confidential" for the client/);
    assert.match(e.fix, /client_confidential: false/);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import { createJwtValidator } from '../../src/authorizer/validate.js';
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { checkRuleFit } from '../../src/checks/rule-fit.js';
import type { RuleFitInput } from '../../src/checks/rule-fit.js';
import type { CheckResult } from '../../src/checks/types.js';
import { claimEquals, describeIssuer, detectProvider, discoveryUrlForIssuer, recommendedRule, tokenProfileFor } from '../../providers/profiles.js';
import type { ProviderId } from '../../providers/types.js';
import { startTestIssuer } from '../helpers/authorizer-issuer.js';
import type { TestIssuer } from '../helpers/authorizer-issuer.js';

// ------------------------------------------------------------ tokens shaped like each IdP's (FACTS section 4)

const now = Math.floor(Date.now() / 1000);
const times = { iat: now, exp: now + 3600 };

const OKTA_ISS = 'https://dev-1.okta.com/oauth2/default';
const OKTA_CLIENT = '0oa8f5j3ecb5w3dF35d7';
const oktaToken = (cid = OKTA_CLIENT, aud = 'api://default'): Record<string, unknown> => ({
  ver: 1,
  jti: 'AT.bXlKbG9uZ0lk',
  iss: OKTA_ISS,
  aud,
  cid,
  uid: '00u1abcd2EFGH3ijk4l5',
  scp: ['openid', 'profile', 'email', 'offline_access'],
  auth_time: now - 10,
  sub: 'dev@example.com',
  ...times,
});

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENTRA_APP = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
const ENTRA_ISS = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const ENTRA_V1_ISS = `https://sts.windows.net/${TENANT}/`;
const entraV2Token = (azp = ENTRA_APP): Record<string, unknown> => ({
  aud: ENTRA_APP,
  iss: ENTRA_ISS,
  nbf: now,
  azp,
  azpacr: '0',
  name: 'Dev User',
  oid: '2f6a1c1e-5b0d-4d1e-8a47-0c0b2b9d0a11',
  preferred_username: 'dev@contoso.com',
  scp: 'access_as_user',
  sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
  tid: TENANT,
  ver: '2.0',
  ...times,
});
const entraV1Token = (): Record<string, unknown> => ({
  aud: `api://${ENTRA_APP}`,
  iss: ENTRA_V1_ISS,
  nbf: now,
  appid: ENTRA_APP,
  appidacr: '0',
  scp: 'access_as_user',
  tid: TENANT,
  upn: 'dev@contoso.com',
  ver: '1.0',
  ...times,
});

const COGNITO_ISS = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC';
const COGNITO_CLIENT = '4tp1r0v5mc9pj3ql6eg1qt7u0a';
const cognitoToken = (clientId = COGNITO_CLIENT): Record<string, unknown> => ({
  sub: 'a4f8e4b8-1011-70b5-5c8a-1d2e3f4a5b6c',
  iss: COGNITO_ISS,
  version: 2,
  client_id: clientId,
  origin_jti: 'f5a4c1b0-0e0f-4b1a-9d2c-3e4f5a6b7c8d',
  token_use: 'access',
  scope: 'openid email',
  auth_time: now - 10,
  jti: '0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b',
  username: 'dev',
  ...times,
});

const AUTH0_ISS = 'https://tenant.us.auth0.com/';
const AUTH0_CLIENT = 'x2Jk9aQpL3mN7rT5vW8yZ1bC4dF6gH0j';
const AUTH0_API = 'https://gw-abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp';
const auth0Token = (o: { aud?: string; rfc9068?: boolean; azp?: string } = {}): Record<string, unknown> => ({
  iss: AUTH0_ISS,
  sub: 'auth0|64f0c0ffee0123456789abcd',
  aud: [o.aud ?? AUTH0_API, `${AUTH0_ISS}userinfo`],
  azp: o.azp ?? AUTH0_CLIENT,
  scope: 'openid profile email offline_access',
  ...(o.rfc9068 ? { client_id: o.azp ?? AUTH0_CLIENT, jti: 'b1c2' } : {}),
  ...times,
});

const OIDC_ISS = 'http://127.0.0.1:4000';
const OIDC_CLIENT = 'sandbox-client-1';
const oidcToken = (clientId = OIDC_CLIENT): Record<string, unknown> => ({
  iss: OIDC_ISS,
  sub: 'dev',
  aud: 'http://127.0.0.1:4001/mcp',
  client_id: clientId,
  scope: 'openid profile email offline_access',
  jti: 'abc',
  ...times,
});

// ------------------------------------------------------------ helpers

const disc = discoveryUrlForIssuer;

function results(input: RuleFitInput): { discovery: CheckResult; rule: CheckResult } {
  const r = checkRuleFit(input);
  assert.equal(r.length, 2);
  const discovery = r.find((x) => x.id === 'discovery-url')!;
  const rule = r.find((x) => x.id === 'rule-fit')!;
  assert.ok(discovery && rule, 'both checks are reported');
  for (const x of r) {
    assert.equal(x.stage, 'config');
    if (x.status === 'warn' || x.status === 'fail') assert.ok(x.fix, `${x.id} has a fix when ${x.status}`);
  }
  return { discovery, rule };
}

function denies(rules: CustomJwtAuthorizer, claims: Record<string, unknown>, rule: string): void {
  const d = evaluateAuthorizer(rules, claims);
  assert.equal(d.allow, false, 'the gateway would reject this token');
  assert.equal((d as { rule: string }).rule, rule);
}

function allows(rules: CustomJwtAuthorizer, claims: Record<string, unknown>): void {
  const d = evaluateAuthorizer(rules, claims);
  assert.deepEqual(d, { allow: true }, `the gateway would accept this token (${JSON.stringify(d)})`);
}

// ------------------------------------------------------------ detection and profiles

describe('detectProvider and token profiles', () => {
  test('each issuer shape maps to its IdP; custom domains and the sandbox are generic OIDC', () => {
    const cases: Array<[string, ProviderId, string]> = [
      [OKTA_ISS, 'okta', 'okta-custom'],
      ['https://acme.oktapreview.com/oauth2/aus1a2b3c4d5E6F7g8h9', 'okta', 'okta-custom'],
      ['https://acme.okta-emea.com/oauth2/default', 'okta', 'okta-custom'],
      ['https://dev-1.okta.com', 'okta', 'okta-org'],
      ['https://dev-1.okta.com/', 'okta', 'okta-org'],
      [ENTRA_ISS, 'entra', 'entra-v2'],
      [ENTRA_V1_ISS, 'entra', 'entra-v1'],
      [`https://login.microsoftonline.com/${TENANT}`, 'entra', 'entra-v1'],
      [COGNITO_ISS, 'cognito', 'cognito'],
      ['https://cognito-idp.eu-west-3.amazonaws.com/eu-west-3_Xy9', 'cognito', 'cognito'],
      [AUTH0_ISS, 'auth0', 'auth0'],
      ['https://acme.auth0.com/', 'auth0', 'auth0'],
      ['https://login.acme.com/oauth2/default', 'oidc', 'oidc'],
      ['https://keycloak.example.com/realms/main', 'oidc', 'oidc'],
      [OIDC_ISS, 'oidc', 'oidc'],
      ['not a url', 'oidc', 'oidc'],
    ];
    for (const [issuer, provider, variant] of cases) {
      assert.equal(detectProvider(issuer), provider, issuer);
      assert.equal(describeIssuer(issuer).variant, variant, issuer);
    }
    // A discovery URL describes like its issuer.
    assert.equal(describeIssuer(disc(COGNITO_ISS)).tenant, 'us-east-1_AbC');
    assert.equal(describeIssuer(disc(OKTA_ISS)).authorizationServerId, 'default');
    assert.equal(describeIssuer(ENTRA_V1_ISS).tenant, TENANT);
  });

  test('profiles name the claims each IdP puts the audience, client and scopes in', () => {
    const p = (id: ProviderId, iss: string) => {
      const t = tokenProfileFor(id, iss);
      return [t.audienceClaim, t.clientClaim, t.scopeClaim];
    };
    assert.deepEqual(p('okta', OKTA_ISS), ['aud', 'cid', 'scp']);
    assert.deepEqual(p('entra', ENTRA_ISS), ['aud', 'azp', 'scp']);
    assert.deepEqual(p('entra', ENTRA_V1_ISS), ['aud', 'appid', 'scp']);
    assert.deepEqual(p('cognito', COGNITO_ISS), [null, 'client_id', 'scope']);
    assert.deepEqual(p('auth0', AUTH0_ISS), ['aud', 'azp', 'scope']);
    assert.deepEqual(p('oidc', OIDC_ISS), ['aud', 'client_id', 'scope']);
    assert.equal(tokenProfileFor('okta', OKTA_ISS).defaultAudience, 'api://default');
    assert.equal(tokenProfileFor('okta', 'https://dev-1.okta.com').validatableByOthers, false);
    assert.equal(tokenProfileFor('cognito', COGNITO_ISS).accessTokenMarker?.value, 'access');
    // Auth0's discovery URL drops the issuer's trailing slash; Entra v1 points at the tenant's v2.0 document.
    assert.equal(tokenProfileFor('auth0', AUTH0_ISS).discoveryUrl, 'https://tenant.us.auth0.com/.well-known/openid-configuration');
    const v1 = tokenProfileFor('entra', ENTRA_V1_ISS);
    assert.equal(v1.discoveryUrl, `https://login.microsoftonline.com/${TENANT}/.well-known/openid-configuration`);
    assert.equal(v1.recommendedDiscoveryUrl, `${ENTRA_ISS}/.well-known/openid-configuration`);
  });

  test('recommendedRule follows FACTS "Gateway rule" row and refuses what tokens never carry', () => {
    assert.deepEqual(recommendedRule('okta', { discoveryUrl: disc(OKTA_ISS), clientId: OKTA_CLIENT }), {
      discoveryUrl: disc(OKTA_ISS),
      allowedAudience: ['api://default'],
      customClaims: [claimEquals('cid', OKTA_CLIENT)],
    });
    assert.deepEqual(recommendedRule('cognito', { discoveryUrl: disc(COGNITO_ISS), clientId: COGNITO_CLIENT, audience: 'x' }), {
      discoveryUrl: disc(COGNITO_ISS),
      allowedClients: [COGNITO_CLIENT],
    });
    // Entra: v1 discovery is replaced by v2.0, and an api://{guid} audience becomes the GUID v2.0 tokens carry.
    const entra = recommendedRule('entra', { discoveryUrl: `https://login.microsoftonline.com/${TENANT}/.well-known/openid-configuration`, clientId: ENTRA_APP, audience: `api://${ENTRA_APP}` });
    assert.equal(entra.discoveryUrl, disc(ENTRA_ISS));
    assert.deepEqual(entra.allowedAudience, [ENTRA_APP]);
    assert.throws(() => recommendedRule('entra', { discoveryUrl: disc(ENTRA_ISS), clientId: ENTRA_APP, audience: 'api://my-api' }), /GUID/);
    assert.throws(() => recommendedRule('auth0', { discoveryUrl: disc(AUTH0_ISS), clientId: AUTH0_CLIENT }), /opaque/);
  });
});

// ------------------------------------------------------------ each IdP: the recommended rule fits, each mistake is caught

describe('rule fit per IdP', () => {
  const fits: Array<[ProviderId, string, string, Record<string, unknown>, string | undefined]> = [
    ['okta', OKTA_ISS, OKTA_CLIENT, oktaToken(), undefined],
    ['entra', ENTRA_ISS, ENTRA_APP, entraV2Token(), undefined],
    ['cognito', COGNITO_ISS, COGNITO_CLIENT, cognitoToken(), undefined],
    ['auth0', AUTH0_ISS, AUTH0_CLIENT, auth0Token(), AUTH0_API],
    ['oidc', OIDC_ISS, OIDC_CLIENT, oidcToken(), undefined],
  ];
  for (const [provider, issuer, clientId, claims, audience] of fits) {
    test(`${provider}: the recommended rule accepts its token and both checks pass, with and without the token`, () => {
      const rule = recommendedRule(provider, { discoveryUrl: disc(issuer), clientId, ...(audience ? { audience } : {}) });
      allows(rule, claims);
      assert.equal(detectProvider(issuer), provider);
      for (const accessTokenClaims of [undefined, claims]) {
        const { discovery, rule: fit } = results({ issuer, authorizer: rule, clientId, gatewayUrl: AUTH0_API, ...(accessTokenClaims ? { accessTokenClaims } : {}) });
        assert.equal(discovery.status, 'pass', discovery.finding);
        assert.equal(fit.status, 'pass', fit.finding);
        if (accessTokenClaims) assert.match(fit.finding, /test login's token satisfies/);
      }
    });
  }

  test('cognito with allowedAudience fails: its access tokens have no aud', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(COGNITO_ISS), allowedAudience: [COGNITO_CLIENT] };
    denies(rules, cognitoToken(), 'allowedAudience');
    const { rule } = results({ issuer: COGNITO_ISS, authorizer: rules, clientId: COGNITO_CLIENT });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /Cognito access tokens carry no aud: this rule rejects every token/);
    assert.match(rule.fix!, new RegExp(`allowedClients \\["${COGNITO_CLIENT}"\\]`));
    assert.match(rule.finding, /any app client of the user pool/);
    // With the real token the failure is confirmed, not repeated.
    const confirmed = results({ issuer: COGNITO_ISS, authorizer: rules, clientId: COGNITO_CLIENT, accessTokenClaims: cognitoToken() }).rule;
    assert.equal(confirmed.status, 'fail');
    assert.match(confirmed.finding, /confirms it/);
  });

  test('cognito with allowedClients of another app client fails and names both', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(COGNITO_ISS), allowedClients: ['1other1client'] };
    denies(rules, cognitoToken(), 'allowedClients');
    const { rule } = results({ issuer: COGNITO_ISS, authorizer: rules, clientId: COGNITO_CLIENT });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /"1other1client".*"4tp1r0v5mc9pj3ql6eg1qt7u0a"/);
  });

  test('okta with neither allowedAudience nor a cid rule fails: another app of the org gets in', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(OKTA_ISS) };
    allows(rules, oktaToken('0oaSOMEOTHERAPP'));
    const { rule } = results({ issuer: OKTA_ISS, authorizer: rules, clientId: OKTA_CLIENT });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /any app of the Okta org/);
    assert.match(rule.fix!, /allowedAudience \["api:\/\/default"\] and customClaims cid EQUALS "0oa8f5j3ecb5w3dF35d7"/);
  });

  test('okta with an audience but no cid rule warns: every app allowed on the server gets in', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(OKTA_ISS), allowedAudience: ['api://default'] };
    allows(rules, oktaToken('0oaSOMEOTHERAPP'));
    const { rule } = results({ issuer: OKTA_ISS, authorizer: rules, clientId: OKTA_CLIENT, accessTokenClaims: oktaToken() });
    assert.equal(rule.status, 'warn');
    assert.match(rule.finding, /No cid rule/);
  });

  test('okta with allowedClients fails: Okta tokens have no client_id; the real token explains cid', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(OKTA_ISS), allowedAudience: ['api://default'], allowedClients: [OKTA_CLIENT] };
    denies(rules, oktaToken(), 'allowedClients');
    const { rule } = results({ issuer: OKTA_ISS, authorizer: rules, clientId: OKTA_CLIENT });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /Okta access tokens have no client_id claim \(the client is in cid\)/);
    // Two audience/client problems (allowedClients, no cid rule): one fix, the recommended rules.
    assert.equal(rule.fix, 'Set the claim rules to allowedAudience ["api://default"], customClaims cid EQUALS "0oa8f5j3ecb5w3dF35d7", no allowedClients.');
    // A custom domain hides Okta: the explicit provider still gets the Okta explanation, from the real token too.
    const custom = 'https://login.acme.com/oauth2/default';
    const viaToken = results({
      provider: 'okta',
      issuer: custom,
      authorizer: { ...rules, discoveryUrl: disc(custom) },
      clientId: OKTA_CLIENT,
      accessTokenClaims: { ...oktaToken(), iss: custom },
    }).rule;
    assert.equal(viaToken.status, 'fail');
    assert.match(viaToken.finding, /cid/);
    assert.match(viaToken.finding, /confirms it/);
  });

  test('okta cid rule as STRING_ARRAY or scp rule as STRING never matches and fails', () => {
    const rules: CustomJwtAuthorizer = {
      discoveryUrl: disc(OKTA_ISS),
      allowedAudience: ['api://default'],
      customClaims: [
        claimEquals('cid', OKTA_CLIENT),
        { inboundTokenClaimName: 'scp', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: 'openid' } } },
      ],
    };
    denies(rules, oktaToken(), 'customClaims[1]');
    const { rule } = results({ issuer: OKTA_ISS, authorizer: rules, clientId: OKTA_CLIENT });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /scp is an array in Okta access tokens/);
    assert.match(rule.fix!, /STRING_ARRAY/);
  });

  test('okta audience other than api://default warns, unless the real token shows the server uses it', () => {
    const rules = { ...recommendedRule('okta', { discoveryUrl: disc(OKTA_ISS), clientId: OKTA_CLIENT }), allowedAudience: ['api://mcp'] };
    assert.equal(results({ issuer: OKTA_ISS, authorizer: rules, clientId: OKTA_CLIENT }).rule.status, 'warn');
    const real = results({ issuer: OKTA_ISS, authorizer: rules, clientId: OKTA_CLIENT, accessTokenClaims: oktaToken(OKTA_CLIENT, 'api://mcp') }).rule;
    assert.equal(real.status, 'pass', real.finding);
    const wrong = results({ issuer: OKTA_ISS, authorizer: rules, clientId: OKTA_CLIENT, accessTokenClaims: oktaToken() }).rule;
    assert.equal(wrong.status, 'fail');
  });

  test('okta org authorization server fails the discovery check', () => {
    const org = 'https://dev-1.okta.com';
    const { discovery } = results({ issuer: org, authorizer: { discoveryUrl: disc(org), customClaims: [claimEquals('cid', OKTA_CLIENT)] }, clientId: OKTA_CLIENT });
    assert.equal(discovery.status, 'fail');
    assert.match(discovery.finding, /org authorization server tokens cannot be validated by anyone else/);
    assert.match(discovery.fix!, /https:\/\/dev-1\.okta\.com\/oauth2\/default\/\.well-known\/openid-configuration/);
  });

  test('entra with allowedClients fails: the client is in azp', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(ENTRA_ISS), allowedAudience: [ENTRA_APP], allowedClients: [ENTRA_APP] };
    denies(rules, entraV2Token(), 'allowedClients');
    const { rule } = results({ issuer: ENTRA_ISS, authorizer: rules, clientId: ENTRA_APP });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /no client_id claim \(the client is in azp/);
    assert.match(rule.fix!, /azp EQUALS/);
  });

  test('entra without an audience: fails with no pin at all, warns with only an azp rule', () => {
    const none: CustomJwtAuthorizer = { discoveryUrl: disc(ENTRA_ISS) };
    allows(none, { ...entraV2Token('11111111-2222-3333-4444-555555555555'), aud: '99999999-8888-7777-6666-555555555555' });
    const r1 = results({ issuer: ENTRA_ISS, authorizer: none, clientId: ENTRA_APP }).rule;
    assert.equal(r1.status, 'fail');
    assert.match(r1.fix!, new RegExp(`allowedAudience \\["${ENTRA_APP}"\\]`));
    const azpOnly: CustomJwtAuthorizer = { discoveryUrl: disc(ENTRA_ISS), customClaims: [claimEquals('azp', ENTRA_APP)] };
    allows(azpOnly, { ...entraV2Token(), aud: '99999999-8888-7777-6666-555555555555' });
    const r2 = results({ issuer: ENTRA_ISS, authorizer: azpOnly, clientId: ENTRA_APP }).rule;
    assert.equal(r2.status, 'warn');
    assert.match(r2.finding, /No allowedAudience/);
  });

  test('entra api:// audience fails with v2.0 tokens, which carry the GUID', () => {
    const rules = { ...recommendedRule('entra', { discoveryUrl: disc(ENTRA_ISS), clientId: ENTRA_APP }), allowedAudience: [`api://${ENTRA_APP}`] };
    denies(rules, entraV2Token(), 'allowedAudience');
    const { rule } = results({ issuer: ENTRA_ISS, authorizer: rules, clientId: ENTRA_APP, accessTokenClaims: entraV2Token() });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /application id \(a GUID\) in aud/);
    assert.match(rule.finding, /confirms it/);
  });

  test('entra v1 discovery URL fails and the fix names the tenant\'s v2.0 URL', () => {
    const v1Discovery = `https://login.microsoftonline.com/${TENANT}/.well-known/openid-configuration`;
    const rules = { ...recommendedRule('entra', { discoveryUrl: disc(ENTRA_ISS), clientId: ENTRA_APP }), discoveryUrl: v1Discovery };
    for (const issuer of [ENTRA_V1_ISS, ENTRA_ISS]) {
      const { discovery } = results({ issuer, authorizer: rules, clientId: ENTRA_APP });
      assert.equal(discovery.status, 'fail', issuer);
      assert.match(discovery.finding, /v1 endpoint \(no \/v2\.0\/\)/);
      assert.ok(discovery.fix!.includes(`${ENTRA_ISS}/.well-known/openid-configuration`), discovery.fix);
    }
    // The claim rules are judged against the v2.0 tokens the fix leads to: the client pin is azp, not appid.
    const v1Rules = results({ issuer: ENTRA_V1_ISS, authorizer: { discoveryUrl: v1Discovery, allowedClients: [ENTRA_APP] }, clientId: ENTRA_APP }).rule;
    assert.equal(v1Rules.status, 'fail');
    assert.match(v1Rules.fix!, new RegExp(`allowedAudience \\["${ENTRA_APP}"\\], customClaims azp EQUALS "${ENTRA_APP}", no allowedClients`));
    // A v1 issuer with a v2-looking discovery URL is caught too.
    const { discovery } = results({ issuer: ENTRA_V1_ISS, authorizer: { ...rules, discoveryUrl: disc(ENTRA_ISS) }, clientId: ENTRA_APP });
    assert.equal(discovery.status, 'fail');
    assert.ok(discovery.fix!.includes(disc(ENTRA_ISS)));
  });

  test('entra v1 token against the recommended v2 rule: rejected, and the fix is requestedAccessTokenVersion 2', () => {
    const rules = recommendedRule('entra', { discoveryUrl: disc(ENTRA_ISS), clientId: ENTRA_APP });
    denies(rules, entraV1Token(), 'allowedAudience');
    const { rule } = results({ issuer: ENTRA_ISS, authorizer: rules, clientId: ENTRA_APP, accessTokenClaims: entraV1Token() });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /v1\.0 token/);
    assert.match(rule.fix!, /requestedAccessTokenVersion to 2/);
  });

  test('entra multi-tenant discovery (common) fails: its issuer is a {tenantid} placeholder', () => {
    const rules = { ...recommendedRule('entra', { discoveryUrl: disc(ENTRA_ISS), clientId: ENTRA_APP }), discoveryUrl: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration' };
    const { discovery } = results({ issuer: ENTRA_ISS, authorizer: rules, clientId: ENTRA_APP });
    assert.equal(discovery.status, 'fail');
    assert.match(discovery.finding, /multi-tenant "common"/);
    assert.ok(discovery.fix!.includes(disc(ENTRA_ISS)));
  });

  test('entra scopes: api:// prefixed allowedScopes and a client asking only OpenID scopes both fail', () => {
    const rules = { ...recommendedRule('entra', { discoveryUrl: disc(ENTRA_ISS), clientId: ENTRA_APP }), allowedScopes: [`api://${ENTRA_APP}/access_as_user`] };
    denies(rules, entraV2Token(), 'allowedScopes');
    const r = results({ issuer: ENTRA_ISS, authorizer: rules, clientId: ENTRA_APP, scopes: ['openid', 'profile', 'offline_access'] }).rule;
    assert.equal(r.status, 'fail');
    assert.match(r.finding, /bare scope names/);
    assert.match(r.fix!, /allowedScopes \["access_as_user"\]/);
    assert.match(r.finding, /Microsoft Graph token/);
    assert.match(r.fix!, new RegExp(`api://${ENTRA_APP}/access_as_user`));
    // The bare name with the API scope requested fits.
    const good = { ...rules, allowedScopes: ['access_as_user'] };
    allows(good, entraV2Token());
    assert.equal(results({ issuer: ENTRA_ISS, authorizer: good, clientId: ENTRA_APP, scopes: ['openid', `api://${ENTRA_APP}/access_as_user`] }).rule.status, 'pass');
  });

  test('auth0 without allowedAudience fails: opaque tokens, and a token for another API passes', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(AUTH0_ISS), customClaims: [claimEquals('azp', AUTH0_CLIENT)] };
    allows(rules, auth0Token({ aud: 'https://payroll.acme.com/api' }));
    const { rule } = results({ issuer: AUTH0_ISS, authorizer: rules, clientId: AUTH0_CLIENT, gatewayUrl: AUTH0_API });
    assert.equal(rule.status, 'fail');
    assert.match(rule.finding, /opaque/);
    assert.ok(rule.fix!.includes(`allowedAudience ["${AUTH0_API}"]`), rule.fix);
  });

  test('auth0 with allowedClients warns unless the real token carries client_id (rfc9068 dialect)', () => {
    const rules: CustomJwtAuthorizer = { discoveryUrl: disc(AUTH0_ISS), allowedAudience: [AUTH0_API], allowedClients: [AUTH0_CLIENT] };
    denies(rules, auth0Token(), 'allowedClients');
    allows(rules, auth0Token({ rfc9068: true }));
    const r = results({ issuer: AUTH0_ISS, authorizer: rules, clientId: AUTH0_CLIENT }).rule;
    assert.equal(r.status, 'warn');
    assert.match(r.finding, /rfc9068_profile/);
    assert.equal(results({ issuer: AUTH0_ISS, authorizer: rules, clientId: AUTH0_CLIENT, accessTokenClaims: auth0Token({ rfc9068: true }) }).rule.status, 'pass');
    const real = results({ issuer: AUTH0_ISS, authorizer: rules, clientId: AUTH0_CLIENT, accessTokenClaims: auth0Token() }).rule;
    assert.equal(real.status, 'fail');
    assert.match(real.finding, /confirms it/);
  });

  test('auth0 allowedAudience on the tenant\'s userinfo audience fails: every openid token carries it', () => {
    const rules = { ...recommendedRule('auth0', { discoveryUrl: disc(AUTH0_ISS), clientId: AUTH0_CLIENT, audience: AUTH0_API }), allowedAudience: [`${AUTH0_ISS}userinfo`] };
    allows(rules, auth0Token({ aud: 'https://payroll.acme.com/api' }));
    const r = results({ issuer: AUTH0_ISS, authorizer: rules, clientId: AUTH0_CLIENT }).rule;
    assert.equal(r.status, 'fail');
    assert.match(r.finding, /userinfo/);
  });

  test('generic oidc: no pin fails, a pin to another client fails, the sandbox-shaped token is explained', () => {
    const open: CustomJwtAuthorizer = { discoveryUrl: disc(OIDC_ISS) };
    allows(open, oidcToken('someone-else'));
    const r1 = results({ issuer: OIDC_ISS, authorizer: open, clientId: OIDC_CLIENT }).rule;
    assert.equal(r1.status, 'fail');
    assert.match(r1.finding, /any client of this IdP can call the gateway/);
    const other: CustomJwtAuthorizer = { discoveryUrl: disc(OIDC_ISS), allowedClients: ['old-client'] };
    denies(other, oidcToken(), 'allowedClients');
    const r2 = results({ issuer: OIDC_ISS, authorizer: other, clientId: OIDC_CLIENT, accessTokenClaims: oidcToken() }).rule;
    assert.equal(r2.status, 'fail');
    assert.match(r2.finding, /"old-client".*"sandbox-client-1"/);
    assert.match(r2.fix!, /Set allowedClients to "sandbox-client-1"/);
  });

  test('generic oidc: a token without client_id, or issued to another client, gets a fix that changes something', () => {
    const pinned: CustomJwtAuthorizer = { discoveryUrl: disc(OIDC_ISS), allowedClients: [OIDC_CLIENT] };
    // The IdP names the client in azp only: allowedClients already is the right client, so "set it to X" would change nothing.
    const azpOnly = { ...oidcToken(), client_id: undefined, azp: OIDC_CLIENT };
    denies(pinned, azpOnly, 'allowedClients');
    const r1 = results({ issuer: OIDC_ISS, authorizer: pinned, clientId: OIDC_CLIENT, accessTokenClaims: azpOnly }).rule;
    assert.equal(r1.status, 'fail');
    assert.match(r1.finding, /carries no client_id claim.*azp \(sandbox-client-1\)/);
    assert.equal(r1.fix, 'Replace allowedClients with customClaims azp EQUALS "sandbox-client-1", or make the IdP put client_id in access tokens (RFC 9068).');
    assert.doesNotMatch(r1.fix!, /Set allowedClients to/);
    // No client claim at all.
    const none = { ...oidcToken(), client_id: undefined };
    const r2 = results({ issuer: OIDC_ISS, authorizer: pinned, clientId: OIDC_CLIENT, accessTokenClaims: none }).rule;
    assert.match(r2.finding, /names the client in no claim/);
    assert.doesNotMatch(r2.fix!, /Set allowedClients to/);
    // The entry signed in with another client than the setup's, which the gateway allows.
    const other = oidcToken('copied-from-a-wiki');
    const r3 = results({ issuer: OIDC_ISS, authorizer: pinned, clientId: OIDC_CLIENT, accessTokenClaims: other }).rule;
    assert.match(r3.finding, /issued to client copied-from-a-wiki.*another client than this setup's/);
    assert.equal(r3.fix, 'Make the client entry sign in with sandbox-client-1 (its --static-oauth-client-info), or add "copied-from-a-wiki" to allowedClients.');
    // No client id known to verify (verify --gateway-url with no --client-id): the value comes from the token, never a placeholder.
    const r4 = results({ issuer: OIDC_ISS, authorizer: { discoveryUrl: disc(OIDC_ISS), allowedClients: ['old-client'] }, accessTokenClaims: oidcToken() }).rule;
    assert.match(r4.fix!, /sandbox-client-1/);
    assert.doesNotMatch(r4.fix!, /</);
  });

  test('allowedScopes the client never requests warn', () => {
    const rules = { ...recommendedRule('oidc', { discoveryUrl: disc(OIDC_ISS), clientId: OIDC_CLIENT }), allowedScopes: ['mcp:tools'] };
    const r = results({ issuer: OIDC_ISS, authorizer: rules, clientId: OIDC_CLIENT, scopes: ['openid', 'profile'] }).rule;
    assert.equal(r.status, 'warn');
    assert.match(r.finding, /"mcp:tools"/);
    assert.equal(results({ issuer: OIDC_ISS, authorizer: rules, clientId: OIDC_CLIENT, scopes: ['openid', 'mcp:tools'] }).rule.status, 'pass');
  });
});

describe('discovery-url', () => {
  test('Auth0: the issuer ends in "/", the right discovery URL has no double slash, the naive one is named with the issuer', () => {
    const good = results({ issuer: AUTH0_ISS, authorizer: { discoveryUrl: 'https://tenant.us.auth0.com/.well-known/openid-configuration', allowedAudience: [AUTH0_API] }, clientId: AUTH0_CLIENT }).discovery;
    assert.equal(good.status, 'pass', good.finding);
    const naive = `${AUTH0_ISS}/.well-known/openid-configuration`;
    const bad = results({ issuer: AUTH0_ISS, authorizer: { discoveryUrl: naive, allowedAudience: [AUTH0_API] }, clientId: AUTH0_CLIENT }).discovery;
    assert.equal(bad.status, 'fail');
    assert.ok(bad.finding.includes(naive) && bad.finding.includes(AUTH0_ISS), bad.finding);
    assert.match(bad.finding, /differ only by a slash/);
    assert.equal(bad.fix, 'Set discoveryUrl to exactly https://tenant.us.auth0.com/.well-known/openid-configuration.');
  });

  test('a discovery URL of another issuer path or with a trailing slash fails and names both values', () => {
    const issuer = 'https://keycloak.example.com/realms/main';
    const wrong = 'https://keycloak.example.com/realms/main/.well-known/openid-configuration/';
    const r = results({ issuer, authorizer: { discoveryUrl: wrong, allowedClients: ['c'] }, clientId: 'c' }).discovery;
    assert.equal(r.status, 'fail');
    assert.ok(r.finding.includes(wrong), r.finding);
    assert.ok(r.fix!.includes(`${issuer}/.well-known/openid-configuration`));
    const other = results({ issuer, authorizer: { discoveryUrl: 'https://keycloak.example.com/realms/other/.well-known/openid-configuration', allowedClients: ['c'] }, clientId: 'c' }).discovery;
    assert.equal(other.status, 'fail');
    assert.ok(other.finding.includes('realms/other') && other.finding.includes(issuer), other.finding);
  });

  test('cognito hosted-UI domain is not the discovery URL', () => {
    const r = results({ issuer: COGNITO_ISS, authorizer: { discoveryUrl: 'https://myapp.auth.us-east-1.amazoncognito.com/.well-known/openid-configuration', allowedClients: [COGNITO_CLIENT] }, clientId: COGNITO_CLIENT }).discovery;
    assert.equal(r.status, 'fail');
    assert.match(r.finding, /hosted-UI domain/);
    assert.ok(r.fix!.includes(disc(COGNITO_ISS)));
  });
});

// ------------------------------------------------------------ real signatures: the recommended rules through the real validator

describe('recommended rules through the real JWT validator', () => {
  let idp: TestIssuer;
  before(async () => {
    idp = await startTestIssuer({ issuerPath: '/oauth2/default' });
  });
  after(async () => {
    await idp.close();
  });

  test('signed tokens shaped like each IdP pass their rule and fail the misconfigured one with the rule named', async () => {
    const validator = createJwtValidator({ timeoutMs: 2000 });
    const cases: Array<{ provider: ProviderId; claims: Record<string, unknown>; clientId: string; audience?: string; broken: Partial<CustomJwtAuthorizer>; rule: string }> = [
      { provider: 'okta', claims: oktaToken(), clientId: OKTA_CLIENT, audience: 'api://default', broken: { allowedClients: [OKTA_CLIENT] }, rule: 'allowedClients' },
      { provider: 'entra', claims: entraV2Token(), clientId: ENTRA_APP, broken: { allowedAudience: [`api://${ENTRA_APP}`] }, rule: 'allowedAudience' },
      { provider: 'cognito', claims: cognitoToken(), clientId: COGNITO_CLIENT, broken: { allowedAudience: [COGNITO_CLIENT] }, rule: 'allowedAudience' },
      { provider: 'auth0', claims: auth0Token(), clientId: AUTH0_CLIENT, audience: AUTH0_API, broken: { allowedClients: [AUTH0_CLIENT] }, rule: 'allowedClients' },
      { provider: 'oidc', claims: oidcToken(), clientId: OIDC_CLIENT, broken: { allowedClients: ['old-client'] }, rule: 'allowedClients' },
    ];
    for (const c of cases) {
      // The local issuer stands in for the IdP: same claims, its own iss and keys.
      const token = await idp.sign({ ...c.claims, iss: idp.issuer });
      const rules = recommendedRule(c.provider, { discoveryUrl: idp.discoveryUrl, clientId: c.clientId, ...(c.audience ? { audience: c.audience } : {}) });
      const ok = await validator.validate(token, rules);
      assert.equal(ok.ok, true, `${c.provider}: ${JSON.stringify(ok)}`);
      const bad = await validator.validate(token, { ...rules, ...c.broken });
      assert.equal(bad.ok, false, c.provider);
      assert.equal((bad as { rule: string }).rule, c.rule, c.provider);
      // And verify's check reports the same misconfiguration before anyone signs in.
      const fit = checkRuleFit({ provider: c.provider, issuer: idp.issuer, authorizer: { ...rules, ...c.broken }, clientId: c.clientId }).find((r) => r.id === 'rule-fit')!;
      assert.ok(fit.status === 'fail' || fit.status === 'warn', `${c.provider}: ${fit.finding}`);
    }
  });
});

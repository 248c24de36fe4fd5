/**
 * Checks: the gateway's CUSTOM_JWT authorizer fits the identity provider (issue #3, check 6).
 * - 'discovery-url': the discoveryUrl is the IdP's issuer + /.well-known/openid-configuration (Entra: the
 *   v2.0 one, Okta: a custom authorization server).
 * - 'rule-fit': the claim rules fit the IdP's access-token profile (FACTS section 4) and pin the tokens to
 *   this setup's client; with a real token from the test login, the rules are evaluated on its claims and a
 *   rejection is explained in the IdP's terms.
 * Pure: no I/O. Never prints a token (only claim names and non-secret claim values such as aud and client ids).
 */
import { CLIENT_CLAIMS } from '../authorizer/access.js';
import { evaluateAuthorizer } from '../authorizer/evaluate.js';
import type { AuthorizerDecision, CustomJwtAuthorizer } from '../authorizer/types.js';
import {
  DISCOVERY_SUFFIX,
  ENTRA_MULTI_TENANT,
  OKTA_DEFAULT_AUDIENCE,
  PROVIDER_NAMES,
  describeIssuer,
  detectProvider,
  discoveryUrlForIssuer,
  entraV2,
  isGuid,
  recommendedRule,
  tokenProfileFor,
} from '../../providers/profiles.js';
import type { ExtendedTokenProfile, IssuerInfo } from '../../providers/profiles.js';
import type { ProviderId } from '../../providers/types.js';
import type { CheckResult, Problem } from './types.js';
import { fromProblems } from './types.js';

export interface RuleFitInput {
  /** Explicit (journal/flag); else detectProvider(issuer). */
  provider?: ProviderId;
  /** The IdP's issuer (from the AS metadata / PRM). */
  issuer: string;
  /** The gateway's rules (control plane or journal). */
  authorizer: CustomJwtAuthorizer;
  /** The setup's client id. */
  clientId?: string;
  gatewayUrl?: string;
  /** Scopes the MCP client requests (client config / journal), when known. */
  scopes?: string[];
  /** A real access token's claims from the test login, when there was one: lets the check confirm with real claims. */
  accessTokenClaims?: Record<string, unknown>;
}

const DISCOVERY = { id: 'discovery-url', stage: 'config', title: 'Gateway discovery URL matches the issuer' } as const;
const RULE = { id: 'rule-fit', stage: 'config', title: 'Gateway claim rules fit the IdP\'s tokens' } as const;

/** A problem tied to the authorizer rule it concerns, so a real token's verdict can confirm or overrule it. */
interface RuleProblem extends Problem {
  rule?: string;
  /** The problem says "this rule rejects every token": a real token that passes proves it wrong. */
  rejectsAll?: boolean;
  /** The recommended audience/client rules fix it (several such problems share one fix: the recommended rules). */
  pin?: boolean;
}

const GRAPH_AUDIENCES = ['00000003-0000-0000-c000-000000000000', 'https://graph.microsoft.com'];
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'phone', 'address'];

const q = (s: string): string => JSON.stringify(s);
const an = (word: string): string => (/^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
const qs = (list: readonly string[]): string => `[${list.map(q).join(', ')}]`;

export function checkRuleFit(input: RuleFitInput): CheckResult[] {
  const info = describeIssuer(input.issuer);
  const provider = input.provider ?? info.provider;
  const profile = tokenProfileFor(provider, input.issuer);
  return [checkDiscoveryUrl(input, provider, info, profile), checkClaimRules(input, provider, profile)];
}

// ---------------------------------------------------------------- discovery-url

function checkDiscoveryUrl(input: RuleFitInput, provider: ProviderId, info: IssuerInfo, profile: ExtendedTokenProfile): CheckResult {
  const d = input.authorizer.discoveryUrl ?? '';
  const expected = provider === 'entra' ? profile.recommendedDiscoveryUrl : discoveryUrlForIssuer(input.issuer);
  const details = { discoveryUrl: d, issuer: input.issuer, expected, provider };
  const result = (problems: Problem[], pass: string): CheckResult => ({ ...fromProblems(DISCOVERY, problems, pass), details });

  try {
    new URL(d);
  } catch {
    return result([{ status: 'fail', finding: `The gateway's discoveryUrl ${q(d)} is not a URL.`, fix: `Set discoveryUrl to ${expected}.` }], '');
  }
  if (!d.endsWith(DISCOVERY_SUFFIX)) {
    return result(
      [{ status: 'fail', finding: `The gateway's discoveryUrl ${d} does not end in ${DISCOVERY_SUFFIX} (AgentCore requires the OpenID discovery document).`, fix: `Set discoveryUrl to ${expected}.` }],
      '',
    );
  }
  const dInfo = describeIssuer(d);

  if (provider === 'okta' && (info.variant === 'okta-org' || dInfo.variant === 'okta-org')) {
    const org = info.tenant ?? dInfo.tenant ?? '{org}';
    return result(
      [{
        status: 'fail',
        finding: `The gateway trusts Okta's org authorization server (${d}): org authorization server tokens cannot be validated by anyone else.`,
        fix: `Use a custom authorization server such as /oauth2/default: discoveryUrl https://${org}/oauth2/default${DISCOVERY_SUFFIX}, and make the client sign in there.`,
      }],
      '',
    );
  }

  if (provider === 'entra') {
    const tenant = dInfo.tenant ?? info.tenant;
    const v2 = tenant ? entraV2(ENTRA_MULTI_TENANT.includes(tenant.toLowerCase()) ? '{tenant-id}' : tenant, dInfo.loginHost ?? info.loginHost) : undefined;
    if (dInfo.provider === 'entra' && dInfo.variant === 'entra-v1') {
      return result(
        [{
          status: 'fail',
          finding: `The gateway's discoveryUrl ${d} is Entra's v1 endpoint (no /v2.0/): it names the v1 issuer https://sts.windows.net/${tenant ?? '{tenant}'}/, so v2.0 tokens are rejected.`,
          fix: `Set discoveryUrl to ${v2?.discoveryUrl ?? `https://login.microsoftonline.com/{tenant}/v2.0${DISCOVERY_SUFFIX}`} and the app's api.requestedAccessTokenVersion to 2.`,
        }],
        '',
      );
    }
    if (info.variant === 'entra-v1') {
      return result(
        [{
          status: 'fail',
          finding: `The issuer is Entra's v1 issuer ${input.issuer} (from a discovery URL without /v2.0/): the gateway expects v1.0 tokens, whose claims (appid, api:// audiences) differ from v2.0.`,
          fix: `Set discoveryUrl to ${v2?.discoveryUrl ?? `https://login.microsoftonline.com/{tenant}/v2.0${DISCOVERY_SUFFIX}`} and the app's api.requestedAccessTokenVersion to 2.`,
        }],
        '',
      );
    }
    if (dInfo.provider === 'entra' && dInfo.tenant && ENTRA_MULTI_TENANT.includes(dInfo.tenant.toLowerCase())) {
      return result(
        [{
          status: 'fail',
          finding: `The gateway's discoveryUrl uses Entra's multi-tenant "${dInfo.tenant}" endpoint, whose issuer is the placeholder https://login.microsoftonline.com/{tenantid}/v2.0: no token's iss matches it.`,
          fix: `Use your tenant id: ${info.tenant && isGuid(info.tenant) ? entraV2(info.tenant, info.loginHost).discoveryUrl : `https://login.microsoftonline.com/<tenant-id>/v2.0${DISCOVERY_SUFFIX}`}.`,
        }],
        '',
      );
    }
    if (dInfo.provider === 'entra' && info.provider === 'entra' && dInfo.tenant && info.tenant && dInfo.tenant !== info.tenant && !isGuid(dInfo.tenant) && isGuid(info.tenant)) {
      // contoso.onmicrosoft.com/v2.0 serves the same document as <guid>/v2.0: it works, if it is that tenant.
      return result(
        [{
          status: 'warn',
          finding: `The gateway's discoveryUrl names the tenant by domain (${dInfo.tenant}) while the issuer names it by id (${info.tenant}): this works only if they are the same tenant.`,
          fix: `Set discoveryUrl to ${expected} (the tenant id form).`,
        }],
        '',
      );
    }
  }

  if (d !== expected) {
    const slashOnly = d.replace(/\/+/g, '/') === expected.replace(/\/+/g, '/') || d.toLowerCase() === expected.toLowerCase();
    const cognitoDomain = provider === 'cognito' && /\.amazoncognito\.com$/i.test(safeHost(d));
    return result(
      [{
        status: 'fail',
        finding:
          `The gateway's discoveryUrl is ${d}, but the IdP's issuer is ${input.issuer}, whose discovery URL is ${expected}` +
          (slashOnly ? ' (they differ only by a slash or letter case, which still makes them different issuers).' : '.') +
          (cognitoDomain ? ' A Cognito hosted-UI domain serves no discovery document: the issuer is the cognito-idp URL of the user pool.' : ''),
        fix: `Set discoveryUrl to exactly ${expected}.`,
      }],
      '',
    );
  }
  return result([], `discoveryUrl ${d} is the discovery URL of the issuer ${input.issuer}.`);
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- rule-fit

interface Pin {
  claim: string;
  values: string[];
  /** 'allowedClients' or 'customClaims[i]' */
  rule: string;
}

/** Rules that pin the client: allowedClients (client_id) and custom claim rules on a client claim. */
function clientPins(a: CustomJwtAuthorizer): Pin[] {
  const pins: Pin[] = [];
  if (a.allowedClients?.length) pins.push({ claim: 'client_id', values: a.allowedClients, rule: 'allowedClients' });
  (a.customClaims ?? []).forEach((c, i) => {
    if (!CLIENT_CLAIMS.includes(c.inboundTokenClaimName)) return;
    const v = (c.authorizingClaimMatchValue?.claimMatchValue ?? {}) as { matchValueString?: unknown; matchValueStringList?: unknown };
    const values = typeof v.matchValueString === 'string' ? [v.matchValueString] : Array.isArray(v.matchValueStringList) ? v.matchValueStringList.map(String) : [];
    pins.push({ claim: c.inboundTokenClaimName, values, rule: `customClaims[${i}]` });
  });
  return pins;
}

/** Where the client sits in this IdP's tokens, for messages. */
function clientWhere(profile: ExtendedTokenProfile): string {
  switch (profile.provider) {
    case 'okta':
      return 'the client is in cid';
    case 'entra':
      return profile.variant === 'entra-v1' ? 'the client is in appid in v1.0 tokens' : 'the client is in azp; appid in v1.0 tokens';
    case 'auth0':
      return 'the client is in azp; client_id only with the API\'s rfc9068_profile token dialect';
    default:
      return `the client is in ${profile.clientClaim}`;
  }
}

function staticProblems(input: RuleFitInput, provider: ProviderId, profile: ExtendedTokenProfile): RuleProblem[] {
  const a = input.authorizer;
  const cid = input.clientId ?? '<clientId>';
  const name = PROVIDER_NAMES[provider];
  const problems: RuleProblem[] = [];
  const pins = clientPins(a);
  const auds = a.allowedAudience ?? [];
  const hasAud = auds.length > 0;
  const claims = input.accessTokenClaims;
  const tokenHasClientId = typeof claims?.client_id === 'string';

  // 1. Client pins on a claim this IdP's access tokens never carry (Okta/Entra allowedClients, Cognito azp...).
  for (const pin of pins) {
    if (provider === 'oidc' || profile.clientClaims.includes(pin.claim)) continue;
    const what = pin.rule === 'allowedClients' ? 'allowedClients (which reads client_id)' : `${pin.rule} (${pin.claim})`;
    const fixClaim = provider === 'cognito' ? `use allowedClients [${q(cid)}]` : `add customClaims ${profile.clientClaim} EQUALS ${q(cid)}`;
    problems.push({
      status: 'fail',
      pin: true,
      rule: pin.rule,
      rejectsAll: true,
      finding: `${name} access tokens have no ${pin.claim} claim (${clientWhere(profile)}): ${what} rejects every token.`,
      fix: `Remove ${pin.rule === 'allowedClients' ? 'allowedClients' : `the ${pin.claim} rule`} and ${fixClaim}.`,
    });
  }
  // Auth0: client_id exists only with the rfc9068 dialect.
  if (provider === 'auth0' && a.allowedClients?.length && !tokenHasClientId) {
    problems.push({
      status: 'warn',
      rule: 'allowedClients',
      rejectsAll: true,
      finding: 'Auth0 puts client_id in access tokens only when the API\'s token dialect is rfc9068_profile; otherwise the client is in azp and allowedClients rejects every token.',
      fix: `Use customClaims azp EQUALS ${q(cid)} instead, or set the API's token_dialect to rfc9068_profile.`,
    });
  }

  // 2. Client pins naming another client than this setup's.
  if (input.clientId) {
    for (const pin of pins) {
      if (!pin.values.length || pin.values.includes(input.clientId)) continue;
      if (provider !== 'oidc' && !profile.clientClaims.includes(pin.claim)) continue; // already reported above
      problems.push({
        status: 'fail',
        pin: true,
        rule: pin.rule,
        rejectsAll: true,
        finding: `${pin.rule} pins ${pin.claim} to ${qs(pin.values)}, but this setup's client is ${q(input.clientId)}: its tokens are rejected.`,
        fix: `Set ${pin.rule} to ${q(input.clientId)}.`,
      });
    }
  }
  const pinnedOn = (claim: string) => pins.some((p) => p.claim === claim);
  const hasOwnPin = pins.some((p) => provider === 'oidc' || profile.clientClaims.includes(p.claim));

  // 3. Custom claim rules whose value type cannot match the claim's JSON type in this IdP's tokens.
  (a.customClaims ?? []).forEach((c, i) => {
    const t = profile.claimTypes[c.inboundTokenClaimName];
    if (!t) return;
    const ruleType = c.inboundTokenClaimValueType;
    if ((t === 'string' && ruleType === 'STRING_ARRAY') || (t === 'array' && ruleType === 'STRING')) {
      const other = t === 'string' ? 'STRING' : 'STRING_ARRAY';
      problems.push({
        status: 'fail',
        rule: `customClaims[${i}]`,
        rejectsAll: true,
        finding: `${c.inboundTokenClaimName} is ${t === 'string' ? 'a string' : 'an array'} in ${name} access tokens, but customClaims[${i}] treats it as ${ruleType}: it rejects every token.`,
        fix: `Make customClaims[${i}] a ${other} rule (${t === 'string' ? 'EQUALS' : 'CONTAINS or CONTAINS_ANY'}).`,
      });
    }
  });

  // 4. Per IdP (FACTS section 4 'Gateway rule' row).
  switch (provider) {
    case 'okta': {
      const hasCid = pinnedOn('cid');
      const fix = `Set allowedAudience [${q(profile.defaultAudience ?? OKTA_DEFAULT_AUDIENCE)}] and customClaims cid EQUALS ${q(cid)}.`;
      if (!hasAud && !hasCid) {
        problems.push({ pin: true, status: 'fail', finding: 'Neither allowedAudience nor a cid rule: any app of the Okta org that gets a token from this authorization server can call the gateway.', fix });
      } else if (!hasCid) {
        problems.push({ pin: true, status: 'warn', finding: `No cid rule: every app of the Okta org that can get tokens for ${qs(auds)} can call the gateway.`, fix: `Add customClaims cid EQUALS ${q(cid)}.` });
      }
      if (hasAud && profile.defaultAudience && !auds.includes(profile.defaultAudience)) {
        problems.push({
          status: 'warn',
          rule: 'allowedAudience',
          rejectsAll: true,
          finding: `allowedAudience is ${qs(auds)}, but the default authorization server issues aud ${q(profile.defaultAudience)} unless an admin changed it.`,
          fix: `Use the authorization server's audience (Security > API > Authorization Servers > default), normally ${q(profile.defaultAudience)}.`,
        });
      }
      break;
    }
    case 'entra': {
      const v1 = profile.variant === 'entra-v1';
      const hasAzp = pinnedOn(profile.clientClaim);
      const audFix = `allowedAudience [${q(isGuid(cid) ? cid : '<API app id>')}]`;
      if (!hasAud && !hasAzp) {
        problems.push({
          status: 'fail',
          pin: true,
          finding: `Neither allowedAudience nor ${an(profile.clientClaim)} rule: a token any app of the tenant gets for any API of the tenant passes.`,
          fix: `Set ${audFix} and customClaims ${profile.clientClaim} EQUALS ${q(cid)}.`,
        });
      } else if (!hasAud) {
        problems.push({ pin: true, status: 'warn', finding: 'No allowedAudience: tokens this client gets for any other API of the tenant also pass.', fix: `Add ${audFix}.` });
      } else if (!hasAzp) {
        problems.push({ pin: true, status: 'warn', finding: `No ${profile.clientClaim} rule: every app allowed to call the API can call the gateway.`, fix: `Add customClaims ${profile.clientClaim} EQUALS ${q(cid)}.` });
      }
      if (hasAud && !v1 && !auds.some(isGuid)) {
        problems.push({
          status: 'fail',
          pin: true,
          rule: 'allowedAudience',
          rejectsAll: true,
          finding: `Entra v2.0 access tokens carry the API's application id (a GUID) in aud, never ${qs(auds)}: allowedAudience rejects every token.`,
          fix: `Set ${audFix} (the app id of the API the client requests a scope of).`,
        });
      }
      const uriScopes = (a.allowedScopes ?? []).filter((s) => s.includes('/'));
      if (uriScopes.length && uriScopes.length === a.allowedScopes!.length) {
        const bare = uriScopes.map((s) => s.slice(s.lastIndexOf('/') + 1));
        problems.push({
          status: 'fail',
          rule: 'allowedScopes',
          rejectsAll: true,
          finding: `Entra's scp holds bare scope names (such as ${q(bare[0]!)}), never ${q(uriScopes[0]!)}: allowedScopes rejects every token.`,
          fix: `Set allowedScopes ${qs(bare)}.`,
        });
      }
      if (input.scopes?.length && !input.scopes.some((s) => s.includes('/'))) {
        problems.push({
          status: 'fail',
          finding: `The client requests only ${qs(input.scopes)}: Entra then issues a Microsoft Graph token, which no one but Graph can validate.`,
          fix: `Add the API's scope to the client's scopes, e.g. api://${isGuid(cid) ? cid : '<appId>'}/access_as_user.`,
        });
      }
      break;
    }
    case 'cognito': {
      if (hasAud) {
        problems.push({
          status: 'fail',
          pin: true,
          rule: 'allowedAudience',
          rejectsAll: true,
          finding: 'Cognito access tokens carry no aud: this rule rejects every token.',
          fix: `Remove allowedAudience and use allowedClients [${q(cid)}].`,
        });
      }
      if (!pinnedOn('client_id')) {
        problems.push({ pin: true, status: 'fail', finding: 'No allowedClients: any app client of the user pool can call the gateway.', fix: `Set allowedClients [${q(cid)}].` });
      }
      break;
    }
    case 'auth0': {
      const tenantRoot = input.issuer.endsWith('/') ? input.issuer : `${input.issuer}/`;
      const identifier = input.gatewayUrl ?? '<API identifier>';
      if (!hasAud) {
        problems.push({
          status: 'fail',
          finding: 'No allowedAudience: Auth0 issues opaque (non-JWT) access tokens unless the client requests an API audience, and a token for any API of the tenant would pass.',
          fix: `Create an Auth0 API (identifier ${identifier}), set allowedAudience [${q(identifier)}] + customClaims azp EQUALS ${q(cid)}, and make the client request that audience (or set the tenant's default_audience).`,
        });
      } else {
        const broad = auds.filter((x) => x === `${tenantRoot}userinfo` || x.startsWith(`${tenantRoot}api/v2`));
        if (broad.length) {
          problems.push({
            status: 'fail',
            pin: true,
            finding: `allowedAudience includes ${qs(broad)}, which ${broad[0]!.endsWith('userinfo') ? 'every token requested with openid carries' : 'is the Management API'}: tokens for other APIs of the tenant pass.`,
            fix: `Use only your API's identifier in allowedAudience (${identifier}).`,
          });
        }
      }
      if (hasAud && !hasOwnPin) {
        problems.push({ pin: true, status: 'warn', finding: 'No client rule: every application of the tenant authorised for this API can call the gateway.', fix: `Add customClaims azp EQUALS ${q(cid)}.` });
      }
      break;
    }
    case 'oidc':
    default: {
      if (!hasAud && !hasOwnPin) {
        problems.push({
          status: 'fail',
          pin: true,
          finding: 'No allowedAudience, allowedClients or client claim rule: any client of this IdP can call the gateway.',
          fix: `Set allowedClients [${q(cid)}] (and allowedAudience to the gateway's resource when the IdP puts it in aud).`,
        });
      }
    }
  }

  // 5. allowedScopes the client never requests (OIDC scopes aside, Entra strips the API prefix).
  if (a.allowedScopes?.length && input.scopes?.length && !problems.some((p) => p.rule === 'allowedScopes')) {
    const requested = input.scopes.map((s) => (provider === 'entra' && s.includes('/') ? s.slice(s.lastIndexOf('/') + 1) : s));
    const granted = provider === 'entra' ? requested.filter((s) => !OIDC_SCOPES.includes(s)) : requested;
    if (!a.allowedScopes.some((s) => granted.includes(s))) {
      problems.push({
        status: 'warn',
        rule: 'allowedScopes',
        rejectsAll: true,
        finding: `allowedScopes is ${qs(a.allowedScopes)}, but the client requests ${qs(input.scopes)}: unless the IdP adds one of them, every token is rejected.`,
        fix: `Add one of ${qs(a.allowedScopes)} to the client's scopes, or change allowedScopes.`,
      });
    }
  }
  return problems;
}

/** allowedClients refused a token at a generic IdP: say which client the token names (or that it names none) and fix what differs. */
function explainClientDenial(claims: Record<string, unknown>, input: RuleFitInput, profile: ExtendedTokenProfile): { why: string; fix: string } {
  const allowed = input.authorizer.allowedClients ?? [];
  const tokenCid = typeof claims.client_id === 'string' && claims.client_id ? claims.client_id : undefined;
  const cid = input.clientId ?? tokenCid;
  if (!tokenCid) {
    const where = [...profile.clientClaims, ...CLIENT_CLAIMS].find((c) => c !== 'client_id' && typeof claims[c] === 'string' && claims[c]);
    const named = where ? ` It names the client in ${where} (${String(claims[where])}).` : ' It names the client in no claim the gateway can read.';
    const value = (where ? String(claims[where]) : undefined) ?? cid;
    return {
      why: `The token carries no client_id claim, and allowedClients reads only client_id.${named}`,
      fix: where && value
        ? `Replace allowedClients with customClaims ${where} EQUALS ${q(value)}, or make the IdP put client_id in access tokens (RFC 9068).`
        : 'Make the IdP put client_id in access tokens (RFC 9068), or remove allowedClients and pin the client with allowedAudience.',
    };
  }
  if (input.clientId && tokenCid !== input.clientId && allowed.includes(input.clientId)) {
    return {
      why: `The token was issued to client ${tokenCid}, but the gateway allows ${qs(allowed)}: the MCP client signed in with another client than this setup's.`,
      fix: `Make the client entry sign in with ${input.clientId} (its --static-oauth-client-info), or add ${q(tokenCid)} to allowedClients.`,
    };
  }
  return { why: `The token was issued to client ${tokenCid}, which allowedClients ${qs(allowed)} does not name.`, fix: `Set allowedClients to the client the MCP client signs in with (${cid}).` };
}

/** The IdP-aware explanation of a real token's rejection. */
function explainDenial(d: Extract<AuthorizerDecision, { allow: false }>, claims: Record<string, unknown>, input: RuleFitInput, provider: ProviderId, profile: ExtendedTokenProfile): { why: string; fix: string } {
  const tokenClient = CLIENT_CLAIMS.map((c) => claims[c]).find((v): v is string => typeof v === 'string' && v !== '');
  const cid = input.clientId ?? tokenClient ?? '<clientId>';
  const aud = claims.aud;
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.map(String) : [];
  const v1Token = claims.ver === '1.0' || (typeof claims.iss === 'string' && /sts\.(windows\.net|chinacloudapi\.cn)/.test(claims.iss));
  if (d.rule === 'allowedClients') {
    if (provider === 'okta') return { why: 'Okta puts the client in cid, not client_id.', fix: `Replace allowedClients with customClaims cid EQUALS ${q(cid)}.` };
    if (provider === 'entra') return { why: 'Entra puts the client in azp (appid in v1.0 tokens), not client_id.', fix: `Replace allowedClients with customClaims azp EQUALS ${q(cid)}.` };
    if (provider === 'auth0') return { why: 'Auth0 puts the client in azp; client_id appears only with the API\'s rfc9068_profile token dialect.', fix: `Use customClaims azp EQUALS ${q(cid)}, or set the API's token_dialect to rfc9068_profile.` };
    return explainClientDenial(claims, input, profile);
  }
  if (d.rule === 'allowedAudience') {
    if (provider === 'cognito') return { why: 'Cognito access tokens carry no aud.', fix: `Remove allowedAudience and use allowedClients [${q(cid)}].` };
    if (provider === 'entra') {
      if (auds.some((x) => GRAPH_AUDIENCES.includes(x))) return { why: 'This is a Microsoft Graph token: the client asked for no scope of the API.', fix: `Make the client request the API's scope (api://${isGuid(cid) ? cid : '<appId>'}/access_as_user).` };
      if (v1Token) return { why: 'This is a v1.0 token (its aud may be the api:// URI).', fix: 'Set the API app\'s api.requestedAccessTokenVersion to 2, then sign in again.' };
      return { why: 'Entra v2.0 tokens carry the API app id (a GUID) in aud.', fix: `Set allowedAudience to the aud the token carries when it is your API (${auds[0] ?? '<appId>'}).` };
    }
    if (provider === 'auth0') return { why: 'The client did not request the API audience the gateway wants.', fix: `Make the client request audience ${qs(input.authorizer.allowedAudience ?? [])} (or set the tenant's default_audience).` };
    if (provider === 'okta') return { why: `This authorization server's audience is ${auds.length ? qs(auds) : 'not set'}.`, fix: `Set allowedAudience to the authorization server's audience${auds[0] ? ` (${auds[0]})` : ''}.` };
    return { why: '', fix: 'Make the IdP put the gateway\'s audience in the token (often a resource or audience parameter), or change allowedAudience.' };
  }
  if (d.rule === 'allowedScopes') {
    if (provider === 'entra') return { why: 'Entra\'s scp holds bare scope names of the API the token is for.', fix: 'Use bare names in allowedScopes (e.g. access_as_user) and request api://<appId>/<name>.' };
    return { why: '', fix: 'Make the client request one of the allowed scopes, or change allowedScopes.' };
  }
  const m = /^customClaims\[(\d+)\]$/.exec(d.rule);
  if (m) {
    const rule = input.authorizer.customClaims?.[Number(m[1])];
    const claim = rule?.inboundTokenClaimName ?? '';
    if (rule && claims[claim] === undefined && CLIENT_CLAIMS.includes(claim)) {
      if (provider === 'entra' && v1Token && claim === 'azp') return { why: 'This is a v1.0 token: it carries the client in appid, not azp.', fix: 'Set the API app\'s api.requestedAccessTokenVersion to 2, then sign in again.' };
      const where = profile.clientClaims.find((c) => claims[c] !== undefined) ?? CLIENT_CLAIMS.find((c) => claims[c] !== undefined);
      if (where) return { why: `${PROVIDER_NAMES[provider]} puts the client in ${where}, not ${claim}.`, fix: `Make ${d.rule} a rule on ${where} (${where} EQUALS ${q(cid)}).` };
    }
    return { why: '', fix: `Change ${d.rule} or the IdP app so the token carries what the rule wants.` };
  }
  return { why: '', fix: 'Change the gateway rule or the IdP app so the token carries what the rule wants.' };
}

/** The audience to build the recommended rule with: the gateway's own, where it is one the IdP's tokens can carry. */
function suggestedAudience(input: RuleFitInput, provider: ProviderId): string | undefined {
  const auds = input.authorizer.allowedAudience ?? [];
  switch (provider) {
    case 'entra':
      return auds.find((x) => isGuid(x) || /^api:\/\/[0-9a-f-]{36}\/?$/i.test(x));
    case 'auth0': {
      const root = input.issuer.endsWith('/') ? input.issuer : `${input.issuer}/`;
      return auds.find((x) => x !== `${root}userinfo` && !x.startsWith(`${root}api/v2`)) ?? input.gatewayUrl;
    }
    case 'cognito':
      return undefined;
    default:
      return auds[0];
  }
}

function suggestRule(input: RuleFitInput, provider: ProviderId): CustomJwtAuthorizer | undefined {
  if (!input.clientId) return undefined;
  const audience = suggestedAudience(input, provider);
  try {
    return recommendedRule(provider, { discoveryUrl: input.authorizer.discoveryUrl, clientId: input.clientId, ...(audience ? { audience } : {}) });
  } catch {
    return undefined;
  }
}

/** One line: the audience and client rules of `to`, and what to drop of `from`. */
function renderRule(to: CustomJwtAuthorizer, from: CustomJwtAuthorizer): string {
  const parts: string[] = [];
  const drops: string[] = [];
  if (to.allowedAudience?.length) parts.push(`allowedAudience ${qs(to.allowedAudience)}`);
  else if (from.allowedAudience?.length) drops.push('no allowedAudience');
  if (to.allowedClients?.length) parts.push(`allowedClients ${qs(to.allowedClients)}`);
  else if (from.allowedClients?.length) drops.push('no allowedClients');
  for (const c of to.customClaims ?? []) {
    const v = c.authorizingClaimMatchValue.claimMatchValue;
    parts.push(`customClaims ${c.inboundTokenClaimName} ${c.authorizingClaimMatchValue.claimMatchOperator} ${'matchValueString' in v ? q(v.matchValueString) : qs(v.matchValueStringList)}`);
  }
  const dropped = (from.customClaims ?? []).filter((c) => CLIENT_CLAIMS.includes(c.inboundTokenClaimName) && !(to.customClaims ?? []).some((t) => t.inboundTokenClaimName === c.inboundTokenClaimName));
  for (const c of dropped) drops.push(`no ${c.inboundTokenClaimName} rule`);
  parts.push(...drops);
  return parts.join(', ');
}

function checkClaimRules(input: RuleFitInput, provider: ProviderId, tokenProfile: ExtendedTokenProfile): CheckResult {
  // Entra v1: the discovery check sends the gateway to v2.0, so judge the rules against v2.0 tokens.
  const profile = provider === 'entra' && tokenProfile.variant === 'entra-v1' && tokenProfile.recommendedDiscoveryUrl !== tokenProfile.discoveryUrl
    ? tokenProfileFor('entra', tokenProfile.recommendedDiscoveryUrl.slice(0, -DISCOVERY_SUFFIX.length))
    : tokenProfile;
  let problems = staticProblems(input, provider, profile);
  const claims = input.accessTokenClaims;
  const recommended = suggestRule(input, provider);
  let decision: AuthorizerDecision | undefined;
  if (claims) {
    // The token's issuer, explained where the IdP makes it surprising (token-claims reports the plain mismatch).
    const iss = typeof claims.iss === 'string' ? claims.iss : undefined;
    if (iss && iss !== input.issuer) {
      const tokenInfo = describeIssuer(iss);
      if (provider === 'entra' && tokenInfo.variant === 'entra-v1') {
        problems.push({ status: 'fail', finding: `The test login's token is a v1.0 token (iss ${iss}), not the v2.0 token the issuer ${input.issuer} signs: the gateway rejects it.`, fix: 'Set the API app\'s api.requestedAccessTokenVersion to 2, then sign in again.' });
      } else if (provider === 'okta' && tokenInfo.variant === 'okta-org') {
        problems.push({ status: 'fail', finding: `The test login's token comes from Okta's org authorization server (iss ${iss}), whose tokens nobody else can validate.`, fix: `Make the client sign in at the custom authorization server ${input.issuer}.` });
      }
    }
    const verdict = evaluateAuthorizer(input.authorizer, claims);
    decision = verdict;
    if (verdict.allow) {
      // A real token passes: problems claiming "rejects every token" were wrong (an unusual IdP setup, a custom domain).
      problems = problems.filter((p) => !p.rejectsAll);
    } else {
      const same = problems.find((p) => p.rule === verdict.rule && p.rejectsAll);
      if (same) {
        same.status = 'fail';
        same.finding += ' The test login\'s token confirms it.';
      } else {
        const { why, fix } = explainDenial(verdict, claims, input, provider, tokenProfile);
        problems.push({ status: 'fail', rule: verdict.rule, finding: `The test login's token is rejected: ${verdict.reason.charAt(0).toLowerCase()}${verdict.reason.slice(1)}${why ? ` ${why}` : ''}`, fix });
      }
    }
  }
  // Several audience/client problems: one fix, the recommended rules, instead of overlapping partial fixes.
  const pinProblems = problems.filter((p) => p.pin);
  const merged: Problem[] =
    pinProblems.length > 1 && recommended
      ? [
          { status: pinProblems.some((p) => p.status === 'fail') ? 'fail' : 'warn', finding: pinProblems.map((p) => p.finding).join(' '), fix: `Set the claim rules to ${renderRule(recommended, input.authorizer)}.` },
          ...problems.filter((p) => !p.pin),
        ]
      : problems;
  const a = input.authorizer;
  const pins = clientPins(a).filter((p) => p.values.length);
  const pass =
    `The claim rules fit ${PROVIDER_NAMES[provider]}'s access tokens (` +
    `${profile.audienceClaim ? `aud ${a.allowedAudience?.length ? qs(a.allowedAudience) : 'not checked'}` : 'no aud'}, ` +
    `${pins.length ? pins.map((p) => `${p.claim} ${qs(p.values)}`).join(', ') : 'client not pinned'})` +
    (claims ? ' and the test login\'s token satisfies them.' : '.');
  const result = fromProblems(RULE, merged.map(({ status, finding, fix }) => ({ status, finding, ...(fix ? { fix } : {}) })), pass);
  return {
    ...result,
    details: {
      provider,
      variant: profile.variant,
      profile: { audienceClaim: profile.audienceClaim, clientClaim: profile.clientClaim, scopeClaim: profile.scopeClaim },
      ...(recommended ? { recommended } : {}),
      ...(decision ? { tokenDecision: decision } : {}),
      ...(input.provider && input.provider !== detectProvider(input.issuer) ? { detectedProvider: detectProvider(input.issuer) } : {}),
    },
  };
}

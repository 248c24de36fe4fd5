/**
 * The access policy (issue 13) as pure functions: the flag syntax and AgentCore's own limits, the gateway rules it
 * becomes, the words shown for it, per-user verdicts by the gateway's rule function, the advertised-claims warning,
 * and a team profile's rules read as untrusted input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccessPolicyError, checkGroupValues, claimRule, describePolicy, judgeRequirements, parseAccessPolicy, parseClaimRule, requirementsOf, withAccessRules } from '../../src/authorizer/access.js';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import { checkAccessRules } from '../../src/checks/access-rules.js';
import { accessAuthorizer, profileAccess, scopesWithAccess, unadvertised } from '../../src/flows/access.js';
import { validateTeamProfile } from '../../src/flows/team-profile.js';

const base = { discoveryUrl: 'https://idp.example.com/.well-known/openid-configuration', allowedClients: ['c1'] };
const groups = { claim: 'groups' };

describe('--require-claim syntax', () => {
  test('=, ~ and ~a,b (or a|b) become EQUALS, CONTAINS and CONTAINS_ANY', () => {
    assert.deepEqual(parseClaimRule('department=engineering'), { claim: 'department', op: 'EQUALS', values: ['engineering'] });
    assert.deepEqual(parseClaimRule('groups~engineering'), { claim: 'groups', op: 'CONTAINS', values: ['engineering'] });
    assert.deepEqual(parseClaimRule('groups~engineering,platform'), { claim: 'groups', op: 'CONTAINS_ANY', values: ['engineering', 'platform'] });
    assert.deepEqual(parseClaimRule('groups~engineering|platform'), parseClaimRule('groups~engineering,platform'));
    assert.deepEqual(parseClaimRule('https://example.com/roles~admin'), { claim: 'https://example.com/roles', op: 'CONTAINS', values: ['admin'] }, 'a namespaced claim (Auth0) fits AgentCore\'s pattern');
    assert.deepEqual(parseClaimRule('groups~a,a'), { claim: 'groups', op: 'CONTAINS', values: ['a'] }, 'duplicates collapse');
  });

  test('what AgentCore would refuse is refused, naming the flag and the fix', () => {
    const refuse = (text: string, re: RegExp) => {
      assert.throws(() => parseClaimRule(text), (e: unknown) => e instanceof AccessPolicyError && e.flag === '--require-claim' && re.test(e.message) && e.fix.length > 0, text);
    };
    refuse('department', /is not a claim rule/);
    refuse('=x', /is not a claim rule/);
    refuse('department=', /has an empty value/);
    refuse('groups~a,,b', /has an empty value/);
    refuse('dep artment=x', /claim name "dep artment" is not one AgentCore accepts/);
    refuse(`${'c'.repeat(256)}=x`, /is not one AgentCore accepts/);
    refuse('groups~has space', /value "has space"/);
    refuse('groups~ünïcode', /value "ünïcode"/);
    refuse(`groups~${'v'.repeat(256)}`, /is not a value AgentCore accepts/);
    refuse('department=a,b', /"=" compares a string claim with one value/);
    for (const reserved of ['iss', 'exp', 'aud', 'client_id', 'scope', 'scp']) refuse(`${reserved}=x`, /cannot rule on/);
    // A group name with a space is a name (Entra turns it into a role value); where the claim carries the name
    // itself, AgentCore cannot match it: refused once the IdP's group claim is known.
    assert.deepEqual(parseAccessPolicy({ groups: ['Domain Users'] }), { groups: ['Domain Users'] });
    assert.throws(() => checkGroupValues({ groups: ['Domain Users'] }, { claim: 'groups' }), (e: unknown) => e instanceof AccessPolicyError && e.flag === '--allow-group' && /carries it as "Domain Users", which AgentCore cannot match/.test(e.message));
    checkGroupValues({ groups: ['Domain Users'] }, { claim: 'roles', valueFor: (g) => g.replace(/ /g, '_') });
    assert.throws(() => parseAccessPolicy({ groups: ['bad\u0007bell'] }), (e: unknown) => e instanceof AccessPolicyError && e.flag === '--allow-group');
    assert.throws(() => parseAccessPolicy({ scopes: ['a"b'] }), (e: unknown) => e instanceof AccessPolicyError && e.flag === '--require-scope');
  });

  test('repeated and comma-separated flags are one policy', () => {
    assert.deepEqual(parseAccessPolicy({ groups: ['engineering', 'platform,sre', 'engineering'], scopes: ['mcp:invoke mcp:admin'], claims: [] }), { groups: ['engineering', 'platform', 'sre'], scopes: ['mcp:invoke', 'mcp:admin'] });
    assert.deepEqual(parseAccessPolicy({}), {});
  });
});

describe('gateway rules and words', () => {
  test('groups become one rule on the IdP\'s group claim; claims keep their order; scopes are exactly allowedScopes', () => {
    const z = withAccessRules({ ...base, allowedScopes: ['rs/read', 'rs/write'] }, { groups: ['engineering', 'platform'], scopes: ['rs/write'], claims: [parseClaimRule('department=engineering')] }, groups);
    assert.deepEqual(z.allowedScopes, ['rs/write'], 'a required scope is not widened by others');
    assert.deepEqual(z.allowedClients, ['c1'], 'the client pin stays');
    assert.deepEqual(requirementsOf(z), [
      { claim: 'groups', op: 'CONTAINS_ANY', values: ['engineering', 'platform'] },
      { claim: 'department', op: 'EQUALS', values: ['engineering'] },
    ]);
    // The same rules the sandbox and AgentCore evaluate: an engineer in engineering with the scope passes, others not.
    assert.deepEqual(evaluateAuthorizer(z, { client_id: 'c1', scope: 'openid rs/write', groups: ['platform'], department: 'engineering' }), { allow: true });
    assert.equal(evaluateAuthorizer(z, { client_id: 'c1', scope: 'openid rs/write', groups: ['sales'], department: 'engineering' }).allow, false);
    assert.equal(evaluateAuthorizer(z, { client_id: 'c1', scope: 'openid rs/read', groups: ['platform'], department: 'engineering' }).allow, false);
    // Entra's app roles: the group name becomes the role value.
    const entra = withAccessRules(base, { groups: ['Platform Team'.replace(' ', '-')] }, { claim: 'roles', valueFor: (g) => `agentcore.${g}` });
    assert.deepEqual(requirementsOf(entra), [{ claim: 'roles', op: 'CONTAINS', values: ['agentcore.Platform-Team'] }]);
    assert.equal(withAccessRules(base, {}, groups), base, 'no policy: the rules are the app\'s pins alone');
  });

  test('the words say who is admitted', () => {
    assert.deepEqual(describePolicy({ groups: ['engineering'], scopes: ['mcp:invoke'], claims: [parseClaimRule('department=engineering'), parseClaimRule('groups~a,b')] }, groups), [
      'members of "engineering": only tokens whose groups contains "engineering"',
      'only tokens granted "mcp:invoke" (allowedScopes)',
      'only tokens whose department is "engineering"',
      'only tokens whose groups contains any of "a", "b"',
    ]);
    assert.deepEqual(describePolicy({}, groups), []);
  });

  test('verdicts per requirement come from the gateway\'s own rule function', () => {
    const reqs = [parseClaimRule('groups~engineering'), parseClaimRule('department=engineering'), parseClaimRule('team~platform')];
    const v = judgeRequirements(reqs, { groups: ['sales'], department: 'engineering', team: 'platform' });
    assert.deepEqual(v.map((x) => x.holds), [false, true, false], 'a string where an array is wanted does not hold, as at the gateway');
    assert.match(v[0]!.had, /groups is \["sales"\]/);
  });

  test('verify\'s access-rules check: admitted, refused in words, or a claim nobody carries with the IdP-side fix', () => {
    const z = withAccessRules({ ...base, customClaims: [claimRule({ claim: 'cid', op: 'EQUALS', values: ['c1'] })] }, { groups: ['engineering'] }, groups);
    const admitted = checkAccessRules({ authorizer: z, claims: { preferred_username: 'alice', groups: ['engineering'] }, provider: 'oidc' })!;
    assert.equal(admitted.status, 'pass');
    assert.doesNotMatch(admitted.finding, /cid/, 'the client pin is rule-fit\'s, not an access rule');
    const bob = checkAccessRules({ authorizer: z, claims: { email: 'bob@example.com', groups: ['sales'] }, provider: 'oidc' })!;
    assert.equal(bob.status, 'fail');
    assert.match(bob.finding, /^bob@example\.com is not admitted: bob@example\.com's groups are \["sales"\], without "engineering"\./);
    const none = checkAccessRules({ authorizer: z, claims: { sub: 'u1' }, provider: 'okta' })!;
    assert.match(none.finding, /The token carries no "groups" claim, which the gateway's rules read: the gateway refuses u1, and every other user of this IdP alike/);
    assert.match(none.fix!, /Add a "groups" claim for access tokens on the authorization server/);
    assert.equal(checkAccessRules({ authorizer: base, claims: {}, provider: 'oidc' }), undefined, 'no access rules, no check');
  });
});

describe('the flows\' helpers', () => {
  test('a generic IdP that does not advertise the claim or the scope gets a warning each', () => {
    const md = { claims_supported: ['sub', 'groups'], scopes_supported: ['openid', 'mcp:tools'] };
    assert.deepEqual(unadvertised(md, { groups: ['x'], scopes: ['mcp:tools'] }, { groupClaim: groups, idpChanges: [] }), []);
    const w = unadvertised(md, { scopes: ['mcp:invoke'], claims: [parseClaimRule('team~a')] }, { groupClaim: groups, idpChanges: [] });
    assert.equal(w.length, 2);
    assert.match(w[0]!, /does not list "team" in claims_supported/);
    assert.match(w[1]!, /does not list the scope "mcp:invoke"/);
    assert.deepEqual(unadvertised({}, { claims: [parseClaimRule('team~a')] }, { groupClaim: groups, idpChanges: [] }), [], 'no claims_supported: nothing to compare');
  });

  test('the client asks for the required scopes as the IdP wants them asked', () => {
    assert.deepEqual(scopesWithAccess(['openid'], { scopes: ['invoke'] }, { groupClaim: groups, idpChanges: [], clientScopes: ['rs/invoke'] }), ['openid', 'rs/invoke']);
    assert.deepEqual(scopesWithAccess(['openid'], { scopes: ['mcp:tools'] }, { groupClaim: groups, idpChanges: [] }), ['openid', 'mcp:tools']);
    assert.deepEqual(scopesWithAccess(['openid'], undefined, { groupClaim: groups, idpChanges: [] }), ['openid']);
  });

  test('a team profile carries the rules, and a tampered one is refused', () => {
    const z = withAccessRules(base, { groups: ['engineering'], scopes: ['mcp:tools'] }, groups);
    const access = profileAccess(z);
    assert.deepEqual(access, { allowedScopes: ['mcp:tools'], rules: [{ claim: 'groups', op: 'CONTAINS', values: ['engineering'] }] });
    assert.deepEqual(accessAuthorizer(access), { allowedScopes: ['mcp:tools'], customClaims: z.customClaims });
    const profile = { version: 1, gatewayUrl: 'https://gw.example.com/mcp', clientId: 'c1', scopes: ['openid'], callbackPort: 3334, serverName: 'gateway-tools' };
    assert.deepEqual(validateTeamProfile({ ...profile, access }, 'p.json').access, access);
    for (const bad of [
      { rules: [{ claim: 'groups', op: 'MATCHES', values: ['x'] }] },
      { rules: [{ claim: 'groups', op: 'CONTAINS', values: ['\u001b[2Jx'] }] },
      { rules: [{ claim: 'gro ups', op: 'CONTAINS', values: ['x'] }] },
      { rules: [{ claim: 'groups', op: 'CONTAINS', values: [] }] },
      { allowedScopes: ['a b'] },
      'everyone',
    ]) {
      assert.throws(() => validateTeamProfile({ ...profile, access: bad }, 'p.json'), /p\.json is not a usable team profile: "access/, JSON.stringify(bad));
    }
  });
});

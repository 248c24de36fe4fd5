import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import { createJwtValidator } from '../../src/authorizer/validate.js';
import type { CustomClaimRule, CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { startTestIssuer } from '../helpers/authorizer-issuer.js';
import type { TestIssuer } from '../helpers/authorizer-issuer.js';

const D = 'https://idp.example/.well-known/openid-configuration';

function denied(d: ReturnType<typeof evaluateAuthorizer>): { rule: string; reason: string } {
  assert.equal(d.allow, false, 'expected the authorizer to deny');
  return d as { rule: string; reason: string };
}

const claim = (name: string, type: CustomClaimRule['inboundTokenClaimValueType'], op: CustomClaimRule['authorizingClaimMatchValue']['claimMatchOperator'], value: string | string[]): CustomClaimRule => ({
  inboundTokenClaimName: name,
  inboundTokenClaimValueType: type,
  authorizingClaimMatchValue: { claimMatchOperator: op, claimMatchValue: Array.isArray(value) ? { matchValueStringList: value } : { matchValueString: value } },
});

describe('evaluateAuthorizer', () => {
  test('no rules beyond the discovery URL allows any verified token', () => {
    assert.deepEqual(evaluateAuthorizer({ discoveryUrl: D }, {}), { allow: true });
  });

  test('allowedAudience accepts aud as a string or as an array containing one allowed value', () => {
    const rules = { discoveryUrl: D, allowedAudience: ['api://default', 'other'] };
    assert.equal(evaluateAuthorizer(rules, { aud: 'api://default' }).allow, true);
    assert.equal(evaluateAuthorizer(rules, { aud: ['x', 'other'] }).allow, true);
    const d = denied(evaluateAuthorizer(rules, { aud: ['x', 'y'] }));
    assert.equal(d.rule, 'allowedAudience');
    assert.match(d.reason, /\["x","y"\]/);
    assert.match(d.reason, /"api:\/\/default", "other"/);
    assert.match(denied(evaluateAuthorizer(rules, {})).reason, /no aud claim/);
  });

  test('allowedClients reads client_id only, and says where the client id really is', () => {
    const rules = { discoveryUrl: D, allowedClients: ['app1'] };
    assert.equal(evaluateAuthorizer(rules, { client_id: 'app1' }).allow, true);
    const azp = denied(evaluateAuthorizer(rules, { azp: 'app1' }));
    assert.equal(azp.rule, 'allowedClients');
    assert.match(azp.reason, /no client_id claim/);
    assert.match(azp.reason, /azp "app1"/);
    const cid = denied(evaluateAuthorizer(rules, { cid: 'app1' }));
    assert.match(cid.reason, /cid "app1"/);
    assert.match(denied(evaluateAuthorizer(rules, { client_id: 'app2' })).reason, /client_id "app2".*"app1"/);
  });

  test('allowedScopes needs at least one overlap, from scope (string) or scp (string or array)', () => {
    const rules = { discoveryUrl: D, allowedScopes: ['mcp.read', 'mcp.write'] };
    assert.equal(evaluateAuthorizer(rules, { scope: 'openid mcp.write' }).allow, true);
    assert.equal(evaluateAuthorizer(rules, { scp: ['mcp.read'] }).allow, true);
    assert.equal(evaluateAuthorizer(rules, { scp: 'profile mcp.read' }).allow, true);
    const d = denied(evaluateAuthorizer(rules, { scope: 'openid profile' }));
    assert.equal(d.rule, 'allowedScopes');
    assert.match(d.reason, /"openid", "profile".*at least one of "mcp.read", "mcp.write"/);
    assert.match(denied(evaluateAuthorizer(rules, {})).reason, /no scope or scp claim/);
  });

  test('EQUALS compares a STRING claim; an array, a missing claim or another value fails', () => {
    const rules = { discoveryUrl: D, customClaims: [claim('cid', 'STRING', 'EQUALS', 'app1')] };
    assert.equal(evaluateAuthorizer(rules, { cid: 'app1' }).allow, true);
    const other = denied(evaluateAuthorizer(rules, { cid: 'app2' }));
    assert.equal(other.rule, 'customClaims[0]');
    assert.match(other.reason, /cid "app2".*equal "app1"/);
    assert.match(denied(evaluateAuthorizer(rules, { cid: ['app1'] })).reason, /not a string/);
    assert.match(denied(evaluateAuthorizer(rules, {})).reason, /no cid claim/);
  });

  test('CONTAINS needs a STRING_ARRAY claim holding the value; a string claim is a type mismatch', () => {
    const rules = { discoveryUrl: D, customClaims: [claim('groups', 'STRING_ARRAY', 'CONTAINS', 'admins')] };
    assert.equal(evaluateAuthorizer(rules, { groups: ['users', 'admins'] }).allow, true);
    assert.match(denied(evaluateAuthorizer(rules, { groups: ['users'] })).reason, /contain "admins"/);
    assert.match(denied(evaluateAuthorizer(rules, { groups: 'admins' })).reason, /not an array of strings/);
    assert.match(denied(evaluateAuthorizer(rules, { groups: ['admins', 3] })).reason, /not an array of strings/);
  });

  test('CONTAINS_ANY needs a STRING_ARRAY claim holding any listed value', () => {
    const rules = { discoveryUrl: D, customClaims: [claim('roles', 'STRING_ARRAY', 'CONTAINS_ANY', ['a', 'b'])] };
    assert.equal(evaluateAuthorizer(rules, { roles: ['z', 'b'] }).allow, true);
    assert.match(denied(evaluateAuthorizer(rules, { roles: ['z'] })).reason, /any of "a", "b"/);
    assert.match(denied(evaluateAuthorizer(rules, { roles: 'a' })).reason, /not an array/);
  });

  test('an operator that does not fit its value type fails instead of matching loosely', () => {
    const rules = { discoveryUrl: D, customClaims: [claim('groups', 'STRING_ARRAY', 'EQUALS', 'admins')] };
    const d = denied(evaluateAuthorizer(rules, { groups: ['admins'] }));
    assert.match(d.reason, /misconfigured/);
  });

  test('rules are AND-ed and the first failing rule, in AgentCore order, is reported', () => {
    const rules: CustomJwtAuthorizer = {
      discoveryUrl: D,
      allowedAudience: ['api'],
      allowedClients: ['app1'],
      allowedScopes: ['mcp'],
      customClaims: [claim('tenant', 'STRING', 'EQUALS', 't1'), claim('groups', 'STRING_ARRAY', 'CONTAINS', 'dev')],
    };
    const good = { aud: 'api', client_id: 'app1', scope: 'mcp', tenant: 't1', groups: ['dev'] };
    assert.equal(evaluateAuthorizer(rules, good).allow, true);
    assert.equal(denied(evaluateAuthorizer(rules, { ...good, aud: 'x', client_id: 'x' })).rule, 'allowedAudience');
    assert.equal(denied(evaluateAuthorizer(rules, { ...good, client_id: 'x', scope: 'x' })).rule, 'allowedClients');
    assert.equal(denied(evaluateAuthorizer(rules, { ...good, scope: 'x', tenant: 'x' })).rule, 'allowedScopes');
    assert.equal(denied(evaluateAuthorizer(rules, { ...good, tenant: 'x' })).rule, 'customClaims[0]');
    assert.equal(denied(evaluateAuthorizer(rules, { ...good, groups: [] })).rule, 'customClaims[1]');
  });
});

describe('createJwtValidator (against a real local issuer)', () => {
  let idp: TestIssuer;
  let rules: CustomJwtAuthorizer;
  before(async () => {
    idp = await startTestIssuer();
    rules = { discoveryUrl: idp.discoveryUrl, allowedClients: ['app1'] };
  });
  after(() => idp.close());

  async function expectFailure(token: string, rule: string, validator = createJwtValidator({ jwksCooldownMs: 0 }), r = rules) {
    const result = await validator.validate(token, r);
    assert.equal(result.ok, false, `expected rule ${rule} to fail`);
    const f = result as { rule: string; reason: string };
    assert.equal(f.rule, rule, f.reason);
    assert.ok(!f.reason.includes(token), 'the reason must never contain the token');
    const [, payload = 'x', sig = 'x'] = token.split('.');
    if (payload.length > 8) assert.ok(!f.reason.includes(payload));
    if (sig.length > 8) assert.ok(!f.reason.includes(sig));
    return f;
  }

  test('a valid token passes and returns its verified claims', async () => {
    const token = await idp.sign({ sub: 'alice', client_id: 'app1' });
    const result = await createJwtValidator().validate(token, rules);
    assert.equal(result.ok, true);
    assert.equal((result as { claims: Record<string, unknown> }).claims.sub, 'alice');
  });

  test('the discovery document is cached per URL', async () => {
    const v = createJwtValidator();
    const before = idp.jwksFetches();
    await v.validate(await idp.sign({ client_id: 'app1' }), rules);
    await v.validate(await idp.sign({ client_id: 'app1' }), rules);
    assert.equal(idp.jwksFetches() - before, 1, 'keys are fetched once, then reused');
  });

  test('an issuer other than the discovery document issuer fails on iss', async () => {
    const f = await expectFailure(await idp.sign({ client_id: 'app1', iss: 'https://evil.example' }), 'iss');
    assert.match(f.reason, /evil\.example/);
    assert.ok(f.reason.includes(idp.issuer));
  });

  test('an expired token fails on exp, but clock skew within 60 s is tolerated', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectFailure(await idp.sign({ client_id: 'app1', exp: now - 120 }), 'exp');
    const ok = await createJwtValidator().validate(await idp.sign({ client_id: 'app1', exp: now - 30 }), rules);
    assert.equal(ok.ok, true);
    await expectFailure(await idp.sign({ client_id: 'app1', exp: null }), 'exp');
  });

  test('a token not valid yet fails on nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectFailure(await idp.sign({ client_id: 'app1', nbf: now + 600 }), 'nbf');
  });

  test('the injected clock decides exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await idp.sign({ client_id: 'app1', exp: now + 600 });
    await expectFailure(token, 'exp', createJwtValidator({ now: () => (now + 3600) * 1000 }));
  });

  test('an unsigned token (alg none) is refused', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: idp.issuer, client_id: 'app1', exp: now + 600, sub: 'mallory' })}.`;
    const f = await expectFailure(token, 'signature');
    assert.match(f.reason, /unsigned/);
  });

  test('a tampered payload fails the signature check', async () => {
    const token = await idp.sign({ client_id: 'app2', sub: 'bob' });
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ iss: idp.issuer, client_id: 'app1', sub: 'bob', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    await expectFailure(`${h}.${forged}.${s}`, 'signature');
  });

  test('a key that is not published fails; once published, the JWKS is refetched and it passes', async () => {
    const validator = createJwtValidator({ jwksCooldownMs: 0 });
    await validator.validate(await idp.sign({ client_id: 'app1' }), rules); // warm the key cache
    const rotated = await idp.newKey('key-2');
    const token = await idp.sign({ client_id: 'app1' }, { key: rotated });
    const f = await expectFailure(token, 'signature', validator);
    assert.match(f.reason, /key-2/);
    idp.publish(rotated);
    const ok = await validator.validate(token, rules);
    assert.equal(ok.ok, true);
  });

  test('garbage is a format failure', async () => {
    await expectFailure('not-a-jwt', 'format');
    await expectFailure('aaa.bbb.ccc', 'format');
  });

  test('claim rules run after verification, with the evaluate rule name', async () => {
    const f = await expectFailure(await idp.sign({ client_id: 'other' }), 'allowedClients');
    assert.match(f.reason, /"other".*"app1"/);
  });

  test('an unreachable discovery URL fails on discovery', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const f = await expectFailure(await idp.sign({ client_id: 'app1' }), 'discovery', createJwtValidator({ timeoutMs: 2000 }), {
      discoveryUrl: `http://127.0.0.1:${port}/.well-known/openid-configuration`,
    });
    assert.match(f.reason, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });
});

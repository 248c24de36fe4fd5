/**
 * Check 5, forged-token probes, against real local gateways:
 *  - the sandbox's AgentCore-compatible gateway, created through the real AgentCore SDK against the sandbox
 *    control plane, trusting a real local issuer (so a genuinely signed, expired token exists);
 *  - small gateways that validate with jose against the issuer's JWKS and apply the real CUSTOM_JWT claim
 *    rules, each with exactly one hole;
 *  - gateways that answer nonsense (500, a redirect, nothing at all).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EmbeddedJWK, createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { BedrockAgentCoreControlClient, CreateGatewayCommand, GetGatewayCommand } from '@aws-sdk/client-bedrock-agentcore-control';
import { evaluateAuthorizer } from '../../src/authorizer/evaluate.js';
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { createMemoryLogger } from '../../src/core/logger.js';
import { createControlPlane, type ControlPlane } from '../../src/sandbox/controlplane.js';
import {
  FORGED_PROBE_IDS,
  PROBE_SUBJECT,
  checkForgedTokens,
  expiredTokenProblem,
  forgedClaims,
  type ForgedProbeInput,
} from '../../src/checks/forged.js';
import type { CheckResult } from '../../src/checks/types.js';
import { startTestIssuer, type TestIssuer } from '../helpers/authorizer-issuer.js';

let idp: TestIssuer;
const servers: Server[] = [];

before(async () => {
  idp = await startTestIssuer();
});
after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
  await idp.close();
});

const byId = (checks: CheckResult[], id: string): CheckResult => {
  const c = checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${checks.map((x) => x.id).join(', ')}`);
  return c;
};

/** The rules every local gateway enforces (after the signature): the forged tokens must satisfy all of them. */
function rulesFor(gatewayUrl: string): CustomJwtAuthorizer {
  return {
    discoveryUrl: idp.discoveryUrl,
    allowedAudience: [gatewayUrl, 'api://default'],
    allowedClients: ['app-1'],
    allowedScopes: ['mcp.tools'],
    customClaims: [
      { inboundTokenClaimName: 'cid', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: 'app-1' } } },
      { inboundTokenClaimName: 'groups', inboundTokenClaimValueType: 'STRING_ARRAY', authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS', claimMatchValue: { matchValueString: 'mcp-users' } } },
      { inboundTokenClaimName: 'tier', inboundTokenClaimValueType: 'STRING_ARRAY', authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS_ANY', claimMatchValue: { matchValueStringList: ['gold', 'silver'] } } },
    ],
  };
}

function probeInput(gatewayUrl: string, rules: CustomJwtAuthorizer, extra: Partial<ForgedProbeInput> = {}): ForgedProbeInput {
  return {
    gatewayUrl,
    issuer: idp.issuer,
    audience: rules.allowedAudience,
    clientId: rules.allowedClients?.[0],
    scopes: rules.allowedScopes,
    customClaims: rules.customClaims,
    publishedKids: [idp.key.kid],
    timeoutMs: 2000,
    ...extra,
  };
}

/** A real access token from the issuer, right in every claim, that expired an hour ago. */
async function expiredToken(gatewayUrl: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return idp.sign({ sub: 'alice', aud: gatewayUrl, client_id: 'app-1', cid: 'app-1', scope: 'mcp.tools', groups: ['mcp-users'], tier: ['gold'], iat: now - 7200, exp: now - 3600 });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      Promise.resolve(handler(req, res, body)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(err.message);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

type Hole = 'none' | 'alg-none' | 'kid-trust' | 'embedded-jwk' | 'no-exp' | 'any-bearer';

/**
 * A gateway that validates bearer tokens with jose against the issuer's JWKS (iss, exp, RS256) and then the
 * real CUSTOM_JWT claim rules, except for one deliberate hole. Records every bearer value it receives.
 */
async function startGateway(hole: Hole): Promise<{ gatewayUrl: string; rules: CustomJwtAuthorizer; received: string[] }> {
  const jwks = createLocalJWKSet({ keys: [idp.key.publicJwk] });
  const received: string[] = [];
  let rules: CustomJwtAuthorizer | undefined;
  const now = () => Math.floor(Date.now() / 1000);
  const decodeChecked = (token: string): JWTPayload => {
    const p = decodeJwt(token);
    if (p.iss !== idp.issuer || typeof p.exp !== 'number' || p.exp < now()) throw new Error('bad iss or exp');
    return p;
  };
  const validate = async (token: string): Promise<JWTPayload> => {
    if (hole === 'any-bearer') return {};
    const header = decodeProtectedHeader(token);
    if (hole === 'alg-none' && header.alg === 'none') return decodeChecked(token);
    if (hole === 'kid-trust' && header.kid === idp.key.kid) return decodeChecked(token);
    const key = hole === 'embedded-jwk' && header.jwk ? EmbeddedJWK : jwks;
    const { payload } = await jwtVerify(token, key, { issuer: idp.issuer, algorithms: ['RS256'], clockTolerance: hole === 'no-exp' ? 10 * 365 * 86400 : 60 });
    return payload;
  };
  const gatewayUrl = await listen(async (req, res, body) => {
    const auth = req.headers.authorization ?? '';
    const rpc = JSON.parse(body || '{}') as { id?: unknown };
    if (!auth.startsWith('Bearer ')) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer resource_metadata="x"' });
      return void res.end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id ?? null, error: { code: -32001, message: 'Missing Bearer token' } }));
    }
    const token = auth.slice(7);
    received.push(token);
    let ok = false;
    try {
      const claims = (await validate(token)) as Record<string, unknown>;
      ok = hole === 'any-bearer' || evaluateAuthorizer(rules!, claims).allow;
    } catch {
      ok = false;
    }
    if (!ok) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token", resource_metadata="x"' });
      return void res.end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id ?? null, error: { code: -32001, message: 'Invalid Bearer token' } }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: rpc.id ?? null, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'leaky', version: '1' } } }));
  });
  rules = rulesFor(gatewayUrl);
  return { gatewayUrl, rules, received };
}

async function probe(hole: Hole, extra: Partial<ForgedProbeInput> = {}) {
  const gw = await startGateway(hole);
  const checks = await checkForgedTokens(probeInput(gw.gatewayUrl, gw.rules, { expiredToken: await expiredToken(gw.gatewayUrl), ...extra }));
  return { ...gw, checks };
}

function failing(checks: CheckResult[]): string[] {
  return checks.filter((c) => c.status === 'fail').map((c) => c.id);
}

describe('forged-token probes: the sandbox gateway', () => {
  let server: Server;
  let cp: ControlPlane;
  let client: BedrockAgentCoreControlClient;
  let toolsDir: string;

  before(async () => {
    toolsDir = await mkdtemp(path.join(tmpdir(), 'acauth-forged-'));
    cp = createControlPlane({ region: 'us-east-1', accountId: '123456789012', logger: createMemoryLogger(), readyDelayMs: 0, toolsDir });
    server = createServer((req, res) => (cp.matches(req) ? cp.handler(req, res) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new BedrockAgentCoreControlClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  after(async () => {
    client.destroy();
    await cp.close();
    await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
    await rm(toolsDir, { recursive: true, force: true });
  });

  test('a CUSTOM_JWT gateway refuses every forgery and a genuine expired token, each with 401 invalid_token', async () => {
    const created = await client.send(
      new CreateGatewayCommand({
        name: 'forged-probes',
        roleArn: 'arn:aws:iam::123456789012:role/AgentCoreGatewayRole',
        protocolType: 'MCP',
        authorizerType: 'CUSTOM_JWT',
        authorizerConfiguration: { customJWTAuthorizer: { discoveryUrl: idp.discoveryUrl, allowedClients: ['app-1'], allowedScopes: ['mcp.tools'] } },
      }),
    );
    for (let i = 0; (await client.send(new GetGatewayCommand({ gatewayIdentifier: created.gatewayId }))).status !== 'READY'; i++) {
      assert.ok(i < 200, 'gateway never became READY');
      await new Promise((r) => setTimeout(r, 5));
    }
    const gatewayUrl = created.gatewayUrl!;
    const now = Math.floor(Date.now() / 1000);
    const expired = await idp.sign({ sub: 'alice', aud: gatewayUrl, client_id: 'app-1', scope: 'mcp.tools', iat: now - 7200, exp: now - 3600 });
    const checks = await checkForgedTokens({
      gatewayUrl,
      issuer: idp.issuer,
      clientId: 'app-1',
      scopes: ['mcp.tools'],
      publishedKids: [idp.key.kid],
      expiredToken: expired,
      timeoutMs: 3000,
    });
    assert.deepEqual(checks.map((c) => c.id), [...FORGED_PROBE_IDS]);
    for (const c of checks) {
      assert.equal(c.status, 'pass', `${c.id}: ${c.finding}`);
      assert.equal(c.stage, 'probes');
      assert.match(c.finding, /^Refused .* with HTTP 401 invalid_token\.$/);
    }
    // The refusals are for the reason each probe targets: the signature, or (for the genuine token) exp.
    assert.match(String(byId(checks, 'forged-unsigned').details?.errorDescription), /unsigned/);
    assert.match(String(byId(checks, 'forged-unknown-key').details?.errorDescription), /No key .* matches/);
    assert.match(String(byId(checks, 'forged-wrong-key').details?.errorDescription), /signature does not verify/);
    assert.match(String(byId(checks, 'forged-expired').details?.errorDescription), /expired/);
    assert.match(String(byId(checks, 'forged-garbage').details?.errorDescription), /not a JWT/);
    assert.ok(!JSON.stringify(checks).includes(expired), 'the expired token leaked into the results');
  });
});

describe('forged-token probes: gateways with one hole each', () => {
  test('a correct gateway refuses all five probes', async () => {
    const { checks } = await probe('none');
    for (const c of checks) assert.equal(c.status, 'pass', `${c.id}: ${c.finding}`);
  });

  const cases: { hole: Hole; fails: string[]; message: RegExp }[] = [
    { hole: 'alg-none', fails: ['forged-unsigned'], message: /The gateway ACCEPTED an unsigned token \(alg none\) \(HTTP 200\): anyone can call its tools as anyone\./ },
    { hole: 'kid-trust', fails: ['forged-wrong-key'], message: /ACCEPTED a token naming the IdP's key "key-1" but signed by another key .*does not check signatures/ },
    { hole: 'embedded-jwk', fails: ['forged-unknown-key'], message: /ACCEPTED a token signed by a key the IdP never published .*anyone can mint tokens/ },
    { hole: 'no-exp', fails: ['forged-expired'], message: /ACCEPTED a genuine token that expired 1 h ago \(HTTP 200\): it ignores exp/ },
    { hole: 'any-bearer', fails: [...FORGED_PROBE_IDS], message: /ACCEPTED a bearer value that is not a JWT at all \(HTTP 200\): any Authorization header gets in\./ },
  ];
  for (const { hole, fails, message } of cases) {
    test(`a gateway with hole "${hole}" fails exactly ${fails.join(', ')}`, async () => {
      const { checks, received } = await probe(hole);
      assert.deepEqual(failing(checks), fails, checks.map((c) => `${c.id} ${c.status}: ${c.finding}`).join('\n'));
      for (const c of checks.filter((x) => !fails.includes(x.id))) assert.equal(c.status, 'pass', `${c.id}: ${c.finding}`);
      const caught = byId(checks, fails.at(-1)!);
      assert.match(caught.finding, message);
      assert.match(caught.fix ?? '', /CUSTOM_JWT with the IdP's discovery URL/);
      // No bearer value the gateway saw appears anywhere in the results.
      assert.equal(received.length, 5);
      const out = JSON.stringify(checks);
      for (const t of received) assert.ok(!out.includes(t), 'a token leaked into the results');
    });
  }

  test('every forged token is right in every claim: the real claim rules accept it, only the signature is wrong', async () => {
    const { received, rules } = await probe('any-bearer', { audience: ['api://default'] });
    const jwts = received.filter((t) => t.split('.').length === 3 && t.startsWith('eyJ'));
    assert.equal(jwts.length, 4); // unsigned, unknown key, wrong key, the genuine expired one
    const now = Math.floor(Date.now() / 1000);
    const forged = jwts.filter((t) => decodeJwt(t).sub === PROBE_SUBJECT);
    assert.equal(forged.length, 3);
    const kids = new Set<unknown>();
    for (const t of forged) {
      const header = decodeProtectedHeader(t);
      const claims = decodeJwt(t) as Record<string, unknown>;
      assert.equal(header.typ, 'at+jwt');
      assert.deepEqual(evaluateAuthorizer(rules, claims), { allow: true });
      assert.equal(claims.iss, idp.issuer);
      assert.equal(claims.aud, 'api://default', 'one audience is a string');
      for (const c of ['client_id', 'azp', 'cid']) assert.equal(claims[c], 'app-1');
      assert.equal(claims.scope, 'mcp.tools');
      assert.deepEqual(claims.scp, ['mcp.tools']);
      assert.deepEqual(claims.groups, ['mcp-users']);
      assert.deepEqual(claims.tier, ['gold']);
      assert.ok(Math.abs((claims.exp as number) - (now + 300)) <= 2);
      assert.ok((claims.nbf as number) < (claims.iat as number));
      assert.equal(typeof claims.jti, 'string');
      kids.add(header.kid);
      if (header.alg === 'none') assert.ok(t.endsWith('.'), 'alg none has an empty signature');
      else assert.equal(header.alg, 'RS256');
    }
    assert.ok(kids.has('key-1'), 'the wrong-key probe names the published kid');
    const unknown = [...kids].find((k) => typeof k === 'string' && k !== 'key-1');
    assert.match(String(unknown), /^agentcore-auth-probe-/);
  });
});

describe('forged-token probes: answers that tell nothing', () => {
  test('a gateway that answers 500 to everything: each sent probe warns that it could not tell', async () => {
    const gatewayUrl = await listen((_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'));
    const checks = await checkForgedTokens(probeInput(gatewayUrl, rulesFor(gatewayUrl), { expiredToken: await expiredToken(gatewayUrl) }));
    for (const c of checks) {
      assert.equal(c.status, 'warn', `${c.id}: ${c.finding}`);
      assert.match(c.finding, /got HTTP 500, a server error: could not tell/);
      assert.ok(c.fix);
    }
  });

  test('a gateway that never answers: each probe warns naming the timeout, within the timeout', async () => {
    const gatewayUrl = await listen(() => undefined);
    const started = Date.now();
    const checks = await checkForgedTokens(probeInput(gatewayUrl, rulesFor(gatewayUrl), { timeoutMs: 300 }));
    assert.ok(Date.now() - started < 1500, 'probes run concurrently, each bounded by the timeout');
    for (const c of checks.filter((x) => x.id !== 'forged-expired')) {
      assert.equal(c.status, 'warn');
      assert.match(c.finding, /no answer within 300 ms.*could not tell/);
    }
  });

  test('403 is a refusal, but 403 insufficient_scope means the forgery was taken as genuine', async () => {
    const plain = await listen((_req, res) => void res.writeHead(403).end());
    for (const c of (await checkForgedTokens(probeInput(plain, rulesFor(plain)))).filter((x) => x.status !== 'skip')) assert.equal(c.status, 'pass', c.finding);
    const scoped = await listen((_req, res) => void res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="admin"' }).end());
    const c = byId(await checkForgedTokens(probeInput(scoped, rulesFor(scoped))), 'forged-unsigned');
    assert.equal(c.status, 'fail');
    assert.match(c.finding, /treated an unsigned token \(alg none\) as genuine: it refused it for scope alone \(HTTP 403 insufficient_scope\)/);
  });

  test('a JSON-RPC result is acceptance whatever the status; a redirect is inconclusive', async () => {
    const odd = await listen((_req, res) => void res.writeHead(202, {}).end());
    assert.ok((await checkForgedTokens(probeInput(odd, rulesFor(odd)))).filter((c) => c.status !== 'skip').every((c) => c.status === 'fail'));
    const weird = await listen((_req, res) => void res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":0,"result":{}}'));
    const w = byId(await checkForgedTokens(probeInput(weird, rulesFor(weird))), 'forged-garbage');
    assert.equal(w.status, 'fail');
    assert.match(w.finding, /HTTP 400 with a JSON-RPC result/);
    const login = await listen((_req, res) => void res.writeHead(302, { location: 'http://127.0.0.1/login' }).end());
    const r = byId(await checkForgedTokens(probeInput(login, rulesFor(login))), 'forged-unknown-key');
    assert.equal(r.status, 'warn');
    assert.match(r.finding, /HTTP 302, a redirect/);
  });
});

describe('forged-token probes: what is probed when', () => {
  test('without an expired token, or a published kid, those probes are skipped with the reason', async () => {
    const { gatewayUrl, rules } = await startGateway('none');
    const checks = await checkForgedTokens(probeInput(gatewayUrl, rules, { publishedKids: [] }));
    const expired = byId(checks, 'forged-expired');
    assert.equal(expired.status, 'skip');
    assert.match(expired.finding, /needs an access token the IdP signed that has since expired/);
    const wrong = byId(checks, 'forged-wrong-key');
    assert.equal(wrong.status, 'skip');
    assert.match(wrong.finding, /no key id/);
    for (const id of ['forged-unsigned', 'forged-unknown-key', 'forged-garbage']) assert.equal(byId(checks, id).status, 'pass');
  });

  test('an expired token is used only when it can show that exp is checked', async () => {
    const now = Math.floor(Date.now() / 1000);
    const opts = { issuer: idp.issuer, publishedKids: ['key-1'], nowSeconds: now };
    assert.equal(expiredTokenProblem(await idp.sign({ exp: now - 3600 }), opts), undefined);
    assert.match(expiredTokenProblem(await idp.sign({ exp: now + 600 }), opts)!, /has not expired yet \(it expires in 10 min\)/);
    assert.match(expiredTokenProblem(await idp.sign({ exp: now - 30 }), opts)!, /expired only 30 s ago, within the clock skew/);
    assert.match(expiredTokenProblem(await idp.sign({ exp: now - 3600, iss: 'https://other.example' }), opts)!, /issued by "https:\/\/other\.example"/);
    assert.match(expiredTokenProblem(await idp.sign({ exp: now - 3600 }, { kid: 'rotated-out' }), opts)!, /"rotated-out", which the JWKS no longer publishes/);
    assert.match(expiredTokenProblem('opaque-token-value', opts)!, /not a JWT/);

    // The probe says why it skipped, without the token.
    const { gatewayUrl, rules } = await startGateway('no-exp');
    const fresh = await idp.sign({ exp: now + 600 });
    const c = byId(await checkForgedTokens(probeInput(gatewayUrl, rules, { expiredToken: fresh })), 'forged-expired');
    assert.equal(c.status, 'skip');
    assert.match(c.finding, /^Not probed: the token supplied has not expired yet/);
    assert.ok(!JSON.stringify(c).includes(fresh));
  });

  test('a refused expired token from another client says the refusal may be for that', async () => {
    const { gatewayUrl, rules } = await startGateway('none');
    const now = Math.floor(Date.now() / 1000);
    const other = await idp.sign({ aud: gatewayUrl, client_id: 'other-app', exp: now - 3600 });
    const c = byId(await checkForgedTokens(probeInput(gatewayUrl, rules, { expiredToken: other })), 'forged-expired');
    assert.equal(c.status, 'pass');
    assert.match(c.finding, /its client is "other-app", not "app-1", so a refusal may be for that/);
  });

  test('claims: several audiences become an array; custom rules on one claim merge; reserved claims stay', () => {
    const claims = forgedClaims(
      {
        gatewayUrl: 'https://gw.example/mcp',
        issuer: 'https://idp.example/',
        audience: ['a', 'b'],
        customClaims: [
          { inboundTokenClaimName: 'groups', inboundTokenClaimValueType: 'STRING_ARRAY', authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS', claimMatchValue: { matchValueString: 'x' } } },
          { inboundTokenClaimName: 'groups', inboundTokenClaimValueType: 'STRING_ARRAY', authorizingClaimMatchValue: { claimMatchOperator: 'CONTAINS', claimMatchValue: { matchValueString: 'y' } } },
          { inboundTokenClaimName: 'iss', inboundTokenClaimValueType: 'STRING', authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: 'evil' } } },
        ],
      },
      1000,
    );
    assert.deepEqual(claims.aud, ['a', 'b']);
    assert.deepEqual(claims.groups, ['x', 'y']);
    assert.equal(claims.iss, 'https://idp.example/');
    assert.equal(claims.exp, 1300);
    assert.equal(claims.nbf, 995);
    assert.equal(claims.client_id, undefined, 'no client id known: no client claims');
    assert.equal(claims.scope, undefined);
    assert.equal(forgedClaims({ gatewayUrl: 'https://gw.example/mcp', issuer: 'i' }).aud, 'https://gw.example/mcp', 'the gateway URL is the default audience');
  });
});

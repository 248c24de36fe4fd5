/**
 * buildInitPlan / formatPlan: the plan --dry-run shows is exactly what a run does. Pure: no I/O here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import {
  CLIENT_PLACEHOLDER,
  DEFAULT_LIFETIMES,
  buildInitPlan,
  formatPlan,
  redirectUriFor,
  type InitAnswers,
  type InitPlan,
  type PlanStep,
} from '../../src/plan/plan.js';

const ISSUER = 'https://idp.example.com/realms/dev';
const DISCOVERY = `${ISSUER}/.well-known/openid-configuration`;

function answers(over: Partial<InitAnswers> = {}): InitAnswers {
  return {
    setup: 'team-gw',
    provider: 'oidc',
    issuer: ISSUER,
    gateway: { mode: 'create', name: 'dev-gw', roleArn: 'arn:aws:iam::123456789012:role/gw' },
    region: 'us-east-1',
    clients: [{ client: 'kiro', path: '/home/dev/.kiro/settings/mcp.json' }],
    serverName: 'gateway-tools',
    callbackPort: 3334,
    callbackHost: 'localhost',
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    lifetimes: DEFAULT_LIFETIMES,
    appName: 'agentcore-auth team-gw',
    verify: true,
    wait: true,
    ...over,
  };
}

/** The authorizer callback the flow passes in; records which client ids it was asked about. */
function authorizerSpy(): { fn: (clientId: string) => CustomJwtAuthorizer; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fn: (clientId) => {
      asked.push(clientId);
      return { discoveryUrl: DISCOVERY, allowedClients: [clientId] };
    },
  };
}

function step<K extends PlanStep['kind']>(plan: InitPlan, kind: K): Extract<PlanStep, { kind: K }> {
  const s = plan.steps.find((x) => x.kind === kind);
  assert.ok(s, `the plan has a ${kind} step`);
  return s as Extract<PlanStep, { kind: K }>;
}

describe('buildInitPlan', () => {
  test('a new gateway is created with the JWT authorizer, in order: app, gateway, client entry, verify', () => {
    const spy = authorizerSpy();
    const plan = buildInitPlan(answers(), {}, spy.fn);
    assert.equal(plan.setup, 'team-gw');
    assert.deepEqual(plan.steps.map((s) => s.kind), ['idp-app', 'gateway', 'client-entry', 'verify']);
    const gw = step(plan, 'gateway');
    assert.equal(gw.action, 'create');
    assert.equal(gw.name, 'dev-gw');
    assert.equal(gw.roleArn, 'arn:aws:iam::123456789012:role/gw');
    assert.equal(gw.gatewayId, undefined);
    assert.equal(gw.wait, true);
  });

  test('an existing gateway is updated in place (its id kept), not created', () => {
    const plan = buildInitPlan(answers({ gateway: { mode: 'existing', id: 'gw-abc123' } }), {}, authorizerSpy().fn);
    const gw = step(plan, 'gateway');
    assert.equal(gw.action, 'update');
    assert.equal(gw.gatewayId, 'gw-abc123');
    assert.equal(gw.name, undefined);
    assert.equal(gw.roleArn, undefined);
  });

  test('a gateway this setup already created is updated on a re-run, not created a second time', () => {
    const plan = buildInitPlan(answers(), { createdGatewayId: 'dev-gw-xyz' }, authorizerSpy().fn);
    const gw = step(plan, 'gateway');
    assert.equal(gw.action, 'update');
    assert.equal(gw.gatewayId, 'dev-gw-xyz');
  });

  test('the app this setup registered is reused when its redirect URI still matches', () => {
    const spy = authorizerSpy();
    const plan = buildInitPlan(
      answers(),
      { clientId: 'client-123', appRedirectUris: [redirectUriFor('localhost', 3334)] },
      spy.fn,
    );
    const app = step(plan, 'idp-app');
    assert.equal(app.action, 'reuse');
    assert.equal(app.clientId, 'client-123');
    // The gateway rule pins the real client, not the placeholder.
    assert.deepEqual(spy.asked, ['client-123']);
    assert.deepEqual(step(plan, 'gateway').authorizer.allowedClients, ['client-123']);
  });

  test('a new app is planned when the callback port changed (the old redirect URI no longer fits)', () => {
    const spy = authorizerSpy();
    const plan = buildInitPlan(
      answers({ callbackPort: 4444 }),
      { clientId: 'client-123', appRedirectUris: ['http://localhost:3334/oauth/callback'] },
      spy.fn,
    );
    const app = step(plan, 'idp-app');
    assert.equal(app.action, 'create');
    assert.equal(app.clientId, undefined);
    assert.equal(app.redirectUri, 'http://localhost:4444/oauth/callback');
    assert.deepEqual(spy.asked, [CLIENT_PLACEHOLDER]);
    const entry = step(plan, 'client-entry');
    assert.equal(entry.callbackPort, 4444);
    assert.equal(entry.redirectUri, 'http://localhost:4444/oauth/callback');
  });

  test('before the app exists, the authorizer preview uses the placeholder client id', () => {
    const spy = authorizerSpy();
    const plan = buildInitPlan(answers(), {}, spy.fn);
    assert.deepEqual(spy.asked, [CLIENT_PLACEHOLDER]);
    assert.deepEqual(step(plan, 'gateway').authorizer, { discoveryUrl: DISCOVERY, allowedClients: [CLIENT_PLACEHOLDER] });
    assert.equal(step(plan, 'idp-app').action, 'create');
  });

  test('the app step asks for a public PKCE client with the loopback redirect mcp-remote uses', () => {
    const plan = buildInitPlan(answers({ callbackPort: 5555 }), {}, authorizerSpy().fn);
    const app = step(plan, 'idp-app');
    assert.equal(app.redirectUri, 'http://localhost:5555/oauth/callback');
    assert.deepEqual(app.grantTypes, ['authorization_code', 'refresh_token']);
    assert.deepEqual(app.scopes, ['openid', 'profile', 'email', 'offline_access']);
    assert.equal(app.lifetimes.accessTokenSeconds, 3600);
    assert.equal(app.appName, 'agentcore-auth team-gw');
  });

  test('--no-verify drops the verify step; --no-wait is carried to the gateway step', () => {
    const plan = buildInitPlan(answers({ verify: false, wait: false }), {}, authorizerSpy().fn);
    assert.deepEqual(plan.steps.map((s) => s.kind), ['idp-app', 'gateway', 'client-entry']);
    assert.equal(step(plan, 'gateway').wait, false);
  });

  test('is pure: the same answers give the same plan, and the answers are not modified', () => {
    const a = answers();
    const before = JSON.stringify(a);
    const p1 = buildInitPlan(a, {}, authorizerSpy().fn);
    const p2 = buildInitPlan(a, {}, authorizerSpy().fn);
    assert.deepEqual(p1, p2);
    assert.equal(JSON.stringify(a), before);
  });
});

describe('formatPlan', () => {
  test('mentions every step: the app, the gateway with its rules, the client file, verify', () => {
    const plan = buildInitPlan(answers(), {}, authorizerSpy().fn);
    const text = formatPlan(plan, { home: '/home/dev' }).join('\n');
    assert.match(text, /Plan for setup "team-gw"/);
    assert.match(text, /1\. \+ Register public OIDC client "agentcore-auth team-gw" at https:\/\/idp\.example\.com\/realms\/dev/);
    assert.match(text, /redirect http:\/\/localhost:3334\/oauth\/callback; PKCE S256; no secret/);
    assert.match(text, /2\. \+ Create gateway "dev-gw" \(MCP, CUSTOM_JWT\) in us-east-1/);
    assert.ok(text.includes(`discoveryUrl ${DISCOVERY}`));
    assert.ok(text.includes(`allowedClients [${CLIENT_PLACEHOLDER}]`));
    assert.match(text, /then wait until READY/);
    // The home folder is shortened to ~ for readability.
    assert.match(text, /3\. ~ Write MCP server "gateway-tools" to ~\/\.kiro\/settings\/mcp\.json/);
    assert.match(text, /4\. {3}Verify: .*test login on port 3334/);
  });

  test('an update says the other gateway settings are kept; a reused app shows its client id', () => {
    const plan = buildInitPlan(
      answers({ gateway: { mode: 'existing', id: 'gw-abc123' }, endpointUrl: 'http://127.0.0.1:4000', wait: false }),
      { clientId: 'client-123', appRedirectUris: ['http://localhost:3334/oauth/callback'] },
      authorizerSpy().fn,
    );
    const text = formatPlan(plan).join('\n');
    assert.match(text, /= Reuse OIDC client client-123 at https:\/\/idp\.example\.com\/realms\/dev/);
    assert.match(text, /~ Set gateway gw-abc123's inbound authorizer \(CUSTOM_JWT\) in us-east-1 at http:\/\/127\.0\.0\.1:4000; every other setting kept/);
    assert.match(text, /allowedClients \[client-123\]/);
    assert.match(text, /not waiting for READY: --no-wait/);
    assert.doesNotMatch(text, /Register public OIDC client/);
  });

  test('an existing gateway: the authorizer being replaced is shown beside the new one, line by line', () => {
    const plan = buildInitPlan(
      answers({ gateway: { mode: 'existing', id: 'gw-abc123' } }),
      { clientId: 'client-123', appRedirectUris: ['http://localhost:3334/oauth/callback'], gatewayAuthorizer: { discoveryUrl: DISCOVERY, allowedClients: ['old-client'], allowedScopes: ['read'] } },
      authorizerSpy().fn,
    );
    const text = formatPlan(plan).join('\n');
    assert.match(text, /replacing:\n {11}discoveryUrl .*\n {9}- allowedClients \[old-client\]\n {9}- allowedScopes \[read\]\n {7}with:\n {11}discoveryUrl .*\n {9}\+ allowedClients \[client-123\]/);
  });

  test('a client file that does not exist yet is created (nothing to back up); one that exists is backed up first', () => {
    const plan = buildInitPlan(
      answers({ clients: [{ client: 'kiro', path: '/home/dev/.kiro/settings/mcp.json', exists: false }, { client: 'cursor', path: '/home/dev/.cursor/mcp.json', exists: true }], teamProfile: '/home/dev/p.json' }),
      {},
      authorizerSpy().fn,
    );
    const text = formatPlan(plan, { home: '/home/dev' }).join('\n');
    assert.match(text, /  3\. \+ Create ~\/\.kiro\/settings\/mcp\.json with MCP server "gateway-tools" \(Kiro, via mcp-remote/);
    assert.match(text, /  4\. ~ Write MCP server "gateway-tools" to ~\/\.cursor\/mcp\.json .*\n {7}other entries and keys kept; the file backed up first/);
    assert.match(text, /  5\. \+ Write the team profile ~\/p\.json .*\n  6\.   Verify:/, 'numbered in the order the steps run');
  });

  test('custom claim and audience rules are shown as the gateway will check them', () => {
    const plan = buildInitPlan(answers(), {}, (clientId) => ({
      discoveryUrl: DISCOVERY,
      allowedAudience: ['api://default'],
      customClaims: [
        {
          inboundTokenClaimName: 'cid',
          inboundTokenClaimValueType: 'STRING',
          authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: clientId } },
        },
      ],
    }));
    const text = formatPlan(plan).join('\n');
    assert.match(text, /allowedAudience \[api:\/\/default\]/);
    assert.ok(text.includes(`claim cid EQUALS ${CLIENT_PLACEHOLDER}`));
  });
});

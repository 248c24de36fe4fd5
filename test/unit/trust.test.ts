/** The issuer pin's comparison and the gateway record check (src/oauth/issuer-pin.ts, src/gateway/identity.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sameIssuer } from '../../src/oauth/issuer-pin.js';
import { gatewayRecordOf, recordMismatch } from '../../src/gateway/identity.js';
import type { GatewayInfo } from '../../src/gateway/agentcore.js';
import type { JournalEntry } from '../../src/journal/journal.js';

describe('sameIssuer', () => {
  test('one trailing slash is ignored; anything else makes another issuer', () => {
    assert.equal(sameIssuer('https://t.auth0.com/', 'https://t.auth0.com'), true);
    assert.equal(sameIssuer('https://idp/realms/a', 'https://idp/realms/a/'), true);
    assert.equal(sameIssuer('https://idp/realms/a', 'https://idp/realms/b'), false);
    assert.equal(sameIssuer('https://idp/realms/a', 'https://IDP/realms/a'), false);
    assert.equal(sameIssuer('https://idp/a//', 'https://idp/a'), false);
    assert.equal(sameIssuer('http://idp/a', 'https://idp/a'), false);
    assert.equal(sameIssuer(undefined, 'https://idp'), false);
  });
});

describe('gateway records', () => {
  const entry = (kind: JournalEntry['kind'], intent: Record<string, unknown>, result?: Record<string, unknown>): JournalEntry => ({
    seq: 1, kind, state: 'done', intent, ...(result ? { result } : {}), at: '', updatedAt: '',
  });
  const live: GatewayInfo = {
    gatewayId: 'gw-1', gatewayArn: 'arn:aws:bedrock-agentcore:us-east-1:1:gateway/gw-1', name: 'team', status: 'READY',
    gatewayUrl: 'https://gw-1/mcp', authorizerType: 'CUSTOM_JWT', description: 'Created by agentcore-auth for setup "default"',
  };

  test('a created gateway matches by name, ARN and our description', () => {
    const rec = gatewayRecordOf(entry('gateway-create', { name: 'team' }, { gatewayId: 'gw-1', gatewayArn: live.gatewayArn }));
    assert.equal(recordMismatch(live, rec), undefined);
    assert.match(recordMismatch({ ...live, name: 'prod' }, rec)!, /named "prod", but this setup recorded "team"/);
    assert.match(recordMismatch({ ...live, gatewayArn: 'arn:aws:bedrock-agentcore:us-east-1:1:gateway/gw-2' }, rec)!, /ARN/);
    assert.match(recordMismatch({ ...live, description: 'the payments gateway' }, rec)!, /not described "Created by agentcore-auth…"/);
  });

  test('a changed gateway needs its recorded name; the description does not matter', () => {
    const rec = gatewayRecordOf(entry('gateway-authorizer', { gatewayId: 'gw-1', gatewayName: 'team', gatewayArn: live.gatewayArn }));
    assert.equal(recordMismatch({ ...live, description: 'theirs' }, rec), undefined);
    assert.match(recordMismatch(live, gatewayRecordOf(entry('gateway-authorizer', { gatewayId: 'gw-1' })))!, /recorded no name/);
  });
});

/**
 * The team profile init writes and connect reads: its shape is checked (a newer version, missing fields and
 * foreign mcp-remote flags are refused with the reason), it loads from a file or a URL (https, or http on
 * loopback only), a file that is not a profile is never overwritten, and the shared command line is right.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { connectCommand, loadTeamProfile, validateTeamProfile, writeTeamProfile, type TeamProfile } from '../../src/flows/team-profile.js';

const PROFILE: TeamProfile = {
  version: 1,
  gatewayUrl: 'https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp',
  clientId: '0oa1clientid',
  issuer: 'https://dev-123.okta.com/oauth2/default',
  provider: 'okta',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  callbackPort: 3334,
  mcpRemoteArgs: ['--authorize-param', 'audience=api://default'],
  serverName: 'gateway-tools',
};

let dir: string;
let server: Server;
let url: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentcore-auth-profile-'));
  server = createServer((req, res) => {
    if (req.url === '/team.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(PROFILE));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const refused = (raw: unknown, re: RegExp) => assert.throws(() => validateTeamProfile(raw, 'team.json'), (err: unknown) => err instanceof UsageError && re.test(err.message));

describe('team profile', () => {
  test('a profile init wrote is read back as is; unknown keys from a newer init are ignored', () => {
    assert.deepEqual(validateTeamProfile({ ...PROFILE, futureKey: 1 }, 'team.json'), PROFILE);
  });

  test('missing or wrong fields, a newer version and foreign mcp-remote flags are refused with the reason', () => {
    refused({ ...PROFILE, version: 2 }, /written by a newer agentcore-auth \(profile version 2/);
    refused({ ...PROFILE, gatewayUrl: 'ftp://x' }, /"gatewayUrl" is not an http\(s\) URL/);
    refused({ ...PROFILE, clientId: '' }, /"clientId" is missing/);
    refused({ ...PROFILE, scopes: ['openid email'] }, /"scopes" is not a list of scopes/);
    refused({ ...PROFILE, callbackPort: 70000 }, /"callbackPort" is not a port number/);
    refused({ ...PROFILE, serverName: 'bad name' }, /"serverName"/);
    refused({ ...PROFILE, mcpRemoteArgs: ['--header', 'Authorization: Bearer x'] }, /the mcp-remote flag "--header" is not one connect passes on/);
    refused({ ...PROFILE, mcpRemoteArgs: ['--static-oauth-client-info', '@/etc/passwd'] }, /--static-oauth-client-info/);
    refused({ ...PROFILE, mcpRemoteArgs: ['--resource'] }, /--resource needs a value/);
    refused([1], /not a JSON object/);
  });

  test('loads from a path relative to the working folder, and from a URL (http only on loopback)', async () => {
    await writeFile(join(dir, 'agentcore-auth.team.json'), `\ufeff${JSON.stringify(PROFILE)}`);
    const fromFile = await loadTeamProfile('agentcore-auth.team.json', dir);
    assert.deepEqual(fromFile.profile, PROFILE);
    assert.equal(fromFile.source, join(dir, 'agentcore-auth.team.json'));
    assert.deepEqual((await loadTeamProfile(`${url}/team.json`, dir)).profile, PROFILE);
    await assert.rejects(loadTeamProfile(`${url}/missing.json`, dir), /answered HTTP 404/);
    await assert.rejects(loadTeamProfile('http://profiles.example.com/team.json', dir), /fetched over https only/);
    await assert.rejects(loadTeamProfile('nope.json', dir), /no such file/);
    await writeFile(join(dir, 'broken.json'), '{');
    await assert.rejects(loadTeamProfile('broken.json', dir), /not a usable team profile: not valid JSON/);
  });

  test('is written pretty and readable by all (no secrets); a file that is not a profile is left alone', async () => {
    const path = join(dir, 'sub', 'agentcore-auth.team.json');
    assert.deepEqual(await writeTeamProfile(path, PROFILE), { written: true });
    assert.equal(await readFile(path, 'utf8'), `${JSON.stringify(PROFILE, null, 2)}\n`);
    assert.equal((await stat(path)).mode & 0o777, 0o644);
    assert.deepEqual(await writeTeamProfile(path, { ...PROFILE, clientId: 'new' }), { written: true }, 'a profile is replaced');

    const other = join(dir, 'package.json');
    await writeFile(other, '{"name": "x"}');
    const r = await writeTeamProfile(other, PROFILE);
    assert.equal(r.written, false);
    assert.match(r.reason ?? '', /is not a team profile/);
    assert.equal(await readFile(other, 'utf8'), '{"name": "x"}');
  });

  test('the line to share: a relative path inside the working folder, else the absolute one', () => {
    // At the repository root: no flag at all (connect finds ./agentcore-auth.team.json by itself).
    assert.equal(connectCommand('/repo/agentcore-auth.team.json', '/repo', ['kiro', 'claude-code']), 'npx agentcore-auth connect --client kiro,claude-code');
    assert.equal(connectCommand('/repo/team/mcp.team.json', '/repo', ['kiro']), 'npx agentcore-auth connect --team-profile ./team/mcp.team.json --client kiro');
    assert.equal(connectCommand('/home/a/.agentcore-auth/teams/default/agentcore-auth.team.json', '/repo', ['kiro']), 'npx agentcore-auth connect --team-profile /home/a/.agentcore-auth/teams/default/agentcore-auth.team.json --client kiro');
    assert.equal(connectCommand("/my team/it's.json", '/repo', []), `npx agentcore-auth connect --team-profile '/my team/it'\\''s.json' --client kiro`);
  });
});

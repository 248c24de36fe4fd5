/**
 * init's preflight checks the discovery URL it will give the gateway before anything is made (issue #12): it must
 * answer with the issuer, a jwks_uri and PKCE S256. The built CLI against a small issuer served here whose metadata
 * is wrong in one way at a time; the truth (was a client registered?) is read from its own request log.
 *
 * Needs `npx tsc -p tsconfig.json` first. Run: node test/run.mjs init-preflight
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeRun, freePort, isolatedEnv, runCli } from '../helpers/cli.js';

let root: string;
let server: Server;
let issuer: string;
/** What the issuer serves at each path (tests change it). */
let docs: Record<string, unknown> = {};
const registrations: string[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'agentcore-auth-init-preflight-'));
  server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/reg') {
      registrations.push(req.url);
      res.writeHead(500).end();
      return;
    }
    const doc = docs[req.url ?? ''];
    if (doc === undefined) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  if (root) await rm(root, { recursive: true, force: true });
});

function metadata(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/reg`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    ...over,
  };
}

let n = 0;
async function init(): Promise<ReturnType<typeof runCli>> {
  const home = join(root, `home-${++n}`);
  await mkdir(home, { recursive: true });
  return runCli(
    ['init', '--provider', 'oidc', '--issuer', issuer, '--endpoint-url', 'http://127.0.0.1:9', '--create-gateway', `pre-${n}`, '--role-arn', 'arn:aws:iam::123456789012:role/R', '--callback-port', String(await freePort()), '--yes', '--no-verify'],
    { env: isolatedEnv(home, { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' }) },
  );
}

const OIDC = '/.well-known/openid-configuration';
const RFC8414 = '/.well-known/oauth-authorization-server';

describe("init refuses a discovery URL the gateway could not use, before anything is made", { concurrency: 1 }, () => {
  for (const c of [
    { name: 'an RFC 8414-only authorization server (no OpenID discovery document)', serve: () => ({ [RFC8414]: metadata() }), why: /openid-configuration, answers HTTP 404/ },
    { name: 'a discovery document without jwks_uri', serve: () => ({ [OIDC]: metadata({ jwks_uri: undefined }) }), why: /names no jwks_uri/ },
    { name: 'PKCE offered only as plain', serve: () => ({ [OIDC]: metadata({ code_challenge_methods_supported: ['plain'] }) }), why: /offers PKCE only as plain, not S256/ },
  ]) {
    test(`${c.name}: exit 1, nothing registered`, async () => {
      docs = c.serve(); // built now: the issuer's URL is known only once it listens
      const before = registrations.length;
      const r = await init();
      assert.equal(r.code, 1, describeRun(r));
      assert.match(r.output, c.why);
      assert.match(r.output, /Nothing was changed/);
      assert.equal(registrations.length, before, 'no client was registered');
    });
  }
});

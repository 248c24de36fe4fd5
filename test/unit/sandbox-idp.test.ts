import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createMemoryLogger } from '../../src/core/logger.js';
import { createSandboxIdp, DEFAULT_USERS, type SandboxIdp, type SandboxIdpOptions } from '../../src/sandbox/idp.js';
import { CookieJar, followAuthorization } from '../../src/sandbox/headless-browser.js';

const SCOPE = 'openid profile email offline_access';
const IAT = 'sandbox-initial-access-token-123456';

interface Running {
  idp: SandboxIdp;
  issuer: string;
  logger: ReturnType<typeof createMemoryLogger>;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function startIdp(opts: Omit<SandboxIdpOptions, 'issuer' | 'logger'>): Promise<Running> {
  const logger = createMemoryLogger();
  let idp: SandboxIdp | undefined;
  const server = http.createServer((req, res) => {
    if (!idp) {
      res.statusCode = 503;
      res.end();
      return;
    }
    idp.handler(req, res);
  });
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  idp = await createSandboxIdp({ issuer, logger, ...opts });
  const started = idp;
  return {
    idp: started,
    issuer,
    logger,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await started.close();
    },
  };
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

interface Registered {
  client_id: string;
  registration_access_token: string;
  registration_client_uri: string;
  token_endpoint_auth_method: string;
  grant_types: string[];
  response_types: string[];
  application_type: string;
  redirect_uris: string[];
}

async function register(issuer: string, redirectUris: string[], token?: string): Promise<Response> {
  return fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({
      client_name: 'agentcore-auth test',
      redirect_uris: redirectUris,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
}

function authorizeUrl(issuer: string, p: Record<string, string | undefined>): string {
  const u = new URL(`${issuer}/auth`);
  for (const [k, v] of Object.entries(p)) if (v !== undefined) u.searchParams.set(k, v);
  return u.href;
}

async function token(issuer: string, params: Record<string, string | undefined>) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, v);
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: res.status, json: (await res.json()) as Record<string, string | number | undefined> };
}

describe('sandbox identity provider', () => {
  let auto: Running;
  let manual: Running;
  let callback: http.Server;
  let callbackPort: number;
  const callbackHits: string[] = [];
  let redirectUri: string;
  let client: Registered;

  before(async () => {
    callback = http.createServer((req, res) => {
      callbackHits.push(req.url ?? '');
      res.setHeader('content-type', 'text/html');
      res.end('<html><body>Authorization complete. You can close this window.</body></html>');
    });
    callbackPort = await listen(callback);
    redirectUri = `http://127.0.0.1:${callbackPort}/oauth/callback`;
    [auto, manual] = await Promise.all([
      startIdp({ autoLogin: 'alice', initialAccessToken: IAT, accessTokenTtlSeconds: 600 }),
      startIdp({}),
    ]);
  });

  after(async () => {
    await Promise.all([auto?.close(), manual?.close()]);
    callback?.closeAllConnections();
    await new Promise<void>((resolve) => (callback ? callback.close(() => resolve()) : resolve()));
  });

  it('publishes OIDC discovery and RFC 8414 metadata with the exact issuer and S256', async () => {
    assert.equal(auto.idp.discoveryUrl, `${auto.issuer}/.well-known/openid-configuration`);
    const oidc = (await (await fetch(auto.idp.discoveryUrl)).json()) as Record<string, unknown>;
    const rfc8414Res = await fetch(`${auto.issuer}/.well-known/oauth-authorization-server`);
    assert.equal(rfc8414Res.status, 200);
    const rfc8414 = (await rfc8414Res.json()) as Record<string, unknown>;
    for (const meta of [oidc, rfc8414]) {
      assert.equal(meta.issuer, auto.issuer);
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      assert.equal(meta.jwks_uri, auto.idp.jwksUri);
      assert.equal(meta.registration_endpoint, `${auto.issuer}/reg`);
      assert.ok(meta.revocation_endpoint);
      assert.deepEqual(meta.response_types_supported, ['code']);
      assert.ok((meta.grant_types_supported as string[]).includes('refresh_token'));
      assert.ok((meta.token_endpoint_auth_methods_supported as string[]).includes('none'));
      for (const s of ['openid', 'profile', 'email', 'offline_access', 'mcp:tools']) {
        assert.ok((meta.scopes_supported as string[]).includes(s), s);
      }
    }
    const jwks = (await (await fetch(auto.idp.jwksUri)).json()) as { keys: Array<Record<string, unknown>> };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]!.alg, 'RS256');
    assert.equal(jwks.keys[0]!.use, 'sig');
    assert.ok(jwks.keys[0]!.kid);
    assert.equal(jwks.keys[0]!.d, undefined, 'no private key material');
  });

  it('requires the initial access token for dynamic registration and registers public native clients', async () => {
    const without = await register(auto.issuer, [redirectUri]);
    assert.equal(without.status, 401);
    assert.equal(((await without.json()) as { error: string }).error, 'invalid_token');
    const wrong = await register(auto.issuer, [redirectUri], 'not-the-token');
    assert.equal(wrong.status, 401);

    const ok = await register(auto.issuer, ['http://localhost:3334/oauth/callback', redirectUri], IAT);
    assert.equal(ok.status, 201);
    client = (await ok.json()) as Registered;
    assert.ok(client.client_id);
    assert.ok(client.registration_access_token);
    assert.equal(client.registration_client_uri, `${auto.issuer}/reg/${client.client_id}`);
    assert.equal(client.token_endpoint_auth_method, 'none');
    assert.equal(client.application_type, 'native');
    assert.deepEqual([...client.grant_types].sort(), ['authorization_code', 'refresh_token']);
    assert.ok(auto.logger.lines.some((l) => l.includes(`IdP: registered client ${client.client_id}`)));

    // Client defaults: a bare registration is a public client with code + refresh grants.
    const bare = await fetch(`${manual.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://localhost:3334/oauth/callback'] }),
    });
    assert.equal(bare.status, 201);
    const bareClient = (await bare.json()) as Registered;
    assert.equal(bareClient.token_endpoint_auth_method, 'none');
    assert.deepEqual([...bareClient.grant_types].sort(), ['authorization_code', 'refresh_token']);
    assert.deepEqual(bareClient.response_types, ['code']);
  });

  let refreshToken: string;
  const resource = 'http://127.0.0.1:9/mcp';

  it('runs authorization code + PKCE with auto-login and issues a JWT access token for the requested resource', async () => {
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    const url = authorizeUrl(auto.issuer, {
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: SCOPE,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource,
    });
    const hitsBefore = callbackHits.length;
    const walk = await followAuthorization(url, { timeoutMs: 5000 });
    const final = new URL(walk.finalUrl);
    assert.equal(`${final.origin}${final.pathname}`, redirectUri);
    assert.equal(walk.status, 200);
    assert.ok(walk.hops >= 4, `login and consent take several redirects, got ${walk.hops}`);
    assert.equal(final.searchParams.get('state'), state);
    assert.equal(final.searchParams.get('iss'), auto.issuer);
    const code = final.searchParams.get('code');
    assert.ok(code);
    assert.equal(callbackHits.length, hitsBefore + 1, 'the callback server received the code');
    assert.ok(callbackHits.at(-1)!.includes('code='));

    const { status, json } = await token(auto.issuer, {
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      resource,
    });
    assert.equal(status, 200, JSON.stringify(json.error_description));
    assert.equal(json.token_type, 'Bearer');
    assert.equal(json.expires_in, 600);
    assert.ok(json.id_token);
    assert.equal(typeof json.refresh_token, 'string');
    refreshToken = json.refresh_token as string;

    const at = json.access_token as string;
    assert.equal(decodeProtectedHeader(at).typ, 'at+jwt');
    const jwks = createRemoteJWKSet(new URL(auto.idp.jwksUri));
    const { payload, protectedHeader } = await jwtVerify(at, jwks, { issuer: auto.issuer, audience: resource });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.client_id, client.client_id);
    assert.equal(payload.cid, client.client_id);
    assert.equal(payload.aud, resource);
    assert.equal(payload.preferred_username, 'alice');
    assert.deepEqual(payload.groups, DEFAULT_USERS[0]!.groups);
    assert.deepEqual(String(payload.scope).split(' ').sort(), SCOPE.split(' ').sort());
    assert.ok(payload.jti);
    assert.equal(payload.exp! - payload.iat!, 600);

    const idToken = await jwtVerify(json.id_token as string, jwks, { issuer: auto.issuer, audience: client.client_id });
    assert.equal(idToken.payload.sub, 'alice');
    assert.equal(idToken.payload.email, 'alice@example.com');

    const lines = auto.logger.lines.join('\n');
    assert.match(lines, /IdP: login alice \(auto\)/);
    assert.match(lines, new RegExp(`IdP: issued access token for alice to ${client.client_id} \\(aud ${resource.replace(/[.]/g, '\\.')}`));
    assert.ok(!lines.includes(at) && !lines.includes(refreshToken) && !lines.includes(code), 'no token or code in the log');
  });

  it('refreshes with rotation, keeping the audience, with or without the resource parameter', async () => {
    const first = await token(auto.issuer, { grant_type: 'refresh_token', client_id: client.client_id, refresh_token: refreshToken });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.notEqual(first.json.refresh_token, refreshToken, 'refresh tokens rotate');
    const jwks = createRemoteJWKSet(new URL(auto.idp.jwksUri));
    const a = await jwtVerify(first.json.access_token as string, jwks, { issuer: auto.issuer, audience: resource });
    assert.equal(a.payload.sub, 'alice');

    const second = await token(auto.issuer, {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: first.json.refresh_token as string,
      resource,
    });
    assert.equal(second.status, 200, JSON.stringify(second.json));
    const b = await jwtVerify(second.json.access_token as string, jwks, { issuer: auto.issuer, audience: resource });
    assert.equal(b.payload.client_id, client.client_id);
    refreshToken = second.json.refresh_token as string;
  });

  it('revoking the refresh token makes the next refresh fail', async () => {
    const res = await fetch(`${auto.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: client.client_id }),
    });
    assert.equal(res.status, 200);
    assert.ok(auto.logger.lines.some((l) => l.includes(`IdP: revoked refresh token of alice for ${client.client_id}`)));
    const after = await token(auto.issuer, { grant_type: 'refresh_token', client_id: client.client_id, refresh_token: refreshToken });
    assert.equal(after.status, 400);
    assert.equal(after.json.error, 'invalid_grant');
  });

  it('issues a JWT for the default audience when no resource is requested', async () => {
    const { verifier, challenge } = pkce();
    const walk = await followAuthorization(
      authorizeUrl(auto.issuer, {
        client_id: client.client_id,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'openid email',
        state: 's1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      { timeoutMs: 5000 },
    );
    const code = new URL(walk.finalUrl).searchParams.get('code');
    assert.ok(code);
    const { status, json } = await token(auto.issuer, {
      grant_type: 'authorization_code', client_id: client.client_id, code, redirect_uri: redirectUri, code_verifier: verifier,
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.refresh_token, undefined, 'no offline_access, no refresh token');
    const { payload } = await jwtVerify(json.access_token as string, createRemoteJWKSet(new URL(auto.idp.jwksUri)), {
      issuer: auto.issuer,
      audience: `${auto.issuer}/default-api`,
    });
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.scope, 'openid email');
  });

  it('refuses an authorization request without code_challenge, and a wrong code_verifier', async () => {
    const walk = await followAuthorization(
      authorizeUrl(auto.issuer, { client_id: client.client_id, response_type: 'code', redirect_uri: redirectUri, scope: SCOPE, state: 'x', resource }),
      { timeoutMs: 5000 },
    );
    const final = new URL(walk.finalUrl);
    assert.equal(final.searchParams.get('error'), 'invalid_request');
    assert.match(final.searchParams.get('error_description') ?? '', /PKCE/);
    assert.equal(final.searchParams.get('code'), null);

    const { challenge } = pkce();
    const ok = await followAuthorization(
      authorizeUrl(auto.issuer, {
        client_id: client.client_id, response_type: 'code', redirect_uri: redirectUri, scope: SCOPE, state: 'y', resource,
        code_challenge: challenge, code_challenge_method: 'S256',
      }),
      { timeoutMs: 5000 },
    );
    const code = new URL(ok.finalUrl).searchParams.get('code')!;
    const bad = await token(auto.issuer, {
      grant_type: 'authorization_code', client_id: client.client_id, code, redirect_uri: redirectUri, code_verifier: pkce().verifier, resource,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'invalid_grant');
  });

  it('reads and deletes a client with its registration access token (RFC 7592); the client is then gone', async () => {
    const auth = { authorization: `Bearer ${client.registration_access_token}` };
    const read = await fetch(client.registration_client_uri, { headers: auth });
    assert.equal(read.status, 200);
    const meta = (await read.json()) as Registered;
    assert.equal(meta.client_id, client.client_id);
    assert.deepEqual(meta.redirect_uris, client.redirect_uris);

    const noToken = await fetch(client.registration_client_uri);
    assert.equal(noToken.status, 401);

    const del = await fetch(client.registration_client_uri, { method: 'DELETE', headers: auth });
    assert.equal(del.status, 204);
    assert.ok(auto.logger.lines.some((l) => l.includes(`IdP: deleted client ${client.client_id}`)));

    const again = await fetch(client.registration_client_uri, { headers: auth });
    assert.ok([401, 404].includes(again.status), `got ${again.status}`);

    // The authorization endpoint no longer knows the client: the headless browser reports the error page.
    const { challenge } = pkce();
    await assert.rejects(
      followAuthorization(
        authorizeUrl(auto.issuer, {
          client_id: client.client_id, response_type: 'code', redirect_uri: redirectUri, scope: SCOPE, state: 'z',
          code_challenge: challenge, code_challenge_method: 'S256',
        }),
        { timeoutMs: 5000 },
      ),
      (err: Error) => /HTTP 400/.test(err.message) && /invalid_client/.test(err.message),
    );
  });

  it('lets a person sign in with the form and allow access on the consent page', async () => {
    const reg = await register(manual.issuer, [redirectUri]);
    assert.equal(reg.status, 201, 'no initial access token configured: open registration');
    const c = (await reg.json()) as Registered;
    const jar = new CookieJar();
    const get = async (url: URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      const cookie = jar.header(url);
      if (cookie) headers.set('cookie', cookie);
      const res = await fetch(url, { ...init, headers, redirect: 'manual' });
      jar.store(url, res.headers.getSetCookie());
      return res;
    };
    const post = (url: URL, form: Record<string, string>) =>
      get(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

    const { verifier, challenge } = pkce();
    let res = await get(new URL(authorizeUrl(manual.issuer, {
      client_id: c.client_id, response_type: 'code', redirect_uri: redirectUri, scope: SCOPE, state: 'form',
      code_challenge: challenge, code_challenge_method: 'S256', resource,
    })));
    assert.equal(res.status, 303);
    const loginUrl = new URL(res.headers.get('location')!, manual.issuer);
    assert.match(loginUrl.pathname, /^\/interaction\/[\w-]+$/);

    res = await get(loginUrl);
    assert.equal(res.status, 200);
    const loginHtml = await res.text();
    assert.match(loginHtml, new RegExp(`<form method="post" action="${loginUrl.pathname}/login"`));
    assert.match(loginHtml, /type="password"/);
    assert.match(loginHtml, /agentcore-auth test/, 'shows the client name');

    res = await post(new URL(`${loginUrl.pathname}/login`, manual.issuer), { username: 'alice', password: 'wrong' });
    assert.equal(res.status, 401);
    const retry = await res.text();
    assert.match(retry, /Wrong username or password/);
    assert.match(retry, /value="alice"/);
    assert.ok(manual.logger.lines.some((l) => l.includes('IdP: failed login for "alice"')));

    res = await post(new URL(`${loginUrl.pathname}/login`, manual.issuer), { username: 'alice', password: 'alice-password' });
    assert.equal(res.status, 303);
    res = await get(new URL(res.headers.get('location')!, manual.issuer)); // resume
    assert.equal(res.status, 303);
    const consentUrl = new URL(res.headers.get('location')!, manual.issuer);
    assert.match(consentUrl.pathname, /^\/interaction\//);
    res = await get(consentUrl);
    assert.equal(res.status, 200);
    const consentHtml = await res.text();
    assert.match(consentHtml, /Signed in as <strong>alice<\/strong>/);
    for (const s of SCOPE.split(' ')) assert.ok(consentHtml.includes(`<code>${s}</code>`), s);
    assert.ok(consentHtml.includes(resource));
    assert.match(consentHtml, /\/confirm"/);
    assert.match(consentHtml, /\/abort"/);

    res = await post(new URL(`${consentUrl.pathname}/confirm`, manual.issuer), {});
    assert.equal(res.status, 303);
    res = await get(new URL(res.headers.get('location')!, manual.issuer)); // resume
    assert.equal(res.status, 303);
    const done = new URL(res.headers.get('location')!);
    assert.equal(`${done.origin}${done.pathname}`, redirectUri);
    const code = done.searchParams.get('code');
    assert.ok(code);
    const { status, json } = await token(manual.issuer, {
      grant_type: 'authorization_code', client_id: c.client_id, code, redirect_uri: redirectUri, code_verifier: verifier, resource,
    });
    assert.equal(status, 200, JSON.stringify(json));
    const { payload } = await jwtVerify(json.access_token as string, createRemoteJWKSet(new URL(manual.idp.jwksUri)), {
      issuer: manual.issuer,
      audience: resource,
    });
    assert.equal(payload.sub, 'alice');
    assert.ok(manual.logger.lines.some((l) => l.includes('IdP: login alice (password)')));
  });

  it('tells the headless browser caller when a person has to sign in, and maps Deny to access_denied', async () => {
    const reg = await register(manual.issuer, [redirectUri]);
    const c = (await reg.json()) as Registered;
    const { challenge } = pkce();
    const url = authorizeUrl(manual.issuer, {
      client_id: c.client_id, response_type: 'code', redirect_uri: redirectUri, scope: SCOPE, state: 'h',
      code_challenge: challenge, code_challenge_method: 'S256',
    });
    await assert.rejects(followAuthorization(url, { timeoutMs: 5000 }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'login_required');
      assert.match(err.message, /sign-in page/);
      return true;
    });

    // Cancel on the sign-in page: the client receives error=access_denied.
    const jar = new CookieJar();
    const send = async (u: URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      const cookie = jar.header(u);
      if (cookie) headers.set('cookie', cookie);
      const res = await fetch(u, { ...init, headers, redirect: 'manual' });
      jar.store(u, res.headers.getSetCookie());
      return res;
    };
    let res = await send(new URL(url));
    const interaction = new URL(res.headers.get('location')!, manual.issuer);
    res = await send(new URL(`${interaction.pathname}/abort`, manual.issuer), { method: 'POST' });
    assert.equal(res.status, 303);
    res = await send(new URL(res.headers.get('location')!, manual.issuer));
    const final = new URL(res.headers.get('location')!);
    assert.equal(final.searchParams.get('error'), 'access_denied');
  });

  it('rejects an unknown autoLogin user and a malformed issuer', async () => {
    const logger = createMemoryLogger();
    await assert.rejects(createSandboxIdp({ issuer: 'http://127.0.0.1:1', autoLogin: 'mallory', logger }), /autoLogin user "mallory" does not exist.*alice, bob/);
    await assert.rejects(createSandboxIdp({ issuer: 'http://127.0.0.1:1/', logger }), /must not end with a slash/);
  });
});

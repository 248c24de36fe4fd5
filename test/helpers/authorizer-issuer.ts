/**
 * A tiny, real OIDC issuer for authorizer and gateway tests: an HTTP server on 127.0.0.1:0 serving
 * `/.well-known/openid-configuration` and `/jwks`, with jose-generated RSA keys. Tests decide which keys
 * are published, so unknown-kid and key-rotation cases are real.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface TestIssuer {
  issuer: string;
  discoveryUrl: string;
  jwksUri: string;
  /** How many times the JWKS was fetched. */
  jwksFetches: () => number;
  /** The key published at creation. */
  key: TestKey;
  newKey(kid: string): Promise<TestKey>;
  publish(key: TestKey): void;
  /** Signs claims (iss, iat, exp default to this issuer, now, now+1h unless given; pass null to omit). */
  sign(claims: Record<string, unknown>, opts?: { key?: TestKey; kid?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(opts: { issuerPath?: string } = {}): Promise<TestIssuer> {
  const published: JWK[] = [];
  let fetches = 0;
  let issuer = '';
  const path = opts.issuerPath ?? '/realm';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === `${path}/.well-known/openid-configuration`) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, response_types_supported: ['code'] }));
    } else if (url.pathname === `${path}/jwks`) {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  async function newKey(kid: string): Promise<TestKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    return { kid, privateKey, publicJwk };
  }
  const key = await newKey('key-1');
  published.push(key.publicJwk);

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/jwks`,
    jwksFetches: () => fetches,
    key,
    newKey,
    publish: (k) => void published.push(k.publicJwk),
    async sign(claims, o = {}) {
      const k = o.key ?? key;
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { iss: issuer, iat: now, exp: now + 3600, ...claims };
      for (const [name, v] of Object.entries(payload)) if (v === null) delete payload[name];
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: o.kid ?? k.kid, typ: 'JWT' }).sign(k.privateKey);
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

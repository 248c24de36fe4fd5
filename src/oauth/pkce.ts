/** RFC 7636 PKCE (S256 only) and the random `state` value for the authorization request. */
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** BASE64URL(SHA256(ASCII(verifier))), RFC 7636 §4.2. */
export function challengeFor(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A fresh verifier: 32 random octets, base64url-encoded (43 characters, the RFC's recommendation). */
export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: challengeFor(verifier), method: 'S256' };
}

/** An unguessable `state` for CSRF protection of the callback. */
export function createState(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The issuer pin: a token is only ever requested from, or sent to, the issuer the gateway itself names.
 *
 * The gateway's protected resource metadata (RFC 9728, `authorization_servers`) is the authority: it is
 * derived from the gateway's CUSTOM_JWT discovery URL, the very issuer whose tokens the gateway accepts. An
 * issuer that comes from anywhere else (a team profile, `--issuer`, a journal) is only used when it is one
 * of those, so a tampered profile cannot make verify or cleanup send a developer's tokens to another server.
 *
 * Issuers compare as strings, except that one trailing slash is ignored (Auth0's issuers end in "/" and
 * configurations often drop it); mcp-remote itself still requires the metadata's `issuer` to equal the
 * PRM's entry exactly, which verify's as-metadata check reports.
 */
import { CliError, errorMessage } from '../core/errors.js';

/** The documented normalisation: one trailing slash does not make another issuer. */
export function sameIssuer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  return a.replace(/\/$/, '') === b.replace(/\/$/, '');
}

/** The issuers the gateway names (its PRM's authorization_servers), found as mcp-remote finds them. */
export async function gatewayIssuers(gatewayUrl: string, opts: { timeoutMs?: number } = {}): Promise<string[]> {
  const { probeChallenge, fetchProtectedResourceMetadata } = await import('./discovery.js');
  let resourceMetadataUrl: string | undefined;
  try {
    resourceMetadataUrl = (await probeChallenge(gatewayUrl, opts)).wwwAuthenticate?.params.resource_metadata;
  } catch {
    // No 401 to read the header from: the well-known URLs below may still answer.
  }
  const prm = await fetchProtectedResourceMetadata(gatewayUrl, resourceMetadataUrl, opts);
  const servers = prm.metadata.authorization_servers;
  return Array.isArray(servers) ? servers.filter((s): s is string => typeof s === 'string' && s.length > 0) : [];
}

export function issuerMismatchError(claimed: string, named: string[], source: string, gatewayUrl: string): CliError {
  const gw = named.length ? `the gateway names ${named.map((s) => `"${s}"`).join(', ')}` : 'the gateway names no authorization server';
  return new CliError(`The issuer "${claimed}" from ${source} is not the gateway's: ${gw} (protected resource metadata of ${gatewayUrl}). No token was requested or sent.`, {
    code: 'issuer_mismatch',
    fix: named.length
      ? `If the gateway is right, ask your admin for a current team profile (or pass --issuer ${named[0]}); if the profile is right, the gateway's discovery URL must be fixed by its admin.`
      : "The gateway's CUSTOM_JWT discovery URL must name the IdP: ask its admin to check the authorizer.",
  });
}

export type PinOutcome =
  | { status: 'pinned'; issuer: string }
  | { status: 'unconfirmed'; why: string };

/**
 * Pins `claimed` (or, without one, takes the gateway's own issuer): 'pinned' with the gateway's spelling of
 * the issuer; 'unconfirmed' when the gateway's metadata cannot be read (nothing may be sent to `claimed` on
 * its word alone); throws issuer_mismatch when the gateway names other issuers.
 */
export async function pinIssuer(args: { gatewayUrl: string; claimed?: string; source: string; timeoutMs?: number }): Promise<PinOutcome> {
  let named: string[];
  try {
    named = await gatewayIssuers(args.gatewayUrl, { timeoutMs: args.timeoutMs });
  } catch (err) {
    return { status: 'unconfirmed', why: errorMessage(err) };
  }
  if (!args.claimed) {
    return named[0] ? { status: 'pinned', issuer: named[0] } : { status: 'unconfirmed', why: 'the gateway names no authorization server' };
  }
  const match = named.find((s) => sameIssuer(s, args.claimed));
  if (!match) throw issuerMismatchError(args.claimed, named, args.source, args.gatewayUrl);
  return { status: 'pinned', issuer: match };
}

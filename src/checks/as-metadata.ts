/** Check: the authorization server's metadata is found and is something mcp-remote (and stricter clients) accept. */
import { errorMessage } from '../core/errors.js';
import { DiscoveryError, describeAttempts, discoverAuthorizationServer, type AsMetadataResult } from '../oauth/discovery.js';
import type { CheckOptions, CheckResult, Problem } from './types.js';
import { fromProblems, isLoopbackHost } from './types.js';

const base = { id: 'as-metadata', stage: 'metadata', title: 'Authorization server metadata' } as const;

function describeDifference(a: string, b: string): string {
  if (a.replace(/\/+$/, '') === b.replace(/\/+$/, '')) return ' (they differ only by a trailing slash)';
  if (a.toLowerCase() === b.toLowerCase()) return ' (they differ only in letter case)';
  return '';
}

export async function checkAsMetadata(issuer: string, opts: CheckOptions = {}): Promise<{ result: CheckResult; as?: AsMetadataResult }> {
  let as: AsMetadataResult;
  try {
    as = await discoverAuthorizationServer(issuer, { timeoutMs: opts.timeoutMs });
  } catch (err) {
    const attempts = err instanceof DiscoveryError ? err.attempts : [];
    return {
      result: {
        ...base,
        status: 'fail',
        finding: attempts.length ? `No metadata for ${issuer}: tried ${describeAttempts(attempts)}.` : `No metadata for ${issuer}: ${errorMessage(err)}`,
        fix: 'The PRM\'s authorization_servers entry must be the IdP\'s issuer; check the gateway\'s discovery URL.',
        details: { issuer, tried: attempts },
      },
    };
  }
  const md = as.metadata;
  const problems: Problem[] = [];

  // The MCP SDK stops at the first candidate that answers 5xx (other than 502) or not at all
  const blocking = as.attempts.find((a) => a.url !== as.url && ((a.status >= 500 && a.status !== 502) || a.status === 0));
  if (blocking) {
    problems.push({
      status: 'fail',
      finding: `${blocking.url} answered ${blocking.problem}; mcp-remote stops there and never reaches ${as.url}.`,
      fix: 'That URL must answer 404 (or the metadata), not a server error.',
    });
  }

  if (md.issuer !== issuer) {
    const got = typeof md.issuer === 'string' ? `"${md.issuer}"` : 'missing';
    problems.push({
      status: 'fail',
      finding: `The metadata's issuer is ${got} but the protected resource metadata names "${issuer}"${typeof md.issuer === 'string' ? describeDifference(md.issuer, issuer) : ''}; they must be identical (RFC 8414 §3.3) or clients refuse to sign in.`,
      fix: typeof md.issuer === 'string' ? `Set the gateway's discovery URL so its authorization_servers entry is exactly ${md.issuer}.` : undefined,
    });
  }
  const rt = Array.isArray(md.response_types_supported) ? md.response_types_supported : undefined;
  if (!rt?.includes('code')) {
    problems.push({
      status: 'fail',
      finding: rt ? `response_types_supported (${rt.join(', ') || 'empty'}) lacks "code".` : 'response_types_supported is missing.',
      fix: 'The IdP must offer the authorization code flow.',
    });
  }
  const ccm = md.code_challenge_methods_supported;
  if (ccm === undefined) {
    problems.push({
      status: 'warn',
      finding: 'code_challenge_methods_supported is absent: clients that follow MCP authorization 2025-11-25 must refuse such a server (mcp-remote 0.15.1, Kiro\'s bridge here, proceeds with S256).',
    });
  } else if (!Array.isArray(ccm) || !ccm.includes('S256')) {
    problems.push({
      status: 'fail',
      finding: `code_challenge_methods_supported (${Array.isArray(ccm) ? ccm.join(', ') : String(ccm)}) lacks S256; mcp-remote refuses to sign in.`,
      fix: 'Enable PKCE with S256 at the IdP.',
    });
  }
  const grants = md.grant_types_supported;
  if (Array.isArray(grants)) {
    if (!grants.includes('authorization_code')) {
      problems.push({ status: 'fail', finding: `grant_types_supported (${grants.join(', ')}) lacks authorization_code.`, fix: 'The IdP must offer the authorization code grant.' });
    }
    if (!grants.includes('refresh_token')) {
      problems.push({
        status: 'warn',
        finding: 'grant_types_supported lacks refresh_token: users will sign in again whenever the access token expires.',
        tag: 'no-refresh',
      });
    }
  }
  for (const key of ['authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof md[key] !== 'string' || !md[key]) problems.push({ status: 'fail', finding: `${key} is missing.` });
  }
  const insecure: string[] = [];
  for (const key of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'revocation_endpoint', 'registration_endpoint'] as const) {
    const v = md[key];
    if (typeof v !== 'string' || !v) continue;
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) insecure.push(`${key} ${v}`);
    } catch {
      problems.push({ status: 'fail', finding: `${key} is not a URL (${v}).` });
    }
  }
  if (insecure.length) {
    problems.push({ status: 'fail', finding: `Not https: ${insecure.join(', ')}.`, fix: 'OAuth endpoints must use https (plain http is only fine on loopback).' });
  }
  if (!md.revocation_endpoint) {
    problems.push({
      status: 'warn',
      finding: 'No revocation_endpoint: cleanup cannot revoke tokens; they stay valid until they expire.',
      fix: 'Keep access tokens short (1 h); revoke sessions in the IdP\'s admin console when removing access.',
    });
  }
  return {
    result: fromProblems(
      { ...base, details: { url: as.url, kind: as.kind, issuer: md.issuer, tried: as.attempts, codeChallengeMethods: ccm, revocationEndpoint: md.revocation_endpoint } },
      problems,
      `Found at ${as.url}; issuer matches, code flow with PKCE S256.`,
    ),
    as,
  };
}

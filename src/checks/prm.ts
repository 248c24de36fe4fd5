/** Check: RFC 9728 Protected Resource Metadata is reachable, names this gateway and an authorization server. */
import { errorMessage } from '../core/errors.js';
import { DiscoveryError, describeAttempts, fetchProtectedResourceMetadata, type MetadataResult, type ProtectedResourceMetadata } from '../oauth/discovery.js';
import type { CheckOptions, CheckResult, Problem } from './types.js';
import { fromProblems } from './types.js';

const base = { id: 'prm', stage: 'metadata', title: 'Protected resource metadata' } as const;

/** Origin + path without trailing slashes + query: `https://gw/mcp/` and `https://GW/mcp` compare equal. */
export function normaliseResource(url: string): string {
  const u = new URL(url);
  u.hash = '';
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}${u.search}`;
}

/** The MCP SDK's (so mcp-remote's) rule: same origin and the resource's path is a prefix of the server's. */
function sdkAcceptsResource(serverUrl: string, resource: string): boolean {
  const a = new URL(serverUrl);
  const b = new URL(resource);
  if (a.origin !== b.origin) return false;
  const pa = a.pathname.endsWith('/') ? a.pathname : `${a.pathname}/`;
  const pb = b.pathname.endsWith('/') ? b.pathname : `${b.pathname}/`;
  return pa.startsWith(pb);
}

export async function checkPrm(
  gatewayUrl: string,
  resourceMetadataUrl: string | undefined,
  opts: CheckOptions = {},
): Promise<{ result: CheckResult; prm?: MetadataResult<ProtectedResourceMetadata> }> {
  let prm: MetadataResult<ProtectedResourceMetadata>;
  try {
    prm = await fetchProtectedResourceMetadata(gatewayUrl, resourceMetadataUrl, { timeoutMs: opts.timeoutMs });
  } catch (err) {
    const attempts = err instanceof DiscoveryError ? err.attempts : [];
    return {
      result: {
        ...base,
        status: 'fail',
        finding: attempts.length ? `No protected resource metadata: tried ${describeAttempts(attempts)}.` : `No protected resource metadata: ${errorMessage(err)}`,
        fix: 'An AgentCore gateway with CUSTOM_JWT inbound auth serves it at /.well-known/oauth-protected-resource: check the URL and the gateway\'s authorizer.',
        details: { tried: attempts },
      },
    };
  }
  const md = prm.metadata;
  const problems: Problem[] = [];
  const details = { url: prm.url, tried: prm.attempts, resource: md.resource, authorizationServers: md.authorization_servers, scopesSupported: md.scopes_supported };

  if (resourceMetadataUrl && prm.url !== resourceMetadataUrl) {
    const first = prm.attempts[0];
    problems.push({
      status: 'fail',
      finding: `The 401's resource_metadata URL ${resourceMetadataUrl} answered ${first?.problem ?? 'nothing usable'} (found it at ${prm.url} instead); the MCP SDK inside mcp-remote reads only the header's URL.`,
      fix: 'Make the resource_metadata URL in WWW-Authenticate serve the metadata.',
    });
  }
  if (typeof md.resource !== 'string' || !md.resource) {
    problems.push({ status: 'fail', finding: 'The metadata has no "resource".', fix: `It must be the gateway URL, ${gatewayUrl}.` });
  } else {
    let same = false;
    let accepted = false;
    try {
      same = normaliseResource(md.resource) === normaliseResource(gatewayUrl);
      accepted = sdkAcceptsResource(gatewayUrl, md.resource);
    } catch {
      /* not a URL: neither */
    }
    if (!same) {
      problems.push(
        accepted
          ? {
              status: 'warn',
              finding: `"resource" is ${md.resource}, not the gateway URL ${gatewayUrl}; mcp-remote accepts the prefix, stricter clients do not.`,
            }
          : {
              status: 'fail',
              finding: `"resource" is ${md.resource} but the gateway URL is ${gatewayUrl}; clients refuse metadata for another resource.`,
              fix: `Use the gateway URL exactly as its metadata names it (${md.resource}) in the client configuration, or fix the gateway URL you passed.`,
            },
      );
    }
  }
  const servers = Array.isArray(md.authorization_servers) ? md.authorization_servers.filter((s) => typeof s === 'string' && s) : [];
  if (!servers.length) {
    problems.push({
      status: 'fail',
      finding: 'The metadata lists no authorization_servers, so clients cannot find the IdP.',
      fix: 'The gateway derives it from the CUSTOM_JWT discovery URL: check the authorizer configuration.',
    });
  }
  return {
    result: fromProblems({ ...base, details }, problems, `Found at ${prm.url}: resource ${md.resource}, authorization server ${servers[0]}.`),
    prm,
  };
}

/** Check: an unauthenticated MCP initialize gets 401 + `WWW-Authenticate: Bearer resource_metadata=...` + a JSON-RPC error. */
import { CliError, errorMessage } from '../core/errors.js';
import { probeChallenge, type ChallengeResult } from '../oauth/discovery.js';
import type { CheckOptions, CheckResult, Problem } from './types.js';
import { fromProblems } from './types.js';

const base = { id: 'challenge', stage: 'challenge', title: 'Unauthenticated request is challenged' } as const;

export async function checkChallenge(gatewayUrl: string, opts: CheckOptions & { authorizerKnown?: boolean } = {}): Promise<{ result: CheckResult; challenge?: ChallengeResult }> {
  let challenge: ChallengeResult;
  try {
    challenge = await probeChallenge(gatewayUrl, { timeoutMs: opts.timeoutMs });
  } catch (err) {
    return {
      result: {
        ...base,
        status: 'fail',
        finding: `The gateway did not answer: ${errorMessage(err)}`,
        fix: err instanceof CliError && err.fix ? err.fix : 'Check the gateway URL.',
      },
    };
  }
  const www = challenge.wwwAuthenticate;
  const details = {
    status: challenge.status,
    wwwAuthenticate: challenge.wwwAuthenticateRaw,
    resourceMetadata: www?.params.resource_metadata,
    scope: www?.params.scope,
  };

  if (challenge.status >= 200 && challenge.status < 300) {
    return {
      result: {
        ...base,
        status: 'fail',
        finding: `An initialize with no token got HTTP ${challenge.status}: the gateway is open to anyone.`,
        fix: 'A gateway\'s inbound authorizer type cannot be changed: create a CUSTOM_JWT gateway (agentcore-auth init --create-gateway NAME --role-arn ARN), move the targets to it, and delete this one.',
        details,
      },
      challenge,
    };
  }
  if (challenge.status !== 401) {
    const iam = challenge.status === 403;
    return {
      result: {
        ...base,
        status: 'fail',
        finding: `An initialize with no token got HTTP ${challenge.status}, not 401: OAuth clients such as mcp-remote only start a sign-in on 401.`,
        fix: iam && opts.authorizerKnown
          ? 'The gateway\'s authorizer is CUSTOM_JWT, yet it refused a request without a token with 403, not 401: check that the URL is the gateway\'s MCP endpoint and that nothing in front of it (a proxy, a WAF) answers for it.'
          : iam
          ? 'A 403 usually means the gateway uses AWS_IAM inbound auth (verify with --gateway ID reads its type); OAuth needs a CUSTOM_JWT gateway (the authorizer type cannot be changed: create a new gateway).'
          : 'Check the URL: it must be the gateway\'s MCP endpoint (https://<id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp).',
        details,
      },
      challenge,
    };
  }

  const problems: Problem[] = [];
  if (!www) {
    problems.push({
      status: 'fail',
      finding: 'The 401 has no WWW-Authenticate header, so clients cannot tell it is OAuth or where to sign in.',
      fix: 'An AgentCore gateway with a CUSTOM_JWT authorizer sends it: check that the URL reaches the gateway, not a proxy in front of it.',
    });
  } else if (www.scheme.toLowerCase() !== 'bearer') {
    problems.push({
      status: 'fail',
      finding: `The 401 challenges with "${www.scheme}", not Bearer.`,
      fix: 'OAuth-protected MCP servers answer `WWW-Authenticate: Bearer resource_metadata="..."`: use a CUSTOM_JWT gateway.',
    });
  } else if (!www.params.resource_metadata) {
    problems.push({
      status: 'warn',
      finding: 'The Bearer challenge has no resource_metadata; clients must guess the well-known metadata URL.',
      fix: 'MCP 2025-06-18 requires resource_metadata in the 401; mcp-remote falls back to /.well-known/oauth-protected-resource.',
    });
  }
  if (!challenge.bodyIsJsonRpcError) {
    problems.push({
      status: 'warn',
      finding: 'The 401 body is not a JSON-RPC error, so MCP clients show a vaguer message.',
    });
  }
  const rm = www?.params.resource_metadata;
  return {
    result: fromProblems({ ...base, details }, problems, `HTTP 401 with a Bearer challenge${rm ? ` (resource_metadata ${rm})` : ''} and a JSON-RPC error body.`),
    challenge,
  };
}

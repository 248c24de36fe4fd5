import type { CommandSpec } from './types.js';
import { AWS_OPTIONS, LOGIN_OPTIONS } from './shared.js';

export const command: CommandSpec = {
  name: 'verify',
  summary: 'Health check: the 401 challenge, the OAuth discovery chain, a test login and authenticated MCP calls; each failure with its fix',
  usage: 'agentcore-auth verify [--setup NAME | --gateway-url URL [--client-id ID]] [flags]',
  options: {
    'gateway-url': { type: 'string', placeholder: 'url', description: 'Check this MCP endpoint directly (no journal, no AWS credentials needed)' },
    gateway: { type: 'string', placeholder: 'id|arn', description: 'Also read this gateway\'s authorizer from the control plane, to explain token rule failures' },
    ...AWS_OPTIONS,
    provider: { type: 'string', placeholder: 'id', description: 'The IdP (oidc, okta, entra, cognito, auth0) when its issuer is on a custom domain; else detected from the issuer' },
    'client-id': { type: 'string', placeholder: 'id', description: 'OAuth client id for the test login (default: from the setup)' },
    scopes: { type: 'string', placeholder: 'list', description: 'Scopes for the test login' },
    'callback-port': { type: 'string', placeholder: 'port', description: 'Loopback port for the test login\'s callback (default: from the setup, or 3334)' },
    'no-login': { type: 'boolean', description: 'Skip the test login and authenticated calls' },
    ...LOGIN_OPTIONS,
    call: { type: 'string', placeholder: 'tool', description: 'Also call this tool with the test login\'s token' },
    'call-args': { type: 'string', placeholder: 'json', description: 'Arguments for --call, as a JSON object' },
    client: { type: 'string', placeholder: 'list', description: 'Check these clients\' entries, comma-separated (default: every client the setup configured)' },
    'server-name': { type: 'string', placeholder: 'name', description: 'The MCP server entry to check (default: the setup\'s, or gateway-tools)' },
    'via-client': { type: 'boolean', description: 'Also sign in and call through the client entry (mcp-remote), exactly as Kiro would' },
    timeout: { type: 'string', placeholder: 'duration', description: 'Timeout for each network call (default 10s)' },
  },
  notes: [
    'verify changes nothing at the IdP or the gateway. Its test login signs in (its tokens are revoked afterwards), and it redeems mcp-remote\'s cached refresh token the way mcp-remote would (saving the answer back). --dry-run skips both: read-only probes only. --no-login skips the sign-in.',
  ],
  examples: [
    'agentcore-auth verify',
    'agentcore-auth verify --gateway-url https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp --no-login',
    'agentcore-auth verify --call list_files --json',
  ],
  async run(ctx, opts) {
    await (await import('../flows/setups.js')).resolveSetup(ctx, typeof opts.setup === 'string');
    const { runVerifyCommand } = await import('../flows/verify.js');
    const r = await runVerifyCommand(ctx, opts);
    if (ctx.flags.json) ctx.emitJson(r);
    return r.ok ? 0 : 1;
  },
};

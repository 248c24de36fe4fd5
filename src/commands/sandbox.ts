import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'sandbox',
  summary: 'Run a local identity provider (oidc-provider) and an AgentCore-compatible gateway, loopback only',
  usage: 'agentcore-auth sandbox [--port N] [--auto-login USER] [--json]',
  globals: ['json', 'verbose'],
  options: {
    port: { type: 'string', placeholder: 'port', description: 'Port for the issuer and control plane (default 0: a free port)' },
    'auto-login': { type: 'string', placeholder: 'user', description: 'Sign this user in and grant consent automatically (redirects only), for CI' },
    region: { type: 'string', placeholder: 'region', description: 'Region the control plane reports (default us-east-1)' },
    files: { type: 'string', placeholder: 'dir', description: 'Folder the list_files demo tool shows (default: a temporary folder)' },
  },
  examples: ['agentcore-auth sandbox', 'agentcore-auth sandbox --port 4000 --auto-login alice --json'],
  async run(ctx, opts) {
    const { runSandbox } = await import('../flows/sandbox.js');
    return runSandbox(ctx, opts);
  },
};

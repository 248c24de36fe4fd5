/** The command table: names, one-line summaries, and lazy loaders (nothing heavy is imported until a command runs). */
import type { CommandSpec } from './types.js';

export const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: CommandSpec }> }> = {
  init: { summary: 'Register an OIDC app, set the gateway authorizer, write the MCP client configs and team profile, verify', load: () => import('./init.js') },
  connect: { summary: "For developers: write your MCP clients' config from the team profile, verify with a test login", load: () => import('./connect.js') },
  verify: { summary: 'Health check: 401 challenge, discovery chain, test login, authenticated MCP calls', load: () => import('./verify.js') },
  cleanup: { summary: 'Undo exactly what init (or connect) made: tokens, caches, client configs, gateway auth, IdP app', load: () => import('./cleanup.js') },
  setups: { summary: 'List the setups on this machine', load: () => import('./setups.js') },
  status: { summary: 'What the journal says exists, checked against the live resources', load: () => import('./status.js') },
  sandbox: { summary: 'Run a local identity provider and AgentCore-compatible gateway', load: () => import('./sandbox.js') },
  demo: { summary: 'The whole journey on the sandbox: init, verify with a test login, cleanup', load: () => import('./demo.js') },
  completion: { summary: 'Print a shell completion script: agentcore-auth completion bash|zsh|fish', load: () => import('./completion.js') },
};

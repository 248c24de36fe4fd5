import { LOGIN_OPTIONS } from './shared.js';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'connect',
  summary: "For a developer (no IdP or AWS rights): write your MCP clients' config for a team's gateway from the team profile, then verify with a test login",
  usage: 'agentcore-auth connect [--team-profile FILE|URL] [--client LIST] [--yes] [flags]',
  options: {
    'team-profile': { type: 'string', placeholder: 'file|url', description: 'The team profile init wrote, a path or an https URL (default: ./agentcore-auth.team.json when it exists)' },
    profile: { type: 'string', placeholder: 'file|url', description: 'Old name of --team-profile (kept working; --profile means the AWS profile everywhere else)' },
    client: { type: 'string', placeholder: 'list', description: 'MCP clients to configure, comma-separated: kiro, kiro-workspace, claude-code, claude-code-user, cursor, cursor-workspace, vscode, amazon-q, amazon-q-workspace, gemini, gemini-workspace, claude-desktop (interactive: installed ones preselected)' },
    'gateway-url': { type: 'string', placeholder: 'url', description: "The gateway's MCP URL (instead of, or overriding, the profile's)" },
    'client-id': { type: 'string', placeholder: 'id', description: 'The OAuth client id the admin registered (instead of, or overriding, the profile\'s)' },
    scopes: { type: 'string', placeholder: 'list', description: 'Scopes to request (default: the profile\'s, else "openid profile email offline_access")' },
    'callback-port': { type: 'string', placeholder: 'port', description: 'Loopback port registered for the sign-in callback (default: the profile\'s, else 3334)' },
    'server-name': { type: 'string', placeholder: 'name', description: 'Name of the MCP server entry (default: the profile\'s, else gateway-tools)' },
    'mcp-remote-arg': { type: 'string', multiple: true, placeholder: 'arg', description: 'An IdP-specific mcp-remote argument, one per flag, e.g. --mcp-remote-arg=--disable-resource-parameter (replaces the profile\'s)' },
    issuer: { type: 'string', placeholder: 'url', description: "The IdP's issuer, to revoke your test login's tokens (default: the profile's)" },
    provider: { type: 'string', placeholder: 'id', description: "The IdP (oidc, okta, entra, cognito, auth0), to explain token failures (default: the profile's)" },
    'kiro-native': { type: 'boolean', description: "Kiro: use Kiro's own remote OAuth entry (url + oauth.clientId) instead of mcp-remote" },
    'follow-symlinks': { type: 'boolean', description: 'Write a client config through a symlink that leads outside the project folder (or HOME), e.g. dotfiles kept in a repo; refused by default' },
    'no-verify': { type: 'boolean', description: 'Skip verify after writing' },
    'no-login': { type: 'boolean', description: 'Verify without the test login' },
    ...LOGIN_OPTIONS,
    timeout: { type: 'string', placeholder: 'duration', description: 'Timeout for each network call during verify (default 10s)' },
  },
  examples: [
    'agentcore-auth connect                      # in a repository that holds agentcore-auth.team.json',
    'npx agentcore-auth connect --team-profile https://intranet.example.com/agentcore-auth.team.json --client claude-code,vscode --yes',
    'agentcore-auth connect --gateway-url https://gw-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp --client-id 0oa1b2c3 --client kiro --yes',
  ],
  async run(ctx, opts) {
    const { runConnect, printConnectSummary } = await import('../flows/connect.js');
    const r = await runConnect(ctx, opts);
    printConnectSummary(ctx, r);
    if (ctx.flags.json) ctx.emitJson(r);
    return r.ok ? 0 : 1;
  },
};

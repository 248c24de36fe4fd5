import { PROVIDER_MODULES } from '../../providers/index.js';
import type { CommandSpec, OptionSpec } from './types.js';
import { AWS_OPTIONS, LOGIN_OPTIONS } from './shared.js';

/** Flags under one help heading. */
function group(heading: string, flags: Record<string, OptionSpec>): Record<string, OptionSpec> {
  return Object.fromEntries(Object.entries(flags).map(([k, o]) => [k, { ...o, group: heading }]));
}

/** Each provider's own flags (prefixed with its id), from its light providers/<id>/index.ts, under its own heading. */
const PROVIDER_FLAGS: Record<string, OptionSpec> = Object.assign({}, ...PROVIDER_MODULES.map((p) => group(`${p.displayName.replace(/ \(.*\)$/, '')} (--provider ${p.id})`, p.flags)));

export const command: CommandSpec = {
  name: 'init',
  summary: 'Register a public OIDC app, set the gateway\'s inbound JWT authorizer, write the MCP client configs and the team profile, then verify',
  usage: 'agentcore-auth init [--provider oidc --issuer URL] [--gateway ID | --create-gateway NAME --role-arn ARN] [flags]',
  options: {
    ...group('Identity provider', {
      provider: { type: 'string', placeholder: 'id', description: 'Identity provider: oidc, okta, entra, cognito, auth0 (env AGENTCORE_AUTH_PROVIDER; default: detected from --issuer)' },
      issuer: { type: 'string', placeholder: 'url', description: 'Issuer URL of the identity provider (env AGENTCORE_AUTH_ISSUER)' },
      audience: { type: 'string', placeholder: 'aud', description: 'Also pin tokens to this audience (allowedAudience); the client is always pinned' },
      'app-name': { type: 'string', placeholder: 'name', description: 'Display name of the app at the IdP (default "agentcore-auth <setup>")' },
      scopes: { type: 'string', placeholder: 'list', description: 'Scopes to request (default "openid profile email offline_access")' },
      'access-token-ttl': { type: 'string', placeholder: 'duration', description: 'Access token lifetime where the IdP lets us set it (default 1h)' },
      'refresh-token-ttl': { type: 'string', placeholder: 'duration', description: 'Refresh token lifetime where the IdP lets us set it (default 90d)' },
      'id-token-ttl': { type: 'string', placeholder: 'duration', description: 'ID token lifetime where the IdP lets us set it (default 1h)' },
    }),
    ...group('Who may use the gateway (default: anyone who can sign in through this app)', {
      'allow-group': { type: 'string', multiple: true, placeholder: 'name', description: 'Only members of this group (or role) may use the gateway; any of several admits. The IdP is set up so the group claim reaches the access token' },
      'require-scope': { type: 'string', multiple: true, placeholder: 'scope', description: 'Only tokens granted this scope (allowedScopes; any of several admits); the client asks for it, and the IdP defines it where it must' },
      'require-claim': { type: 'string', multiple: true, placeholder: 'rule', description: 'A rule on any claim: department=engineering (equals), groups~engineering (array contains), groups~a,b (contains any); rules are AND-ed' },
    }),
    ...group('Gateway and AWS', {
      gateway: { type: 'string', placeholder: 'id|arn|url', description: 'Use this existing gateway (must have a CUSTOM_JWT authorizer)' },
      'create-gateway': { type: 'string', placeholder: 'name', description: 'Create a new MCP gateway with a JWT authorizer' },
      'role-arn': { type: 'string', placeholder: 'arn', description: 'IAM role for --create-gateway (trusted by bedrock-agentcore.amazonaws.com)' },
      ...AWS_OPTIONS,
      'wait-timeout': { type: 'string', placeholder: 'duration', description: 'How long to wait for the gateway to be READY (default 300s)' },
      'no-wait': { type: 'boolean', description: 'Do not wait for the gateway to be READY' },
    }),
    ...group('MCP clients and the team', {
      client: { type: 'string', placeholder: 'list', description: 'MCP clients to configure, comma-separated: kiro, kiro-workspace, claude-code, claude-code-user, cursor, cursor-workspace, vscode, amazon-q, amazon-q-workspace, gemini, gemini-workspace, claude-desktop (default kiro; interactive: installed ones preselected)' },
      'kiro-native': { type: 'boolean', description: "Kiro: use Kiro's own remote OAuth entry (url + oauth.clientId) instead of mcp-remote" },
      'follow-symlinks': { type: 'boolean', description: 'Write a client config through a symlink that leads outside the project folder (or HOME), e.g. dotfiles kept in a repo; refused by default' },
      'server-name': { type: 'string', placeholder: 'name', description: 'Name of the MCP server entry (default gateway-tools)' },
      'callback-port': { type: 'string', placeholder: 'port', description: 'Loopback port of mcp-remote\'s OAuth callback (default 3334)' },
      'team-profile': { type: 'string', placeholder: 'path', description: 'Where to write the team profile for `agentcore-auth connect` (default ~/.agentcore-auth/teams/<setup>/agentcore-auth.team.json)' },
      'no-team-profile': { type: 'boolean', description: 'Do not write the team profile' },
    }),
    ...group('Run and verify', {
      'keep-on-failure': { type: 'boolean', description: 'When a step fails, keep what this run made so the next init resumes (default with --yes: roll it back)' },
      'no-verify': { type: 'boolean', description: 'Skip verify at the end' },
      'no-login': { type: 'boolean', description: 'Verify without the test login' },
      ...LOGIN_OPTIONS,
    }),
    ...PROVIDER_FLAGS,
  },
  examples: [
    '# the wizard: asks for what the flags do not say',
    'agentcore-auth init',
    '# the sandbox (agentcore-auth sandbox prints its issuer, control plane and role)',
    'agentcore-auth init --provider oidc --issuer http://127.0.0.1:4000 --endpoint-url http://127.0.0.1:4000 --create-gateway dev --role-arn arn:aws:iam::123456789012:role/gw --allow-group engineering --yes',
    '# any OIDC provider with dynamic registration (Keycloak, Authentik, glewlwyd...)',
    'agentcore-auth init --provider oidc --issuer https://sso.example.com/realms/dev --gateway gw-abc123 --yes',
    '# Okta (OKTA_API_TOKEN in the environment)',
    'agentcore-auth init --provider okta --okta-org-url https://acme.okta.com --okta-assign-group Engineering --gateway gw-abc123 --allow-group Engineering --yes',
    '# Entra ID (device code sign-in as an admin)',
    'agentcore-auth init --provider entra --entra-tenant contoso.onmicrosoft.com --create-gateway mcp --role-arn arn:aws:iam::123456789012:role/gw --yes',
    '# Amazon Cognito (the AWS credential chain)',
    'agentcore-auth init --provider cognito --cognito-user-pool-id us-east-1_AbC123xyz --gateway gw-abc123 --allow-group engineering --yes',
    '# Auth0 (AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET of a Management API client)',
    'agentcore-auth init --provider auth0 --auth0-domain acme.us.auth0.com --gateway gw-abc123 --yes',
  ],
  async run(ctx, opts) {
    const { runInit, printInitSummary } = await import('../flows/init.js');
    const r = await runInit(ctx, opts);
    printInitSummary(ctx, r);
    if (ctx.flags.json) ctx.emitJson(r);
    return r.ok ? 0 : 1;
  },
};

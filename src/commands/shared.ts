import type { OptionSpec } from './types.js';

/** The test login's wait for the browser (init, connect, verify, demo). */
export const LOGIN_OPTIONS: Record<string, OptionSpec> = {
  'login-timeout': { type: 'string', placeholder: 'duration', description: 'How long the test login waits for the sign-in in the browser (default 300s; Ctrl-C stops it at once)' },
};

/** Flags shared by the commands that talk to the AgentCore control plane. */
export const AWS_OPTIONS: Record<string, OptionSpec> = {
  region: { type: 'string', placeholder: 'region', description: 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)' },
  profile: { type: 'string', placeholder: 'name', description: 'AWS profile from ~/.aws/config (default: the SDK credential chain)' },
  'endpoint-url': { type: 'string', placeholder: 'url', description: 'AgentCore control plane endpoint (sandbox, moto); AWS_ENDPOINT_URL is honoured too' },
};

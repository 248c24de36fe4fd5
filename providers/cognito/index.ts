/** Placeholder until the Amazon Cognito adapter lands: flags only, and a clear error. */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'cognito',
  displayName: 'Amazon Cognito',
  flags: {},
  credentialEnv: [],
  async createAdapter() {
    const { UsageError } = await import('../../src/core/errors.js');
    throw new UsageError('The Amazon Cognito adapter is not available in this version.', {
      fix: 'Use --provider oidc with an IdP that supports dynamic client registration, or the sandbox (agentcore-auth demo).',
    });
  },
};

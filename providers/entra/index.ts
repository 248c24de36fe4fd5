/** Placeholder until the Microsoft Entra ID adapter lands: flags only, and a clear error. */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'entra',
  displayName: 'Microsoft Entra ID',
  flags: {},
  credentialEnv: [],
  async createAdapter() {
    const { UsageError } = await import('../../src/core/errors.js');
    throw new UsageError('The Microsoft Entra ID adapter is not available in this version.', {
      fix: 'Use --provider oidc with an IdP that supports dynamic client registration, or the sandbox (agentcore-auth demo).',
    });
  },
};

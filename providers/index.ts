/**
 * Adapter registry. Each adapter is imported only when chosen, so one IdP's SDK never loads for another.
 */
import { UsageError } from '../src/core/errors.js';
import type { IdpAdapter, ProviderId } from './types.js';

export const PROVIDERS: Array<{ id: ProviderId; name: string; available: boolean; note?: string }> = [
  { id: 'oidc', name: 'Any OIDC provider with dynamic client registration (sandbox, Keycloak, Hydra, Authentik)', available: true },
  { id: 'okta', name: 'Okta', available: false, note: 'coming with the Okta adapter' },
  { id: 'entra', name: 'Microsoft Entra ID', available: false, note: 'coming with the Entra adapter' },
  { id: 'cognito', name: 'Amazon Cognito', available: false, note: 'coming with the Cognito adapter' },
  { id: 'auth0', name: 'Auth0', available: false, note: 'coming with the Auth0 adapter' },
];

export interface AdapterOptions {
  issuer?: string;
  audience?: string;
}

export async function loadAdapter(id: string, opts: AdapterOptions): Promise<IdpAdapter> {
  const known = PROVIDERS.find((p) => p.id === id);
  if (!known) {
    throw new UsageError(`Unknown provider "${id}".`, { fix: `Pass --provider with one of: ${PROVIDERS.map((p) => p.id).join(', ')}.` });
  }
  if (!known.available) {
    throw new UsageError(`The ${known.name} adapter is not available in this version (${known.note}).`, {
      fix: 'Use --provider oidc with an IdP that supports dynamic client registration, or the sandbox (agentcore-auth demo).',
    });
  }
  switch (id) {
    case 'oidc': {
      if (!opts.issuer) throw new UsageError('--provider oidc needs --issuer URL.', { fix: 'Pass --issuer https://your-idp/ (the sandbox prints its issuer).' });
      const { createOidcAdapter } = await import('./oidc/adapter.js');
      return createOidcAdapter({ issuer: opts.issuer, audience: opts.audience });
    }
    default:
      throw new UsageError(`Unknown provider "${id}".`);
  }
}

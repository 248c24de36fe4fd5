/**
 * Microsoft Entra ID: flags and a lazy factory. Nothing heavy here (no MSAL): the adapter, settings and MSAL load
 * inside createAdapter. Admin credentials come from the environment (client credentials) or a device code sign-in.
 */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'entra',
  displayName: 'Microsoft Entra ID (app registration through Microsoft Graph)',
  flags: {
    'entra-tenant': {
      type: 'string',
      placeholder: 'id|domain',
      description: 'Entra ID: directory (tenant) id or domain, e.g. contoso.onmicrosoft.com (env AZURE_TENANT_ID; or from --issuer)',
    },
    'entra-device-code': {
      type: 'boolean',
      description: 'Entra ID: sign in as an admin with the device code flow (default when interactive and no AZURE_CLIENT_SECRET/AZURE_CLIENT_CERTIFICATE_PATH is set)',
    },
    'entra-admin-client-id': {
      type: 'string',
      placeholder: 'app id',
      description: 'Entra ID: public client for the device code sign-in (default AZURE_CLIENT_ID, else Microsoft Graph Command Line Tools)',
    },
    'entra-skip-lifetime-policy': {
      type: 'boolean',
      description: 'Entra ID: create no token lifetime policy (it needs Entra ID P1; tokens then live 60-90 min)',
    },
    'entra-revoke-sessions': {
      type: 'boolean',
      description: 'Entra ID: at cleanup, also revoke the signed-in user\'s sign-in sessions (all apps; Entra has no token revocation)',
    },
  },
  credentialEnv: ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD'],
  async createAdapter(options, ctx) {
    const { createEntraAdapterFromOptions } = await import('./adapter.js');
    return createEntraAdapterFromOptions(options, ctx);
  },
};

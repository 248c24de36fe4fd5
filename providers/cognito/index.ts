/**
 * The Amazon Cognito provider module: flags and a factory. Light on purpose (no SDK here): the adapter and
 * @aws-sdk/client-cognito-identity-provider load only inside createAdapter.
 *
 * Admin credentials come from the AWS credential chain (env keys, --cognito-profile / AWS_PROFILE, SSO).
 * The Cognito endpoint can be overridden with AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER or AWS_ENDPOINT_URL
 * (moto_server in tests); the generic --endpoint-url belongs to the AgentCore control plane, not to Cognito.
 */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'cognito',
  displayName: 'Amazon Cognito (user pool app client)',
  flags: {
    'cognito-user-pool-id': {
      type: 'string',
      placeholder: 'id',
      description: 'Cognito: the user pool to register the app client in, e.g. us-east-1_AbC123 (interactive: picked from ListUserPools)',
    },
    'cognito-create-user-pool': {
      type: 'string',
      placeholder: 'name',
      description: 'Cognito: create a new user pool with this name (cleanup deletes it again)',
    },
    'cognito-region': {
      type: 'string',
      placeholder: 'region',
      description: 'Cognito: region of the user pool (default: from the pool id, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1)',
    },
    'cognito-profile': {
      type: 'string',
      placeholder: 'name',
      description: 'Cognito: AWS profile for the Cognito admin calls (default: AWS_PROFILE / the default credential chain)',
    },
    'cognito-domain-prefix': {
      type: 'string',
      placeholder: 'prefix',
      description: 'Cognito: prefix for the hosted sign-in domain created when the pool has none (default: agentcore-auth-<random>)',
    },
    'cognito-resource-server': {
      type: 'string',
      placeholder: 'id',
      description: 'Cognito: resource server whose scopes the client requests and the gateway requires (created when missing)',
    },
    'cognito-create-group': {
      type: 'boolean',
      description: 'Cognito: create the --allow-group groups that do not exist in the pool (cleanup deletes the ones it created)',
    },
    'cognito-resource-scopes': {
      type: 'string',
      placeholder: 'names',
      description: 'Cognito: scope names of --cognito-resource-server, space- or comma-separated (default: invoke)',
    },
  },
  credentialEnv: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'],
  async createAdapter(options, ctx) {
    const { createCognitoAdapter } = await import('./adapter.js');
    return createCognitoAdapter(options, ctx);
  },
};

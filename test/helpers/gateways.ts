/** Reading gateways through the real AWS SDK, as the tests check what the CLI did to them. */
import { GetGatewayCommand, type BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';

/** GetGateway's answer without its $metadata, or null when the gateway does not exist. */
export async function readGateway(client: BedrockAgentCoreControlClient, id: string): Promise<Record<string, unknown> | null> {
  try {
    const { $metadata: _m, ...g } = await client.send(new GetGatewayCommand({ gatewayIdentifier: id }));
    return g as Record<string, unknown>;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return null;
    throw err;
  }
}

/**
 * The gateway's CUSTOM_JWT authorizer, in the same JSON shape the AgentCore control plane uses
 * (`authorizerConfiguration.customJWTAuthorizer`). Plain data: no SDK import, so the sandbox,
 * verify and the plan share it without loading the AWS SDK.
 */
export type ClaimMatchOperator = 'EQUALS' | 'CONTAINS' | 'CONTAINS_ANY';
export type ClaimValueType = 'STRING' | 'STRING_ARRAY';

export interface CustomClaimRule {
  inboundTokenClaimName: string;
  inboundTokenClaimValueType: ClaimValueType;
  authorizingClaimMatchValue: {
    claimMatchOperator: ClaimMatchOperator;
    claimMatchValue: { matchValueString: string } | { matchValueStringList: string[] };
  };
}

export interface CustomJwtAuthorizer {
  discoveryUrl: string;
  allowedAudience?: string[];
  allowedClients?: string[];
  allowedScopes?: string[];
  advertisedScopeMapping?: Record<string, string>;
  customClaims?: CustomClaimRule[];
}

export type AuthorizerDecision =
  | { allow: true }
  | {
      allow: false;
      /** Which rule failed: 'allowedAudience' | 'allowedClients' | 'allowedScopes' | `customClaims[${i}]` | 'iss' | 'exp' | 'nbf' | 'signature' | 'format' */
      rule: string;
      /** One human sentence: what the token had and what the rule wanted. */
      reason: string;
    };

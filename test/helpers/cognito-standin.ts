/**
 * A Cognito stand-in for tests: a validating proxy in front of moto_server (the AWS emulator, FACTS section 3).
 *
 * Every request the SDK sends goes through here first and is checked against the published contract before
 * moto sees it:
 *   - the wire protocol: POST /, Content-Type application/x-amz-json-1.1, X-Amz-Target
 *     AWSCognitoIdentityProviderService.<Operation>, a SigV4 Authorization header scoped to `cognito-idp`
 *     (RevokeToken is unsigned, as the service model says);
 *   - the input shape of the operation: required members, unknown members, types, string lengths, patterns
 *     (anchored, as AWS applies them), enums, integer ranges, list lengths. The shapes below are the input shapes
 *     of botocore's cognito-idp 2016-04-18 service model (botocore 1.43.11, data/cognito-idp/.../service-2.json),
 *     the same model the JS SDK is generated from, cut down to the operations this project and its tests use;
 *   - the service rules AWS documents and moto does not enforce: callback URLs must be https (http only for
 *     localhost) without a fragment; token validity within Cognito's ranges for its unit (access and ID tokens
 *     5 minutes to 1 day, refresh tokens 60 minutes to 10 years); an OAuth client (AllowedOAuthFlowsUserPoolClient)
 *     needs flows, scopes and, for the code flow, callback URLs; custom scopes must exist in a resource server
 *     (ScopeDoesNotExistException); domain prefixes are unique across pools, one per pool, and must not contain
 *     aws/amazon/cognito; DeleteUserPoolDomain needs the pool that owns the domain; a pool with a domain (or
 *     with deletion protection) cannot be deleted.
 * UpdateUserPoolClient is forwarded as the full replace AWS makes of it (moto would merge): see UPDATE_CLIENT_RESETS.
 * A refused request never reaches moto and is recorded in `refused`.
 *
 * moto 5.2.1 lacks RevokeToken, DeleteResourceServer and managed-login branding, and does not report a domain's
 * ManagedLoginVersion: the stand-in answers those itself, from its own view of the state (built from the
 * requests and moto's answers, so tests must create their fixtures through the stand-in too).
 *
 * Faults: `failNext(op, type, message, status)` answers the next call of an operation with an AWS-shaped error
 * (AccessDeniedException, TooManyRequestsException...), without forwarding it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';

// ---------------------------------------------------------------------------------------------------------
// moto_server

export interface Moto {
  endpoint: string;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function findMoto(): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'moto_server');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export const MOTO_MISSING = 'moto_server is not on PATH: install moto (pip install "moto[server]") to run the Cognito tests against the AWS emulator';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts moto_server on a free loopback port (about 0.5 s); undefined when it is not installed. */
export async function startMoto(): Promise<Moto | undefined> {
  const bin = await findMoto();
  if (!bin) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const reset = async () => {
    const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`moto reset answered ${res.status}`);
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await reset();
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`moto_server did not start on ${endpoint}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    reset,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The contract

interface Shape {
  type: string;
  required?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  members?: Record<string, string>;
  member?: string;
  key?: string;
  value?: string;
}
interface Contract {
  operations: Record<string, { input: string; auth: 'sigv4' | 'none' }>;
  shapes: Record<string, Shape>;
}

export const COGNITO_CONTRACT: Contract = {
  operations: {
    "CreateUserPool": {"input": "CreateUserPoolRequest", "auth": "sigv4"},
    "DescribeUserPool": {"input": "DescribeUserPoolRequest", "auth": "sigv4"},
    "ListUserPools": {"input": "ListUserPoolsRequest", "auth": "sigv4"},
    "DeleteUserPool": {"input": "DeleteUserPoolRequest", "auth": "sigv4"},
    "CreateUserPoolDomain": {"input": "CreateUserPoolDomainRequest", "auth": "sigv4"},
    "DescribeUserPoolDomain": {"input": "DescribeUserPoolDomainRequest", "auth": "sigv4"},
    "DeleteUserPoolDomain": {"input": "DeleteUserPoolDomainRequest", "auth": "sigv4"},
    "CreateUserPoolClient": {"input": "CreateUserPoolClientRequest", "auth": "sigv4"},
    "DescribeUserPoolClient": {"input": "DescribeUserPoolClientRequest", "auth": "sigv4"},
    "UpdateUserPoolClient": {"input": "UpdateUserPoolClientRequest", "auth": "sigv4"},
    "DeleteUserPoolClient": {"input": "DeleteUserPoolClientRequest", "auth": "sigv4"},
    "ListUserPoolClients": {"input": "ListUserPoolClientsRequest", "auth": "sigv4"},
    "CreateResourceServer": {"input": "CreateResourceServerRequest", "auth": "sigv4"},
    "GetGroup": {"input": "GetGroupRequest", "auth": "sigv4"},
    "CreateGroup": {"input": "CreateGroupRequest", "auth": "sigv4"},
    "DeleteGroup": {"input": "DeleteGroupRequest", "auth": "sigv4"},
    "AdminAddUserToGroup": {"input": "AdminAddUserToGroupRequest", "auth": "sigv4"},
    "DescribeResourceServer": {"input": "DescribeResourceServerRequest", "auth": "sigv4"},
    "DeleteResourceServer": {"input": "DeleteResourceServerRequest", "auth": "sigv4"},
    "ListResourceServers": {"input": "ListResourceServersRequest", "auth": "sigv4"},
    "RevokeToken": {"input": "RevokeTokenRequest", "auth": "none"},
    "CreateManagedLoginBranding": {"input": "CreateManagedLoginBrandingRequest", "auth": "sigv4"},
    "DeleteManagedLoginBranding": {"input": "DeleteManagedLoginBrandingRequest", "auth": "sigv4"},
  },
  shapes: {
    "AccessTokenValidityType": {"type": "integer", "min": 1, "max": 86400},
    "AccountRecoverySettingType": {"type": "structure", "members": {"RecoveryMechanisms": "RecoveryMechanismsType"}},
    "AdminCreateUserConfigType": {"type": "structure", "members": {"AllowAdminCreateUserOnly": "BooleanType", "UnusedAccountValidityDays": "AdminCreateUserUnusedAccountValidityDaysType", "InviteMessageTemplate": "MessageTemplateType"}},
    "AdminCreateUserUnusedAccountValidityDaysType": {"type": "integer", "min": 0, "max": 365},
    "AdvancedSecurityAdditionalFlowsType": {"type": "structure", "members": {"CustomAuthMode": "AdvancedSecurityEnabledModeType"}},
    "AdvancedSecurityEnabledModeType": {"type": "string", "enum": ["AUDIT", "ENFORCED"]},
    "AdvancedSecurityModeType": {"type": "string", "enum": ["OFF", "AUDIT", "ENFORCED"]},
    "AliasAttributeType": {"type": "string", "enum": ["phone_number", "email", "preferred_username"]},
    "AliasAttributesListType": {"type": "list", "member": "AliasAttributeType"},
    "AllowedFirstAuthFactorsListType": {"type": "list", "min": 1, "max": 4, "member": "AuthFactorType"},
    "AnalyticsConfigurationType": {"type": "structure", "members": {"ApplicationId": "HexStringType", "ApplicationArn": "ArnType", "RoleArn": "ArnType", "ExternalId": "StringType", "UserDataShared": "BooleanType"}},
    "ArnType": {"type": "string", "min": 20, "max": 2048, "pattern": "arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?"},
    "AssetBytesType": {"type": "blob", "max": 1000000},
    "AssetCategoryType": {"type": "string", "enum": ["FAVICON_ICO", "FAVICON_SVG", "EMAIL_GRAPHIC", "SMS_GRAPHIC", "AUTH_APP_GRAPHIC", "PASSWORD_GRAPHIC", "PASSKEY_GRAPHIC", "PAGE_HEADER_LOGO", "PAGE_HEADER_BACKGROUND", "PAGE_FOOTER_LOGO", "PAGE_FOOTER_BACKGROUND", "PAGE_BACKGROUND", "FORM_BACKGROUND", "FORM_LOGO", "IDP_BUTTON_ICON"]},
    "AssetExtensionType": {"type": "string", "enum": ["ICO", "JPEG", "PNG", "SVG", "WEBP"]},
    "AssetListType": {"type": "list", "min": 0, "max": 40, "member": "AssetType"},
    "AssetType": {"type": "structure", "required": ["Category", "ColorMode", "Extension"], "members": {"Category": "AssetCategoryType", "ColorMode": "ColorSchemeModeType", "Extension": "AssetExtensionType", "Bytes": "AssetBytesType", "ResourceId": "ResourceIdType"}},
    "AttributeDataType": {"type": "string", "enum": ["String", "Number", "DateTime", "Boolean"]},
    "AttributesRequireVerificationBeforeUpdateType": {"type": "list", "member": "VerifiedAttributeType"},
    "AuthFactorType": {"type": "string", "enum": ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]},
    "AuthSessionValidityType": {"type": "integer", "min": 3, "max": 15},
    "BooleanType": {"type": "boolean"},
    "CallbackURLsListType": {"type": "list", "min": 0, "max": 100, "member": "RedirectUrlType"},
    "ClientIdType": {"type": "string", "min": 1, "max": 128, "pattern": "[\\w+]+"},
    "ClientNameType": {"type": "string", "min": 1, "max": 128, "pattern": "[\\w\\s+=,.@-]+"},
    "ClientPermissionListType": {"type": "list", "member": "ClientPermissionType"},
    "ClientPermissionType": {"type": "string", "min": 1, "max": 2048},
    "ClientSecretType": {"type": "string", "min": 24, "max": 64, "pattern": "[\\w+]+"},
    "ColorSchemeModeType": {"type": "string", "enum": ["LIGHT", "DARK", "DYNAMIC"]},
    "CreateManagedLoginBrandingRequest": {"type": "structure", "required": ["UserPoolId", "ClientId"], "members": {"UserPoolId": "UserPoolIdType", "ClientId": "ClientIdType", "UseCognitoProvidedValues": "BooleanType", "Settings": "Document", "Assets": "AssetListType"}},
    "CreateResourceServerRequest": {"type": "structure", "required": ["UserPoolId", "Identifier", "Name"], "members": {"UserPoolId": "UserPoolIdType", "Identifier": "ResourceServerIdentifierType", "Name": "ResourceServerNameType", "Scopes": "ResourceServerScopeListType"}},
    "CreateUserPoolClientRequest": {"type": "structure", "required": ["UserPoolId", "ClientName"], "members": {"UserPoolId": "UserPoolIdType", "ClientName": "ClientNameType", "GenerateSecret": "GenerateSecret", "ClientSecret": "ClientSecretType", "RefreshTokenValidity": "RefreshTokenValidityType", "AccessTokenValidity": "AccessTokenValidityType", "IdTokenValidity": "IdTokenValidityType", "TokenValidityUnits": "TokenValidityUnitsType", "ReadAttributes": "ClientPermissionListType", "WriteAttributes": "ClientPermissionListType", "ExplicitAuthFlows": "ExplicitAuthFlowsListType", "SupportedIdentityProviders": "SupportedIdentityProvidersListType", "CallbackURLs": "CallbackURLsListType", "LogoutURLs": "LogoutURLsListType", "DefaultRedirectURI": "RedirectUrlType", "AllowedOAuthFlows": "OAuthFlowsType", "AllowedOAuthScopes": "ScopeListType", "AllowedOAuthFlowsUserPoolClient": "BooleanType", "AnalyticsConfiguration": "AnalyticsConfigurationType", "PreventUserExistenceErrors": "PreventUserExistenceErrorTypes", "EnableTokenRevocation": "WrappedBooleanType", "EnablePropagateAdditionalUserContextData": "WrappedBooleanType", "AuthSessionValidity": "AuthSessionValidityType", "RefreshTokenRotation": "RefreshTokenRotationType"}},
    "UpdateUserPoolClientRequest": {"type": "structure", "required": ["UserPoolId", "ClientId"], "members": {"UserPoolId": "UserPoolIdType", "ClientId": "ClientIdType", "ClientName": "ClientNameType", "RefreshTokenValidity": "RefreshTokenValidityType", "AccessTokenValidity": "AccessTokenValidityType", "IdTokenValidity": "IdTokenValidityType", "TokenValidityUnits": "TokenValidityUnitsType", "ReadAttributes": "ClientPermissionListType", "WriteAttributes": "ClientPermissionListType", "ExplicitAuthFlows": "ExplicitAuthFlowsListType", "SupportedIdentityProviders": "SupportedIdentityProvidersListType", "CallbackURLs": "CallbackURLsListType", "LogoutURLs": "LogoutURLsListType", "DefaultRedirectURI": "RedirectUrlType", "AllowedOAuthFlows": "OAuthFlowsType", "AllowedOAuthScopes": "ScopeListType", "AllowedOAuthFlowsUserPoolClient": "BooleanType", "AnalyticsConfiguration": "AnalyticsConfigurationType", "PreventUserExistenceErrors": "PreventUserExistenceErrorTypes", "EnableTokenRevocation": "WrappedBooleanType", "EnablePropagateAdditionalUserContextData": "WrappedBooleanType", "AuthSessionValidity": "AuthSessionValidityType", "RefreshTokenRotation": "RefreshTokenRotationType"}},
    "CreateUserPoolDomainRequest": {"type": "structure", "required": ["Domain", "UserPoolId"], "members": {"Domain": "DomainType", "UserPoolId": "UserPoolIdType", "ManagedLoginVersion": "WrappedIntegerType", "CustomDomainConfig": "CustomDomainConfigType"}},
    "CreateUserPoolRequest": {"type": "structure", "required": ["PoolName"], "members": {"PoolName": "UserPoolNameType", "Policies": "UserPoolPolicyType", "DeletionProtection": "DeletionProtectionType", "LambdaConfig": "LambdaConfigType", "AutoVerifiedAttributes": "VerifiedAttributesListType", "AliasAttributes": "AliasAttributesListType", "UsernameAttributes": "UsernameAttributesListType", "SmsVerificationMessage": "SmsVerificationMessageType", "EmailVerificationMessage": "EmailVerificationMessageType", "EmailVerificationSubject": "EmailVerificationSubjectType", "VerificationMessageTemplate": "VerificationMessageTemplateType", "SmsAuthenticationMessage": "SmsVerificationMessageType", "MfaConfiguration": "UserPoolMfaType", "UserAttributeUpdateSettings": "UserAttributeUpdateSettingsType", "DeviceConfiguration": "DeviceConfigurationType", "EmailConfiguration": "EmailConfigurationType", "SmsConfiguration": "SmsConfigurationType", "UserPoolTags": "UserPoolTagsType", "AdminCreateUserConfig": "AdminCreateUserConfigType", "Schema": "SchemaAttributesListType", "UserPoolAddOns": "UserPoolAddOnsType", "UsernameConfiguration": "UsernameConfigurationType", "AccountRecoverySetting": "AccountRecoverySettingType", "UserPoolTier": "UserPoolTierType"}},
    "CustomAttributeNameType": {"type": "string", "min": 1, "max": 20, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"},
    "CustomDomainConfigType": {"type": "structure", "required": ["CertificateArn"], "members": {"CertificateArn": "ArnType"}},
    "CustomEmailLambdaVersionConfigType": {"type": "structure", "required": ["LambdaVersion", "LambdaArn"], "members": {"LambdaVersion": "CustomEmailSenderLambdaVersionType", "LambdaArn": "ArnType"}},
    "CustomEmailSenderLambdaVersionType": {"type": "string", "enum": ["V1_0"]},
    "CustomSMSLambdaVersionConfigType": {"type": "structure", "required": ["LambdaVersion", "LambdaArn"], "members": {"LambdaVersion": "CustomSMSSenderLambdaVersionType", "LambdaArn": "ArnType"}},
    "CustomSMSSenderLambdaVersionType": {"type": "string", "enum": ["V1_0"]},
    "DefaultEmailOptionType": {"type": "string", "enum": ["CONFIRM_WITH_LINK", "CONFIRM_WITH_CODE"]},
    "DeleteManagedLoginBrandingRequest": {"type": "structure", "required": ["ManagedLoginBrandingId", "UserPoolId"], "members": {"ManagedLoginBrandingId": "ManagedLoginBrandingIdType", "UserPoolId": "UserPoolIdType"}},
    "GroupNameType": {"type": "string", "min": 1, "max": 128, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"},
    "GroupDescriptionType": {"type": "string", "max": 2048},
    "PrecedenceType": {"type": "integer", "min": 0},
    "GetGroupRequest": {"type": "structure", "required": ["GroupName", "UserPoolId"], "members": {"GroupName": "GroupNameType", "UserPoolId": "UserPoolIdType"}},
    "CreateGroupRequest": {"type": "structure", "required": ["GroupName", "UserPoolId"], "members": {"GroupName": "GroupNameType", "UserPoolId": "UserPoolIdType", "Description": "GroupDescriptionType", "RoleArn": "ArnType", "Precedence": "PrecedenceType"}},
    "DeleteGroupRequest": {"type": "structure", "required": ["GroupName", "UserPoolId"], "members": {"GroupName": "GroupNameType", "UserPoolId": "UserPoolIdType"}},
    "AdminAddUserToGroupRequest": {"type": "structure", "required": ["UserPoolId", "Username", "GroupName"], "members": {"UserPoolId": "UserPoolIdType", "Username": "GroupNameType", "GroupName": "GroupNameType"}},
    "DeleteResourceServerRequest": {"type": "structure", "required": ["UserPoolId", "Identifier"], "members": {"UserPoolId": "UserPoolIdType", "Identifier": "ResourceServerIdentifierType"}},
    "DeleteUserPoolClientRequest": {"type": "structure", "required": ["UserPoolId", "ClientId"], "members": {"UserPoolId": "UserPoolIdType", "ClientId": "ClientIdType"}},
    "DeleteUserPoolDomainRequest": {"type": "structure", "required": ["Domain", "UserPoolId"], "members": {"Domain": "DomainType", "UserPoolId": "UserPoolIdType"}},
    "DeleteUserPoolRequest": {"type": "structure", "required": ["UserPoolId"], "members": {"UserPoolId": "UserPoolIdType"}},
    "DeletionProtectionType": {"type": "string", "enum": ["ACTIVE", "INACTIVE"]},
    "DescribeResourceServerRequest": {"type": "structure", "required": ["UserPoolId", "Identifier"], "members": {"UserPoolId": "UserPoolIdType", "Identifier": "ResourceServerIdentifierType"}},
    "DescribeUserPoolClientRequest": {"type": "structure", "required": ["UserPoolId", "ClientId"], "members": {"UserPoolId": "UserPoolIdType", "ClientId": "ClientIdType"}},
    "DescribeUserPoolDomainRequest": {"type": "structure", "required": ["Domain"], "members": {"Domain": "DomainType"}},
    "DescribeUserPoolRequest": {"type": "structure", "required": ["UserPoolId"], "members": {"UserPoolId": "UserPoolIdType"}},
    "DeviceConfigurationType": {"type": "structure", "members": {"ChallengeRequiredOnNewDevice": "BooleanType", "DeviceOnlyRememberedOnUserPrompt": "BooleanType"}},
    "Document": {"type": "structure", "members": {}},
    "DomainType": {"type": "string", "min": 1, "max": 63, "pattern": "^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$"},
    "EmailAddressType": {"type": "string", "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+@[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"},
    "EmailConfigurationType": {"type": "structure", "members": {"SourceArn": "ArnType", "ReplyToEmailAddress": "EmailAddressType", "EmailSendingAccount": "EmailSendingAccountType", "From": "StringType", "ConfigurationSet": "SESConfigurationSet"}},
    "EmailInviteMessageType": {"type": "string", "min": 6, "max": 20000, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*"},
    "EmailSendingAccountType": {"type": "string", "enum": ["COGNITO_DEFAULT", "DEVELOPER"]},
    "EmailVerificationMessageByLinkType": {"type": "string", "min": 6, "max": 20000, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*\\{##[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*##\\}[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*"},
    "EmailVerificationMessageType": {"type": "string", "min": 6, "max": 20000, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*\\{####\\}[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*"},
    "EmailVerificationSubjectByLinkType": {"type": "string", "min": 1, "max": 140, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s]+"},
    "EmailVerificationSubjectType": {"type": "string", "min": 1, "max": 140, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s]+"},
    "ExplicitAuthFlowsListType": {"type": "list", "member": "ExplicitAuthFlowsType"},
    "ExplicitAuthFlowsType": {"type": "string", "enum": ["ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_AUTH"]},
    "FeatureType": {"type": "string", "enum": ["ENABLED", "DISABLED"]},
    "GenerateSecret": {"type": "boolean"},
    "HexStringType": {"type": "string", "pattern": "^[0-9a-fA-F]+$"},
    "IdTokenValidityType": {"type": "integer", "min": 1, "max": 86400},
    "InboundFederationLambdaType": {"type": "structure", "required": ["LambdaVersion", "LambdaArn"], "members": {"LambdaVersion": "InboundFederationLambdaVersionType", "LambdaArn": "ArnType"}},
    "InboundFederationLambdaVersionType": {"type": "string", "enum": ["V1_0"]},
    "LambdaConfigType": {"type": "structure", "members": {"PreSignUp": "ArnType", "CustomMessage": "ArnType", "PostConfirmation": "ArnType", "PreAuthentication": "ArnType", "PostAuthentication": "ArnType", "DefineAuthChallenge": "ArnType", "CreateAuthChallenge": "ArnType", "VerifyAuthChallengeResponse": "ArnType", "PreTokenGeneration": "ArnType", "UserMigration": "ArnType", "PreTokenGenerationConfig": "PreTokenGenerationVersionConfigType", "CustomSMSSender": "CustomSMSLambdaVersionConfigType", "CustomEmailSender": "CustomEmailLambdaVersionConfigType", "KMSKeyID": "ArnType", "InboundFederation": "InboundFederationLambdaType"}},
    "ListResourceServersLimitType": {"type": "integer", "min": 1, "max": 50},
    "ListResourceServersRequest": {"type": "structure", "required": ["UserPoolId"], "members": {"UserPoolId": "UserPoolIdType", "MaxResults": "ListResourceServersLimitType", "NextToken": "PaginationKeyType"}},
    "ListUserPoolClientsRequest": {"type": "structure", "required": ["UserPoolId"], "members": {"UserPoolId": "UserPoolIdType", "MaxResults": "QueryLimit", "NextToken": "PaginationKey"}},
    "ListUserPoolsRequest": {"type": "structure", "required": ["MaxResults"], "members": {"NextToken": "PaginationKeyType", "MaxResults": "PoolQueryLimitType"}},
    "LogoutURLsListType": {"type": "list", "min": 0, "max": 100, "member": "RedirectUrlType"},
    "ManagedLoginBrandingIdType": {"type": "string", "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[4][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"},
    "MessageTemplateType": {"type": "structure", "members": {"SMSMessage": "SmsInviteMessageType", "EmailMessage": "EmailInviteMessageType", "EmailSubject": "EmailVerificationSubjectType"}},
    "NumberAttributeConstraintsType": {"type": "structure", "members": {"MinValue": "StringType", "MaxValue": "StringType"}},
    "OAuthFlowType": {"type": "string", "enum": ["code", "implicit", "client_credentials"]},
    "OAuthFlowsType": {"type": "list", "min": 0, "max": 3, "member": "OAuthFlowType"},
    "PaginationKey": {"type": "string", "min": 1, "max": 131072, "pattern": "[\\S]+"},
    "PaginationKeyType": {"type": "string", "min": 1, "pattern": "[\\S]+"},
    "PasswordHistorySizeType": {"type": "integer", "min": 0, "max": 24},
    "PasswordPolicyMinLengthType": {"type": "integer", "min": 6, "max": 99},
    "PasswordPolicyType": {"type": "structure", "members": {"MinimumLength": "PasswordPolicyMinLengthType", "RequireUppercase": "BooleanType", "RequireLowercase": "BooleanType", "RequireNumbers": "BooleanType", "RequireSymbols": "BooleanType", "PasswordHistorySize": "PasswordHistorySizeType", "TemporaryPasswordValidityDays": "TemporaryPasswordValidityDaysType"}},
    "PoolQueryLimitType": {"type": "integer", "min": 1, "max": 60},
    "PreTokenGenerationLambdaVersionType": {"type": "string", "enum": ["V1_0", "V2_0", "V3_0"]},
    "PreTokenGenerationVersionConfigType": {"type": "structure", "required": ["LambdaVersion", "LambdaArn"], "members": {"LambdaVersion": "PreTokenGenerationLambdaVersionType", "LambdaArn": "ArnType"}},
    "PreventUserExistenceErrorTypes": {"type": "string", "enum": ["LEGACY", "ENABLED"]},
    "PriorityType": {"type": "integer", "min": 1, "max": 2},
    "ProviderNameType": {"type": "string", "min": 1, "max": 32, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\p{Z}]+"},
    "QueryLimit": {"type": "integer", "min": 1, "max": 60},
    "RecoveryMechanismsType": {"type": "list", "min": 1, "max": 2, "member": "RecoveryOptionType"},
    "RecoveryOptionNameType": {"type": "string", "enum": ["verified_email", "verified_phone_number", "admin_only"]},
    "RecoveryOptionType": {"type": "structure", "required": ["Priority", "Name"], "members": {"Priority": "PriorityType", "Name": "RecoveryOptionNameType"}},
    "RedirectUrlType": {"type": "string", "min": 1, "max": 1024, "pattern": "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"},
    "RefreshTokenRotationType": {"type": "structure", "required": ["Feature"], "members": {"Feature": "FeatureType", "RetryGracePeriodSeconds": "RetryGracePeriodSecondsType"}},
    "RefreshTokenValidityType": {"type": "integer", "min": 0, "max": 315360000},
    "RegionCodeType": {"type": "string", "min": 5, "max": 32},
    "ResourceIdType": {"type": "string", "min": 1, "max": 40, "pattern": "^[\\w\\- ]+$"},
    "ResourceServerIdentifierType": {"type": "string", "min": 1, "max": 256, "pattern": "[\\x21\\x23-\\x5B\\x5D-\\x7E]+"},
    "ResourceServerNameType": {"type": "string", "min": 1, "max": 256, "pattern": "[\\w\\s+=,.@-]+"},
    "ResourceServerScopeDescriptionType": {"type": "string", "min": 1, "max": 256},
    "ResourceServerScopeListType": {"type": "list", "max": 100, "member": "ResourceServerScopeType"},
    "ResourceServerScopeNameType": {"type": "string", "min": 1, "max": 256, "pattern": "[\\x21\\x23-\\x2E\\x30-\\x5B\\x5D-\\x7E]+"},
    "ResourceServerScopeType": {"type": "structure", "required": ["ScopeName", "ScopeDescription"], "members": {"ScopeName": "ResourceServerScopeNameType", "ScopeDescription": "ResourceServerScopeDescriptionType"}},
    "RetryGracePeriodSecondsType": {"type": "integer", "min": 0, "max": 60},
    "RevokeTokenRequest": {"type": "structure", "required": ["Token", "ClientId"], "members": {"Token": "TokenModelType", "ClientId": "ClientIdType", "ClientSecret": "ClientSecretType"}},
    "SESConfigurationSet": {"type": "string", "min": 1, "max": 64, "pattern": "^[a-zA-Z0-9_-]+$"},
    "SchemaAttributeType": {"type": "structure", "members": {"Name": "CustomAttributeNameType", "AttributeDataType": "AttributeDataType", "DeveloperOnlyAttribute": "BooleanType", "Mutable": "BooleanType", "Required": "BooleanType", "NumberAttributeConstraints": "NumberAttributeConstraintsType", "StringAttributeConstraints": "StringAttributeConstraintsType"}},
    "SchemaAttributesListType": {"type": "list", "min": 1, "max": 50, "member": "SchemaAttributeType"},
    "ScopeListType": {"type": "list", "max": 50, "member": "ScopeType"},
    "ScopeType": {"type": "string", "min": 1, "max": 256, "pattern": "[\\x21\\x23-\\x5B\\x5D-\\x7E]+"},
    "SignInPolicyType": {"type": "structure", "members": {"AllowedFirstAuthFactors": "AllowedFirstAuthFactorsListType"}},
    "SmsConfigurationType": {"type": "structure", "required": ["SnsCallerArn"], "members": {"SnsCallerArn": "ArnType", "ExternalId": "StringType", "SnsRegion": "RegionCodeType"}},
    "SmsInviteMessageType": {"type": "string", "min": 6, "max": 140, "pattern": "(?s).*"},
    "SmsVerificationMessageType": {"type": "string", "min": 6, "max": 140, "pattern": ".*\\{####\\}.*"},
    "StringAttributeConstraintsType": {"type": "structure", "members": {"MinLength": "StringType", "MaxLength": "StringType"}},
    "StringType": {"type": "string", "min": 0, "max": 131072},
    "SupportedIdentityProvidersListType": {"type": "list", "member": "ProviderNameType"},
    "TagKeysType": {"type": "string", "min": 1, "max": 128},
    "TagValueType": {"type": "string", "min": 0, "max": 256},
    "TemporaryPasswordValidityDaysType": {"type": "integer", "min": 0, "max": 365},
    "TimeUnitsType": {"type": "string", "enum": ["seconds", "minutes", "hours", "days"]},
    "TokenModelType": {"type": "string", "pattern": "[A-Za-z0-9-_=.]+"},
    "TokenValidityUnitsType": {"type": "structure", "members": {"AccessToken": "TimeUnitsType", "IdToken": "TimeUnitsType", "RefreshToken": "TimeUnitsType"}},
    "UserAttributeUpdateSettingsType": {"type": "structure", "members": {"AttributesRequireVerificationBeforeUpdate": "AttributesRequireVerificationBeforeUpdateType"}},
    "UserPoolAddOnsType": {"type": "structure", "required": ["AdvancedSecurityMode"], "members": {"AdvancedSecurityMode": "AdvancedSecurityModeType", "AdvancedSecurityAdditionalFlows": "AdvancedSecurityAdditionalFlowsType"}},
    "UserPoolIdType": {"type": "string", "min": 1, "max": 55, "pattern": "[\\w-]+_[0-9a-zA-Z]+"},
    "UserPoolMfaType": {"type": "string", "enum": ["OFF", "ON", "OPTIONAL"]},
    "UserPoolNameType": {"type": "string", "min": 1, "max": 128, "pattern": "[\\w\\s+=,.@-]+"},
    "UserPoolPolicyType": {"type": "structure", "members": {"PasswordPolicy": "PasswordPolicyType", "SignInPolicy": "SignInPolicyType"}},
    "UserPoolTagsType": {"type": "map", "key": "TagKeysType", "value": "TagValueType"},
    "UserPoolTierType": {"type": "string", "enum": ["LITE", "ESSENTIALS", "PLUS"]},
    "UsernameAttributeType": {"type": "string", "enum": ["phone_number", "email"]},
    "UsernameAttributesListType": {"type": "list", "member": "UsernameAttributeType"},
    "UsernameConfigurationType": {"type": "structure", "required": ["CaseSensitive"], "members": {"CaseSensitive": "WrappedBooleanType"}},
    "VerificationMessageTemplateType": {"type": "structure", "members": {"SmsMessage": "SmsVerificationMessageType", "EmailMessage": "EmailVerificationMessageType", "EmailSubject": "EmailVerificationSubjectType", "EmailMessageByLink": "EmailVerificationMessageByLinkType", "EmailSubjectByLink": "EmailVerificationSubjectByLinkType", "DefaultEmailOption": "DefaultEmailOptionType"}},
    "VerifiedAttributeType": {"type": "string", "enum": ["phone_number", "email"]},
    "VerifiedAttributesListType": {"type": "list", "member": "VerifiedAttributeType"},
    "WrappedBooleanType": {"type": "boolean"},
    "WrappedIntegerType": {"type": "integer"},
  },
};

const patterns = new Map<string, RegExp>();
function anchored(p: string): RegExp {
  let re = patterns.get(p);
  if (!re) {
    re = new RegExp(`^(?:${p.replace(/^\(\?s\)/, '')})$`, 'us');
    patterns.set(p, re);
  }
  return re;
}

const lc = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** AWS-style constraint messages for a value against a shape; [] when it conforms. */
export function validateShape(shapeName: string, value: unknown, path: string, problems: string[] = []): string[] {
  const s = COGNITO_CONTRACT.shapes[shapeName];
  if (!s) {
    problems.push(`${path}: no shape ${shapeName} in the contract`);
    return problems;
  }
  const bad = (what: string) => problems.push(`Value ${JSON.stringify(value)?.slice(0, 80)} at '${path}' failed to satisfy constraint: ${what}`);
  switch (s.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('Member must be a structure'), problems;
      const obj = value as Record<string, unknown>;
      for (const r of s.required ?? []) if (obj[r] === undefined || obj[r] === null) problems.push(`Value null at '${path ? `${path}.` : ''}${lc(r)}' failed to satisfy constraint: Member must not be null`);
      for (const [k, v] of Object.entries(obj)) {
        const m = s.members?.[k];
        if (!m) {
          problems.push(`Unknown member '${k}' at '${path || '(input)'}' (not in ${shapeName})`);
          continue;
        }
        if (v !== undefined && v !== null) validateShape(m, v, path ? `${path}.${lc(k)}` : lc(k), problems);
      }
      return problems;
    }
    case 'list': {
      if (!Array.isArray(value)) return bad('Member must be a list'), problems;
      if (s.min !== undefined && value.length < s.min) bad(`Member must have length greater than or equal to ${s.min}`);
      if (s.max !== undefined && value.length > s.max) bad(`Member must have length less than or equal to ${s.max}`);
      value.forEach((v, i) => validateShape(s.member!, v, `${path}.${i + 1}.member`, problems));
      return problems;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('Member must be a map'), problems;
      const entries = Object.entries(value as Record<string, unknown>);
      if (s.min !== undefined && entries.length < s.min) bad(`Member must have length greater than or equal to ${s.min}`);
      if (s.max !== undefined && entries.length > s.max) bad(`Member must have length less than or equal to ${s.max}`);
      for (const [k, v] of entries) {
        validateShape(s.key!, k, `${path}.key`, problems);
        validateShape(s.value!, v, `${path}.${k}`, problems);
      }
      return problems;
    }
    case 'string': {
      if (typeof value !== 'string') return bad('Member must be a string'), problems;
      if (s.min !== undefined && value.length < s.min) bad(`Member must have length greater than or equal to ${s.min}`);
      if (s.max !== undefined && value.length > s.max) bad(`Member must have length less than or equal to ${s.max}`);
      if (s.pattern && !anchored(s.pattern).test(value)) bad(`Member must satisfy regular expression pattern: ${s.pattern}`);
      if (s.enum && !s.enum.includes(value)) bad(`Member must satisfy enum value set: [${s.enum.join(', ')}]`);
      return problems;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad('Member must be an integer'), problems;
      if (s.min !== undefined && value < s.min) bad(`Member must have value greater than or equal to ${s.min}`);
      if (s.max !== undefined && value > s.max) bad(`Member must have value less than or equal to ${s.max}`);
      return problems;
    }
    case 'boolean':
      if (typeof value !== 'boolean') bad('Member must be a boolean');
      return problems;
    case 'timestamp':
      if (typeof value !== 'number' && typeof value !== 'string') bad('Member must be a timestamp');
      return problems;
    case 'blob':
      if (typeof value !== 'string') bad('Member must be base64 text');
      return problems;
    default:
      return problems; // document: any JSON
  }
}

// ---------------------------------------------------------------------------------------------------------
// Service rules

export const BUILTIN_SCOPES = ['phone', 'email', 'openid', 'profile', 'aws.cognito.signin.user.admin'];
const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
/** Default units when TokenValidityUnits leaves one out (CreateUserPoolClient docs). */
const DEFAULT_UNITS = { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' } as const;

/**
 * UpdateUserPoolClient is a full replace at AWS: "If you don't provide a value for an attribute, Amazon Cognito sets
 * it to its default value" (API reference). moto merges the update into the client instead, so the stand-in sends
 * moto, for every writable member the request leaves out, what AWS puts there: the value a client created without
 * it describes with, or null (cleared). An update that forgets a setting thus loses it here as it would at AWS.
 */
const UPDATE_CLIENT_RESETS: Record<string, unknown> = {
  ClientName: null,
  RefreshTokenValidity: 30,
  AccessTokenValidity: 60,
  IdTokenValidity: 60,
  TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
  ReadAttributes: null,
  WriteAttributes: null,
  ExplicitAuthFlows: null,
  SupportedIdentityProviders: null,
  CallbackURLs: null,
  LogoutURLs: null,
  DefaultRedirectURI: null,
  AllowedOAuthFlows: null,
  AllowedOAuthScopes: null,
  AllowedOAuthFlowsUserPoolClient: false,
  AnalyticsConfiguration: null,
  PreventUserExistenceErrors: 'LEGACY',
  EnableTokenRevocation: true,
  EnablePropagateAdditionalUserContextData: false,
  AuthSessionValidity: 3,
  RefreshTokenRotation: null,
};

class AwsError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

interface ClientState {
  poolId: string;
  enableTokenRevocation: boolean;
  hasSecret: boolean;
  config: Record<string, unknown>;
}
interface PoolState {
  domains: Set<string>;
  deletionProtection: boolean;
  resourceServers: Map<string, string[]>;
}

export interface RecordedCall {
  op: string;
  body: Record<string, unknown>;
  /** HTTP status the SDK got. */
  status: number;
  /** Error type when refused or failed. */
  error?: string;
}

export interface CognitoStandin {
  /** Point the SDK here (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER). */
  endpoint: string;
  calls: RecordedCall[];
  /** Requests refused by the contract or the service rules (never forwarded to moto). */
  refused: Array<{ op: string; type: string; message: string }>;
  /** Tokens revoked through RevokeToken, with the client that revoked them. */
  revoked: Array<{ token: string; clientId: string }>;
  /** Managed-login branding styles that exist (id -> pool and client). */
  brandings: Map<string, { poolId: string; clientId: string }>;
  /** Answer the next call of `op` with this AWS error instead of forwarding it. */
  failNext(op: string, type: string, message: string, status?: number, headers?: Record<string, string>): void;
  /** Forget recorded calls (state stays). */
  clearLog(): void;
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1:0, forwarding what passes to moto at `motoEndpoint`. */
export async function startCognitoStandin(motoEndpoint: string): Promise<CognitoStandin> {
  const pools = new Map<string, PoolState>();
  const domains = new Map<string, { poolId: string; version: number }>();
  const clients = new Map<string, ClientState>();
  const brandings = new Map<string, { poolId: string; clientId: string }>();
  const calls: RecordedCall[] = [];
  const refused: CognitoStandin['refused'] = [];
  const revoked: CognitoStandin['revoked'] = [];
  const faults: Array<{ op: string; type: string; message: string; status: number; headers?: Record<string, string> }> = [];

  const pool = (id: string): PoolState => {
    let p = pools.get(id);
    if (!p) {
      p = { domains: new Set(), deletionProtection: false, resourceServers: new Map() };
      pools.set(id, p);
    }
    return p;
  };

  const forward = (req: IncomingMessage, body: string): Promise<{ status: number; headers: Record<string, string>; text: string }> =>
    new Promise((resolve, reject) => {
      const target = new URL(motoEndpoint);
      const headers = { ...req.headers };
      delete headers.connection;
      delete headers['content-length'];
      // A fresh connection per request: moto's dev server may close an idle keep-alive socket under us.
      const r = httpRequest({ host: target.hostname, port: target.port, method: 'POST', path: '/', agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && !['connection', 'content-length', 'transfer-encoding'].includes(k)) h[k] = v;
          resolve({ status: res.statusCode ?? 500, headers: h, text });
        });
      });
      r.on('error', reject);
      r.end(body);
    });

  /** The rules moto does not enforce; throws AwsError when AWS would refuse. */
  const checkRules = (op: string, b: Record<string, any>) => {
    switch (op) {
      case 'CreateUserPoolClient':
      case 'UpdateUserPoolClient': {
        const units = { ...DEFAULT_UNITS, ...(b.TokenValidityUnits ?? {}) } as Record<string, string>;
        const range = (field: string, unitKey: string, min: number, max: number, what: string) => {
          if (b[field] === undefined) return;
          const secs = b[field] * UNIT_SECONDS[units[unitKey]!]!;
          if (secs < min || secs > max) throw new AwsError('InvalidParameterException', `${what} must be between ${min / 60} minutes and ${max / 60} minutes (got ${b[field]} ${units[unitKey]}).`);
        };
        range('AccessTokenValidity', 'AccessToken', 300, 86_400, 'Access token validity');
        range('IdTokenValidity', 'IdToken', 300, 86_400, 'Id token validity');
        range('RefreshTokenValidity', 'RefreshToken', 3_600, 315_360_000, 'Refresh token validity');
        for (const url of [...(b.CallbackURLs ?? []), ...(b.LogoutURLs ?? [])] as string[]) {
          let u: URL;
          try {
            u = new URL(url);
          } catch {
            throw new AwsError('InvalidParameterException', `${url} is not a valid absolute URI.`);
          }
          if (u.hash || url.includes('#')) throw new AwsError('InvalidParameterException', `Redirect URI ${url} must not contain a fragment.`);
          if (u.protocol === 'http:' && u.hostname !== 'localhost') throw new AwsError('InvalidParameterException', `${url}: cannot use the HTTP protocol (only http://localhost is allowed for testing).`);
        }
        const flows = (b.AllowedOAuthFlows ?? []) as string[];
        const scopes = (b.AllowedOAuthScopes ?? []) as string[];
        if (b.AllowedOAuthFlowsUserPoolClient) {
          if (!flows.length) throw new AwsError('InvalidOAuthFlowException', 'AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true.');
          if (!scopes.length) throw new AwsError('InvalidParameterException', 'AllowedOAuthScopes must be set when AllowedOAuthFlowsUserPoolClient is true.');
          if (flows.includes('code') && !(b.CallbackURLs ?? []).length) throw new AwsError('InvalidParameterException', 'CallbackURLs must be set for the code flow.');
          if (flows.includes('client_credentials') && flows.length > 1) throw new AwsError('InvalidOAuthFlowException', 'client_credentials flow can not be selected with other flows.');
        }
        const rs = pools.get(b.UserPoolId)?.resourceServers ?? new Map<string, string[]>();
        for (const s of scopes) {
          if (BUILTIN_SCOPES.includes(s)) continue;
          const cut = s.lastIndexOf('/');
          const ok = cut > 0 && (rs.get(s.slice(0, cut)) ?? []).includes(s.slice(cut + 1));
          if (!ok) throw new AwsError('ScopeDoesNotExistException', `Invalid scope requested: ${s}`);
        }
        return;
      }
      case 'CreateUserPoolDomain': {
        const d = String(b.Domain);
        if (!b.CustomDomainConfig) {
          const reserved = ['aws', 'amazon', 'cognito'].find((w) => d.includes(w));
          if (reserved) throw new AwsError('InvalidParameterException', `Domain cannot contain reserved word: ${reserved}`);
          if ([...(pools.get(b.UserPoolId)?.domains ?? [])].some((x) => !x.includes('.'))) throw new AwsError('InvalidParameterException', 'User pool already has a domain configured.');
        }
        if (domains.has(d)) throw new AwsError('InvalidParameterException', 'Domain already associated with another user pool.');
        if (b.ManagedLoginVersion !== undefined && ![1, 2].includes(b.ManagedLoginVersion)) throw new AwsError('InvalidParameterException', 'ManagedLoginVersion must be 1 or 2.');
        return;
      }
      case 'DeleteUserPoolDomain': {
        const d = domains.get(String(b.Domain));
        if (d && d.poolId !== b.UserPoolId) throw new AwsError('InvalidParameterException', `Domain ${b.Domain} does not belong to user pool ${b.UserPoolId}.`);
        return;
      }
      case 'DeleteUserPool': {
        const p = pools.get(b.UserPoolId);
        if (p?.domains.size) throw new AwsError('InvalidParameterException', 'User pool cannot be deleted. It has a domain configured that should be deleted first.');
        if (p?.deletionProtection) throw new AwsError('InvalidParameterException', 'The user pool cannot be deleted because deletion protection is activated.');
        return;
      }
      default:
    }
  };

  /** Operations moto lacks (or reports partly), answered from the stand-in's own state; undefined = forward. */
  const answerLocally = (op: string, b: Record<string, any>): Record<string, unknown> | undefined => {
    switch (op) {
      case 'RevokeToken': {
        const c = clients.get(b.ClientId);
        if (!c) throw new AwsError('UnauthorizedException', 'Invalid client id.');
        if (c.hasSecret && !b.ClientSecret) throw new AwsError('UnauthorizedException', 'Client secret required.');
        if (!c.hasSecret && b.ClientSecret) throw new AwsError('UnauthorizedException', 'This client has no secret.');
        if (!c.enableTokenRevocation) throw new AwsError('UnsupportedOperationException', 'Token revocation is not enabled for this client.');
        const parts = String(b.Token).split('.');
        if (parts.length === 3) {
          let use: unknown;
          try {
            use = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()).token_use;
          } catch {
            /* not a JWT */
          }
          if (use === 'access' || use === 'id') throw new AwsError('UnsupportedTokenTypeException', 'Only refresh tokens can be revoked.');
        }
        revoked.push({ token: String(b.Token), clientId: String(b.ClientId) });
        return {};
      }
      case 'DeleteResourceServer': {
        const p = pools.get(b.UserPoolId);
        if (!p) throw new AwsError('ResourceNotFoundException', `User pool ${b.UserPoolId} does not exist.`);
        if (!p.resourceServers.delete(b.Identifier)) throw new AwsError('ResourceNotFoundException', `Resource server ${b.Identifier} does not exist.`);
        return {};
      }
      case 'DescribeResourceServer': {
        const p = pools.get(b.UserPoolId);
        if (p && !p.resourceServers.has(b.Identifier)) throw new AwsError('ResourceNotFoundException', `Resource server ${b.Identifier} does not exist.`);
        return undefined;
      }
      case 'CreateManagedLoginBranding': {
        const c = clients.get(b.ClientId);
        if (!c || c.poolId !== b.UserPoolId) throw new AwsError('ResourceNotFoundException', `Client ${b.ClientId} does not exist in ${b.UserPoolId}.`);
        if (b.UseCognitoProvidedValues && b.Settings) throw new AwsError('InvalidParameterException', 'UseCognitoProvidedValues and Settings are mutually exclusive.');
        if ([...brandings.values()].some((x) => x.clientId === b.ClientId)) throw new AwsError('ManagedLoginBrandingExistsException', 'A branding style already exists for this client.');
        const id = randomUUID();
        brandings.set(id, { poolId: b.UserPoolId, clientId: b.ClientId });
        return { ManagedLoginBranding: { ManagedLoginBrandingId: id, UserPoolId: b.UserPoolId, UseCognitoProvidedValues: Boolean(b.UseCognitoProvidedValues) } };
      }
      case 'DeleteManagedLoginBranding': {
        const x = brandings.get(b.ManagedLoginBrandingId);
        if (!x || x.poolId !== b.UserPoolId) throw new AwsError('ResourceNotFoundException', `Branding ${b.ManagedLoginBrandingId} does not exist.`);
        brandings.delete(b.ManagedLoginBrandingId);
        return {};
      }
      default:
        return undefined;
    }
  };

  /** Keep the stand-in's view of the state in step with what moto did. */
  const track = (op: string, b: Record<string, any>, out: Record<string, any>) => {
    switch (op) {
      case 'CreateUserPool': {
        const p = pool(out.UserPool.Id);
        p.deletionProtection = b.DeletionProtection === 'ACTIVE';
        return;
      }
      case 'DeleteUserPool':
        for (const [id, c] of clients) if (c.poolId === b.UserPoolId) clients.delete(id);
        pools.delete(b.UserPoolId);
        return;
      case 'CreateUserPoolDomain':
        domains.set(b.Domain, { poolId: b.UserPoolId, version: b.ManagedLoginVersion ?? 1 });
        pool(b.UserPoolId).domains.add(b.Domain);
        out.ManagedLoginVersion = b.ManagedLoginVersion ?? 1;
        return;
      case 'DeleteUserPoolDomain':
        domains.delete(b.Domain);
        pools.get(b.UserPoolId)?.domains.delete(b.Domain);
        return;
      case 'DescribeUserPoolDomain': {
        const d = domains.get(b.Domain);
        if (d && out.DomainDescription) out.DomainDescription.ManagedLoginVersion = d.version;
        return;
      }
      case 'CreateUserPoolClient':
        clients.set(out.UserPoolClient.ClientId, {
          poolId: b.UserPoolId,
          enableTokenRevocation: b.EnableTokenRevocation !== false,
          hasSecret: Boolean(b.GenerateSecret),
          config: b,
        });
        return;
      case 'UpdateUserPoolClient': {
        const c = clients.get(b.ClientId);
        if (c) {
          c.enableTokenRevocation = b.EnableTokenRevocation !== false;
          c.config = { ...c.config, ...UPDATE_CLIENT_RESETS, ...b };
        }
        return;
      }
      case 'DeleteUserPoolClient':
        clients.delete(b.ClientId);
        return;
      case 'CreateResourceServer':
        pool(b.UserPoolId).resourceServers.set(b.Identifier, ((b.Scopes ?? []) as Array<{ ScopeName: string }>).map((s) => s.ScopeName));
        return;
      case 'ListResourceServers': {
        const p = pools.get(b.UserPoolId);
        if (p) out.ResourceServers = (out.ResourceServers ?? []).filter((r: { Identifier: string }) => p.resourceServers.has(r.Identifier));
        return;
      }
      default:
    }
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), ...headers, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('AWSCognitoIdentityProviderService.') ? target.slice('AWSCognitoIdentityProviderService.'.length) : '';
    let body: Record<string, any> = {};
    const call: RecordedCall = { op: op || `(${req.method} ${req.url})`, body, status: 0 };
    calls.push(call);
    const fail = (e: AwsError, refusedByContract: boolean) => {
      call.status = e.status;
      call.error = e.type;
      if (refusedByContract) refused.push({ op: call.op, type: e.type, message: e.message });
      send(res, e.status, { __type: e.type, message: e.message }, { ...e.headers, 'x-amzn-errortype': e.type });
    };
    try {
      if (req.method !== 'POST' || (req.url ?? '/') !== '/') throw new AwsError('UnknownOperationException', `Cognito answers POST / only (got ${req.method} ${req.url}).`, 404);
      const spec = COGNITO_CONTRACT.operations[op];
      if (!spec) throw new AwsError('UnknownOperationException', `The stand-in does not model ${target || '(no X-Amz-Target)'}.`);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) throw new AwsError('SerializationException', `Content-Type must be application/x-amz-json-1.1 (got ${req.headers['content-type']}).`);
      if (spec.auth === 'sigv4' && !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/cognito-idp\/aws4_request,/.test(String(req.headers.authorization ?? ''))) {
        throw new AwsError('MissingAuthenticationTokenException', `${op} needs a SigV4 signature for cognito-idp.`, 403);
      }
      try {
        body = JSON.parse(raw || '{}') as Record<string, any>;
      } catch {
        throw new AwsError('SerializationException', 'The body is not JSON.');
      }
      call.body = body;
      const problems = validateShape(spec.input, body, '');
      if (problems.length) throw new AwsError('InvalidParameterException', `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`);
      checkRules(op, body);
    } catch (err) {
      if (err instanceof AwsError) return fail(err, true);
      throw err;
    }
    const fault = faults.findIndex((f) => f.op === op);
    if (fault !== -1) {
      const f = faults.splice(fault, 1)[0]!;
      return fail(new AwsError(f.type, f.message, f.status, f.headers), false);
    }
    try {
      const local = answerLocally(op, body);
      if (local) {
        call.status = 200;
        return send(res, 200, local);
      }
    } catch (err) {
      if (err instanceof AwsError) return fail(err, false);
      throw err;
    }
    const answer = await forward(req, op === 'UpdateUserPoolClient' ? JSON.stringify({ ...UPDATE_CLIENT_RESETS, ...body }) : raw);
    call.status = answer.status;
    if (answer.status !== 200) {
      try {
        call.error = String((JSON.parse(answer.text) as { __type?: string }).__type ?? answer.status);
      } catch {
        call.error = `HTTP ${answer.status}`;
      }
      res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.text) });
      return res.end(answer.text);
    }
    const out = JSON.parse(answer.text || '{}') as Record<string, any>;
    track(op, body, out);
    send(res, 200, out);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { __type: 'InternalErrorException', message: `stand-in: ${err.message}` });
      else res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    calls,
    refused,
    revoked,
    brandings,
    failNext(op, type, message, status = 400, headers) {
      faults.push({ op, type, message, status, ...(headers ? { headers } : {}) });
    },
    clearLog() {
      calls.length = 0;
      refused.length = 0;
    },
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}

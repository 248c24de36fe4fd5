/**
 * The IdP adapter interface. One folder per identity provider under providers/ implements it.
 * init uses create/describe, cleanup uses revoke/delete, verify reads the token profile to explain
 * mismatches. Everything an adapter needs from the outside comes in through AdapterContext.
 */
import type { AccessPolicy, GroupClaimProfile } from '../src/authorizer/access.js';
import type { CustomJwtAuthorizer } from '../src/authorizer/types.js';
import type { OptionSpec } from '../src/commands/types.js';
import type { Logger } from '../src/core/logger.js';
import type { Prompter } from '../src/core/prompts.js';

export type ProviderId = 'oidc' | 'okta' | 'entra' | 'cognito' | 'auth0';

/** Which claims carry what in this IdP's access tokens (FACTS section 4). */
export interface TokenProfile {
  provider: ProviderId;
  issuer: string;
  discoveryUrl: string;
  /** Claim holding the audience ('aud'), or null when the IdP puts none in access tokens (Cognito). */
  audienceClaim: string | null;
  /** Claim holding the OAuth client id: 'client_id' (RFC 9068, Cognito, sandbox), 'cid' (Okta), 'azp' (Entra v2, Auth0). */
  clientClaim: string;
  /** Claim holding granted scopes: 'scope' (space-separated string) or 'scp' (array in Okta, string in Entra). */
  scopeClaim: 'scope' | 'scp';
}

/** What the user asked for, normalised; the adapter turns it into a registered public client. */
export interface AppRequest {
  /** Display name of the app at the IdP. */
  name: string;
  /** Exactly the redirect URI(s) the MCP client uses, e.g. http://localhost:3334/oauth/callback */
  redirectUris: string[];
  scopes: string[];
  /** The gateway's resource URL (https://<gw>/mcp), when known. */
  resource?: string;
  lifetimes: { accessTokenSeconds: number; refreshTokenSeconds: number; idTokenSeconds: number };
}

/** What exists after create: everything cleanup needs to undo it, and nothing secret. */
export interface AppRecord {
  provider: ProviderId;
  clientId: string;
  issuer: string;
  discoveryUrl: string;
  /** Adapter-specific ids needed to delete the app and its extras (policy ids, domain, resource server...). */
  extras: Record<string, string>;
  /**
   * Secrets the adapter needs later to manage the app (e.g. the RFC 7592 registration access token).
   * The flow moves them out of the record into the setup's 0600 secrets file before journaling, and
   * puts them back before calling describeApp/deleteApp. Never printed.
   */
  secrets?: Record<string, string>;
}

export interface ClientRequirements {
  /** Scopes the MCP client must request. */
  scopes: string[];
  /** Extra mcp-remote flags (e.g. --disable-resource-parameter for Entra). */
  mcpRemoteArgs: string[];
  /** Resource parameter to send, if the IdP needs one different from the gateway URL. */
  resource?: string;
}

export interface AdapterContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Present during init; absent in cleanup/verify/status. Ask only when prompter.interactive. */
  prompter?: Prompter;
}

export interface RevokeResult {
  revoked: Array<'refresh_token' | 'access_token'>;
  /**
   * `unsupported`: the IdP offers no way to revoke this token (by design: cleanup reports it as kept until it
   * expires); otherwise the IdP was asked and refused or failed (cleanup reports the step as not done).
   */
  notRevoked: Array<{ what: string; why: string; unsupported?: boolean }>;
}

/**
 * How an IdP makes an access policy (issue 13: --allow-group, --require-scope, --require-claim) enforceable: which
 * claim carries group membership, and what init changes at the IdP so that claim (and the scopes) reach the access
 * token. Pure data, for the plan.
 */
export interface AccessSupport {
  /** The claim the group rule reads, and the value it carries for a group name. */
  groupClaim: GroupClaimProfile;
  /** The IdP-side changes init makes, in words, one per line (empty: nothing to change at the IdP). */
  idpChanges: string[];
  /** What the user should know (e.g. Cognito: users in no group carry no cognito:groups claim and are refused). */
  notes?: string[];
  /** Scopes the MCP client must request for the policy's --require-scope values (default: the values themselves). */
  clientScopes?: string[];
  /** allowedScopes as the gateway must see them in the token (default: the policy's scopes). */
  allowedScopes?: string[];
}

export interface IdpAdapter {
  readonly id: ProviderId;
  readonly displayName: string;
  /**
   * True when createApp needs the gateway's resource URL (AppRequest.resource), e.g. Auth0's API identifier.
   * init then creates a new gateway first with a deny-all authorizer, and sets the real rule after the app exists.
   */
  readonly requiresResource?: boolean;
  /** Issuer and claim shape, without contacting anything. */
  tokenProfile(app?: Pick<AppRecord, 'issuer' | 'clientId'>): TokenProfile;
  /** The authorizer the gateway should carry for this app. */
  recommendedAuthorizer(app: AppRecord, opts: { resource?: string }): CustomJwtAuthorizer;
  /** What the MCP client must send. */
  clientRequirements(app: AppRecord, opts: { resource?: string; scopes: string[] }): ClientRequirements;
  /** Check admin credentials and reachability before anything is created. */
  preflight(ctx: AdapterContext): Promise<void>;
  /** Refuse (UsageError naming the flag) lifetimes outside this IdP's documented ranges: init's preflight calls it. */
  checkLifetimes?(lifetimes: AppRequest['lifetimes']): void;
  createApp(ctx: AdapterContext, req: AppRequest): Promise<AppRecord>;
  /** Current state of the app at the IdP, or null when it is gone. */
  /**
   * Current state of the app at the IdP, or null when it is gone. `unverified` says why its existence could not
   * be checked (an IdP without RFC 7592 read). A CliError with code 'unmanageable' means this tool lost what it
   * needs to manage the app (e.g. the registration access token): status, init and cleanup each say so.
   */
  describeApp(ctx: AdapterContext, app: AppRecord): Promise<{ clientId: string; redirectUris: string[]; grantTypes: string[]; unverified?: string } | null>;
  /**
   * Replace the app's redirect URIs (a re-run of init with another --callback-port), keeping everything else.
   * Returns the record to journal (secrets included: RFC 7592 may rotate the registration access token).
   * Adapters without it make init register a new client instead, and say so in the plan.
   */
  updateRedirectUris?(ctx: AdapterContext, app: AppRecord, redirectUris: string[]): Promise<AppRecord>;
  /** Delete the app and its extras. Already gone counts as done (return 'gone'). `purge`: Entra's deleted-items purge. */
  deleteApp(ctx: AdapterContext, app: AppRecord, opts?: { purge?: boolean }): Promise<'deleted' | 'gone'>;
  revoke(ctx: AdapterContext, app: AppRecord, tokens: { refreshToken?: string; accessToken?: string }): Promise<RevokeResult>;
  /**
   * The access policy at this IdP (pure: no I/O). Throws a UsageError naming the flag when the IdP cannot enforce
   * it. Absent: the IdP needs nothing changed and groups travel in the `groups` claim (generic OIDC).
   */
  accessSupport?(policy: AccessPolicy, app?: Pick<AppRecord, 'clientId' | 'extras'>): AccessSupport;
  /** Preflight for the policy: what it names exists at the IdP (groups, roles), or will be created; else a UsageError. */
  checkAccess?(ctx: AdapterContext, policy: AccessPolicy): Promise<void>;
  /**
   * Make the policy's claims reach this app's access tokens (a groups claim, app roles, scopes, an Action...).
   * Idempotent: `previous` is what an earlier run created (reuse or update it, never duplicate). Returns the ids of
   * everything this setup created (journaled, non-secret), which removeAccess deletes.
   */
  applyAccess?(ctx: AdapterContext, app: AppRecord, policy: AccessPolicy, previous?: Record<string, string>): Promise<Record<string, string>>;
  /** Delete what applyAccess created (already gone counts as done). */
  removeAccess?(ctx: AdapterContext, app: AppRecord, created: Record<string, string>): Promise<'deleted' | 'gone'>;
}

/** Provider-specific option values: parsed init flags, saved (non-secret) in the journal for later commands. */
export type ProviderOptions = Record<string, string | boolean | string[] | undefined>;

export interface AdapterSetupContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** Present during init only. */
  prompter?: Prompter;
}

/**
 * One IdP: its flags (pure data, imported by the init command for parsing and help) and a factory that
 * loads the adapter and its SDK lazily. providers/<id>/index.ts exports `provider: ProviderModule`.
 */
export interface ProviderModule {
  id: ProviderId;
  displayName: string;
  /** Provider-specific init flags, all prefixed with the provider id (e.g. --okta-auth-server). Never secrets. */
  flags: Record<string, OptionSpec>;
  /** Env vars the adapter reads for admin credentials (shown in help and in missing-credential errors). */
  credentialEnv: string[];
  /**
   * Build the adapter. `options` holds the provider's own flags plus the generic `issuer` and `audience`,
   * from the command line (init) or the journal (cleanup, verify, status).
   */
  createAdapter(options: ProviderOptions, ctx: AdapterSetupContext): Promise<IdpAdapter>;
}

/**
 * The plan: answers in, intended changes out. Pure (no I/O), so --dry-run shows exactly what a real run
 * would do, and the same object drives the steps.
 */
import type { AccessPolicy } from '../authorizer/access.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { ProviderId } from '../../providers/types.js';
import { clientLabel } from '../clients/registry.js';

export const CLIENT_PLACEHOLDER = '<client id from step 1>';

export interface Lifetimes {
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  idTokenSeconds: number;
}

export const DEFAULT_LIFETIMES: Lifetimes = { accessTokenSeconds: 3600, refreshTokenSeconds: 90 * 86400, idTokenSeconds: 3600 };

export type GatewayChoice =
  | { mode: 'existing'; id: string }
  | { mode: 'create'; name: string; roleArn: string };

export interface InitAnswers {
  setup: string;
  provider: ProviderId;
  issuer: string;
  gateway: GatewayChoice;
  region: string;
  endpointUrl?: string;
  profile?: string;
  /** The MCP clients to configure (registry ids) and their config files, in order. */
  clients: ClientChoice[];
  /** Kiro entries use Kiro's own remote transport and OAuth instead of mcp-remote (--kiro-native). */
  kiroNative?: boolean;
  /** --follow-symlinks: client config links may lead outside the project folder or HOME. */
  followSymlinks?: boolean;
  /** Where to write the team profile for `agentcore-auth connect` (absent: --no-team-profile). */
  teamProfile?: string;
  serverName: string;
  callbackPort: number;
  callbackHost: 'localhost' | '127.0.0.1';
  scopes: string[];
  /** Who may use the gateway (--allow-group, --require-scope, --require-claim); absent: anyone who can sign in. */
  access?: AccessPolicy;
  lifetimes: Lifetimes;
  appName: string;
  verify: boolean;
  wait: boolean;
}

export interface ClientChoice {
  /** Registry id: kiro, kiro-workspace, claude-code, claude-code-user, cursor, vscode, ... */
  client: string;
  path: string;
  /** Whether the file exists now (the plan says "create" or "back up"); not journaled. */
  exists?: boolean;
}

/** What already exists for this setup (from the journal): the plan reuses it instead of creating twice. */
export interface ExistingState {
  clientId?: string;
  appRedirectUris?: string[];
  /** The IdP adapter can change the existing client's redirect URIs (a re-run with another --callback-port). */
  appUpdatable?: boolean;
  createdGatewayId?: string;
  gatewayUrl?: string;
  clientEntryWritten?: boolean;
  /** The authorizer an existing gateway has now (the plan shows what it replaces). */
  gatewayAuthorizer?: CustomJwtAuthorizer;
}

export type PlanStep =
  | {
      kind: 'idp-app';
      /** update: the existing client gets the new redirect URI (replacing previousRedirectUris). */
      action: 'create' | 'reuse' | 'update';
      provider: ProviderId;
      issuer: string;
      appName: string;
      redirectUri: string;
      scopes: string[];
      grantTypes: string[];
      lifetimes: Lifetimes;
      clientId?: string;
      previousRedirectUris?: string[];
    }
  | {
      kind: 'gateway';
      action: 'create' | 'update';
      gatewayId?: string;
      name?: string;
      roleArn?: string;
      region: string;
      endpointUrl?: string;
      authorizer: CustomJwtAuthorizer;
      /** What the update replaces (an existing gateway's current authorizer). */
      replacing?: CustomJwtAuthorizer;
      wait: boolean;
    }
  | {
      kind: 'client-entry';
      action: 'write';
      client: string;
      /** How the client reaches the gateway: the mcp-remote stdio bridge, or Kiro's own remote OAuth. */
      transport: 'mcp-remote' | 'kiro-native';
      path: string;
      serverName: string;
      callbackPort: number;
      redirectUri: string;
      /** The file exists already (backed up, other entries kept); false: created. Undefined: not known. */
      fileExists?: boolean;
    }
  | {
      /** The IdP-side changes that make the access policy's claims reach the access token (groups claim, roles...). */
      kind: 'idp-access';
      action: 'apply';
      provider: ProviderId;
      changes: string[];
    }
  | { kind: 'verify'; callbackPort: number };

/** The access policy as the plan shows it (from flows/access accessLines). */
export interface AccessView {
  rules: string[];
  idpChanges: string[];
  notes: string[];
}

export interface InitPlan {
  setup: string;
  steps: PlanStep[];
  /** Who may use the gateway, in words (absent: no access policy given). */
  access?: AccessView;
  /** The team profile init writes at the end (not a step: nothing to undo at the IdP or gateway). */
  teamProfile?: string;
}

/** One client-entry step per client, in the given order. */
export function clientEntrySteps(
  clients: ClientChoice[],
  a: { serverName: string; callbackPort: number; kiroNative?: boolean },
  redirectUri: string,
): Array<Extract<PlanStep, { kind: 'client-entry' }>> {
  return clients.map((c) => ({
    kind: 'client-entry' as const,
    action: 'write' as const,
    client: c.client,
    transport: a.kiroNative && (c.client === 'kiro' || c.client === 'kiro-workspace') ? ('kiro-native' as const) : ('mcp-remote' as const),
    path: c.path,
    serverName: a.serverName,
    callbackPort: a.callbackPort,
    redirectUri,
    ...(c.exists !== undefined ? { fileExists: c.exists } : {}),
  }));
}

export function redirectUriFor(host: string, port: number): string {
  return `http://${host}:${port}/oauth/callback`;
}

export function buildInitPlan(
  a: InitAnswers,
  existing: ExistingState,
  authorizerFor: (clientId: string) => CustomJwtAuthorizer,
  access?: AccessView,
): InitPlan {
  const redirectUri = redirectUriFor(a.callbackHost, a.callbackPort);
  const reuseApp = Boolean(existing.clientId) && (existing.appRedirectUris ?? [redirectUri]).includes(redirectUri);
  // Another callback port on a re-run: the same client gets the new redirect URI, where the IdP allows it.
  const updateApp = !reuseApp && Boolean(existing.clientId) && existing.appUpdatable === true;
  const clientId = reuseApp || updateApp ? existing.clientId! : CLIENT_PLACEHOLDER;
  const steps: PlanStep[] = [
    {
      kind: 'idp-app',
      action: reuseApp ? 'reuse' : updateApp ? 'update' : 'create',
      provider: a.provider,
      issuer: a.issuer,
      appName: a.appName,
      redirectUri,
      scopes: a.scopes,
      grantTypes: ['authorization_code', 'refresh_token'],
      lifetimes: a.lifetimes,
      ...(reuseApp || updateApp ? { clientId } : {}),
      ...(updateApp ? { previousRedirectUris: existing.appRedirectUris ?? [] } : {}),
    },
  ];
  if (a.access && access?.idpChanges.length) steps.push({ kind: 'idp-access', action: 'apply', provider: a.provider, changes: access.idpChanges });
  const authorizer = authorizerFor(clientId);
  if (a.gateway.mode === 'existing' || existing.createdGatewayId) {
    steps.push({
      kind: 'gateway',
      action: 'update',
      gatewayId: a.gateway.mode === 'existing' ? a.gateway.id : existing.createdGatewayId,
      region: a.region,
      endpointUrl: a.endpointUrl,
      authorizer,
      ...(existing.gatewayAuthorizer ? { replacing: existing.gatewayAuthorizer } : {}),
      wait: a.wait,
    });
  } else {
    steps.push({ kind: 'gateway', action: 'create', name: a.gateway.name, roleArn: a.gateway.roleArn, region: a.region, endpointUrl: a.endpointUrl, authorizer, wait: a.wait });
  }
  steps.push(...clientEntrySteps(a.clients, a, redirectUri));
  if (a.verify) steps.push({ kind: 'verify', callbackPort: a.callbackPort });
  return { setup: a.setup, steps, ...(a.access && access ? { access } : {}), ...(a.teamProfile ? { teamProfile: a.teamProfile } : {}) };
}

function describeAuthorizer(z: CustomJwtAuthorizer): string[] {
  const lines = [`discoveryUrl ${z.discoveryUrl}`];
  if (z.allowedAudience?.length) lines.push(`allowedAudience [${z.allowedAudience.join(', ')}]`);
  if (z.allowedClients?.length) lines.push(`allowedClients [${z.allowedClients.join(', ')}]`);
  if (z.allowedScopes?.length) lines.push(`allowedScopes [${z.allowedScopes.join(', ')}]`);
  for (const c of z.customClaims ?? []) {
    const v = c.authorizingClaimMatchValue.claimMatchValue;
    const val = 'matchValueString' in v ? v.matchValueString : `[${v.matchValueStringList.join(', ')}]`;
    lines.push(`claim ${c.inboundTokenClaimName} ${c.authorizingClaimMatchValue.claimMatchOperator} ${val}`);
  }
  return lines;
}

function days(s: number): string {
  return s % 86400 === 0 ? `${s / 86400} d` : s % 3600 === 0 ? `${s / 3600} h` : `${Math.round(s / 60)} min`;
}

/** Human rendering: numbered steps, "+" create, "~" change, "=" reuse. */
/** `clientScopes`: what the MCP client will request, when the IdP adapter changes the asked scopes (Entra, Cognito). */
export function formatPlan(plan: InitPlan, opts: { home?: string; clientScopes?: string[] } = {}): string[] {
  const tilde = (p: string) => (opts.home && p.startsWith(`${opts.home}/`) ? `~${p.slice(opts.home.length)}` : p);
  const out = [`Plan for setup "${plan.setup}":`];
  // The team profile is written after the client entries and before verify: numbered where it runs.
  const profileLine = (n: string) =>
    `  ${n} + Write the team profile ${tilde(plan.teamProfile!)} for \`agentcore-auth connect\` (gateway URL, client id, scopes${plan.access ? ', access rules' : ''}; no secrets)`;
  let k = 0;
  let profileShown = !plan.teamProfile;
  plan.steps.forEach((s) => {
    if (s.kind === 'verify' && !profileShown) {
      out.push(profileLine(`${++k}.`));
      profileShown = true;
    }
    const n = `${++k}.`;
    switch (s.kind) {
      case 'idp-app':
        if (s.action === 'reuse') out.push(`  ${n} = Reuse OIDC client ${s.clientId} at ${s.issuer} (${s.provider})`);
        else if (s.action === 'update') {
          out.push(`  ${n} ~ Update OIDC client ${s.clientId} at ${s.issuer} (${s.provider}): redirect URI ${s.redirectUri}`);
          out.push(`       replacing ${s.previousRedirectUris?.length ? s.previousRedirectUris.join(', ') : 'the one registered before'}; everything else kept`);
        }
        else {
          out.push(`  ${n} + Register public OIDC client "${s.appName}" at ${s.issuer} (${s.provider})`);
          out.push(`       redirect ${s.redirectUri}; PKCE S256; no secret; grants ${s.grantTypes.join(', ')}`);
          out.push(`       scopes ${(opts.clientScopes ?? s.scopes).join(' ')}; access token ${days(s.lifetimes.accessTokenSeconds)}, refresh token ${days(s.lifetimes.refreshTokenSeconds)}`);
        }
        break;
      case 'gateway':
        if (s.action === 'create') out.push(`  ${n} + Create gateway "${s.name}" (MCP, CUSTOM_JWT) in ${s.region}${s.endpointUrl ? ` at ${s.endpointUrl}` : ''}, role ${s.roleArn}`);
        else out.push(`  ${n} ~ Set gateway ${s.gatewayId}'s inbound authorizer (CUSTOM_JWT) in ${s.region}${s.endpointUrl ? ` at ${s.endpointUrl}` : ''}; every other setting kept`);
        if (s.replacing) {
          const before = describeAuthorizer(s.replacing);
          const after = describeAuthorizer(s.authorizer);
          out.push('       replacing:');
          for (const l of before) out.push(`         ${after.includes(l) ? ' ' : '-'} ${l}`);
          out.push('       with:');
          for (const l of after) out.push(`         ${before.includes(l) ? ' ' : '+'} ${l}`);
        } else for (const l of describeAuthorizer(s.authorizer)) out.push(`       ${l}`);
        if (plan.access) {
          out.push('       who may use it:');
          for (const r of plan.access.rules) out.push(`         - ${r}`);
          for (const n of plan.access.notes) out.push(`         note: ${n}`);
        }
        out.push(s.wait ? '       then wait until READY' : '       (not waiting for READY: --no-wait)');
        break;
      case 'client-entry':
        out.push(...formatClientStep(s, n, tilde));
        break;
      case 'idp-access':
        out.push(`  ${n} + Make the access rules' claims reach the access token at ${s.provider}:`);
        for (const c of s.changes) out.push(`       ${c}`);
        out.push('       (removed by cleanup)');
        break;
      case 'verify':
        out.push(`  ${n}   Verify: 401 challenge, metadata, JWKS, test login on port ${s.callbackPort}, tools/list`);
        break;
    }
  });
  if (!profileShown) out.push(profileLine(`${++k}.`));
  return out;
}

/** A client-entry step as plan lines (shared with connect). */
export function formatClientStep(s: Extract<PlanStep, { kind: 'client-entry' }>, n: string, tilde: (p: string) => string = (p) => p): string[] {
  const how = s.transport === 'kiro-native' ? "Kiro's own OAuth" : 'via mcp-remote';
  if (s.fileExists === false) return [`  ${n} + Create ${tilde(s.path)} with MCP server "${s.serverName}" (${clientLabel(s.client)}, ${how}, callback ${s.redirectUri})`];
  return [
    `  ${n} ~ Write MCP server "${s.serverName}" to ${tilde(s.path)} (${clientLabel(s.client)}, ${how}, callback ${s.redirectUri})`,
    '       other entries and keys kept; the file backed up first',
  ];
}

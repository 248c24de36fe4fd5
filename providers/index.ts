/**
 * The provider registry. Each providers/<id>/index.ts is light (flags and a factory); the adapter and its
 * SDK load only inside createAdapter, so one IdP's SDK never loads for another.
 */
import { UsageError } from '../src/core/errors.js';
import { provider as auth0 } from './auth0/index.js';
import { provider as cognito } from './cognito/index.js';
import { provider as entra } from './entra/index.js';
import { provider as oidc } from './oidc/index.js';
import { provider as okta } from './okta/index.js';
import type { AdapterSetupContext, IdpAdapter, ProviderId, ProviderModule, ProviderOptions } from './types.js';

export const PROVIDER_MODULES: ProviderModule[] = [oidc, okta, entra, cognito, auth0];
export const PROVIDER_IDS = PROVIDER_MODULES.map((p) => p.id);

export function providerModule(id: string): ProviderModule {
  const m = PROVIDER_MODULES.find((p) => p.id === id);
  if (!m) throw new UsageError(`Unknown provider "${id}".`, { fix: `Pass --provider with one of: ${PROVIDER_IDS.join(', ')}.` });
  return m;
}

/** The provider's own flag values (and the generic issuer/audience) out of parsed options: what the journal keeps. */
export function providerOptionsFrom(id: ProviderId, opts: ProviderOptions): ProviderOptions {
  const m = providerModule(id);
  const out: ProviderOptions = {};
  // region and profile are the gateway's; adapters on AWS (Cognito) fall back to them.
  for (const k of ['issuer', 'audience', 'region', 'profile', ...Object.keys(m.flags)]) if (opts[k] !== undefined) out[k] = opts[k];
  return out;
}

export async function loadAdapter(id: string, options: ProviderOptions, ctx: AdapterSetupContext = { logger: silentLogger(), env: process.env }): Promise<IdpAdapter> {
  return providerModule(id).createAdapter(options, ctx);
}

function silentLogger() {
  const n = () => undefined;
  return { info: n, step: n, success: n, warn: n, error: n, debug: n, styled: n };
}

/** The provider options a setup was made with (older journals: just the issuer). */
export function savedProviderOptions(cfg: { issuer?: string; providerOptions?: unknown }): ProviderOptions {
  return (cfg.providerOptions as ProviderOptions | undefined) ?? { issuer: cfg.issuer };
}

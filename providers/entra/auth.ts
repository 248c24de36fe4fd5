/**
 * The admin's Microsoft Graph token, through MSAL (@azure/msal-node, loaded here only):
 * - client credentials from the environment (AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, or
 *   AZURE_CLIENT_CERTIFICATE_PATH [+ AZURE_CLIENT_CERTIFICATE_PASSWORD]) for an app with Graph application
 *   permissions; or
 * - the device code flow as an admin (--entra-device-code, AGENTCORE_AUTH_ENTRA_DEVICE_CODE=1, or by default
 *   when init runs interactively without client credentials): the code and URL are printed, the browser opened.
 * MSAL talks to the network through src/core/http.ts (INetworkModule below), so its calls get the same timeouts,
 * retries and error messages as everything else; tests pass an undici dispatcher that trusts a local CA.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AuthenticationResult, Configuration, INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { CliError, errorMessage } from '../../src/core/errors.js';
import { httpFetch, readText } from '../../src/core/http.js';
import type { Logger } from '../../src/core/logger.js';
import type { AdapterContext } from '../types.js';
import type { GraphNeed } from './graph.js';
import { ENTRA_ENV, GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID, type EntraSettings } from './settings.js';

export type AdminAuthMode =
  | { kind: 'client-secret'; clientId: string }
  | { kind: 'client-certificate'; clientId: string; path: string }
  | { kind: 'device-code'; clientId: string };

/** Delegated Graph permissions the device code sign-in asks for, per need. */
export const DELEGATED_SCOPES: Record<GraphNeed, string> = {
  app: 'Application.ReadWrite.All',
  policy: 'Policy.ReadWrite.ApplicationConfiguration',
  sessions: 'User.RevokeSessions.All',
  // Access rules (--allow-group): app role assignments, and looking up the groups and users they name.
  assign: 'AppRoleAssignment.ReadWrite.All',
  groups: 'Group.Read.All',
  users: 'User.ReadBasic.All',
};

export const CREDENTIALS_FIX =
  `Set ${ENTRA_ENV.tenant}, ${ENTRA_ENV.clientId} and ${ENTRA_ENV.clientSecret} (or ${ENTRA_ENV.certificatePath}) for an app with the Microsoft Graph ` +
  'application permission Application.ReadWrite.OwnedBy or Application.ReadWrite.All (+ Policy.ReadWrite.ApplicationConfiguration for token lifetimes), admin-consented; ' +
  `or sign in as an admin with --entra-device-code (${ENTRA_ENV.deviceCode}=1 for cleanup and status).`;

/** Which sign-in to use: explicit device code, else client credentials from env, else device code when interactive. */
export function chooseAuthMode(s: EntraSettings, env: NodeJS.ProcessEnv, interactive: boolean): AdminAuthMode {
  const envClient = env[ENTRA_ENV.clientId]?.trim() || undefined;
  const secret = env[ENTRA_ENV.clientSecret]?.trim() || undefined;
  const certPath = env[ENTRA_ENV.certificatePath]?.trim() || undefined;
  const confidential = Boolean(secret || certPath);
  if (s.deviceCode) {
    // AZURE_CLIENT_ID next to a secret names a confidential app, which cannot run the device code flow.
    return { kind: 'device-code', clientId: s.adminClientId ?? (confidential ? undefined : envClient) ?? GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID };
  }
  if (confidential) {
    if (!envClient) {
      throw new CliError(`${secret ? ENTRA_ENV.clientSecret : ENTRA_ENV.certificatePath} is set but ${ENTRA_ENV.clientId} is not: whose credential is it?`, {
        code: 'credentials',
        fix: `Set ${ENTRA_ENV.clientId} to the application (client) id of the admin app.`,
      });
    }
    return secret ? { kind: 'client-secret', clientId: envClient } : { kind: 'client-certificate', clientId: envClient, path: certPath! };
  }
  if (interactive) return { kind: 'device-code', clientId: s.adminClientId ?? envClient ?? GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID };
  throw new CliError('No Microsoft Entra ID admin credentials: cannot manage app registrations.', { code: 'credentials', fix: CREDENTIALS_FIX });
}

/** PEM with a certificate and its private key (Azure SDK convention) -> MSAL's clientCertificate. */
export async function loadCertificate(path: string, passphrase?: string): Promise<{ thumbprintSha256: string; privateKey: string; x5c: string }> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`Cannot read ${ENTRA_ENV.certificatePath} ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}.`, { code: 'credentials', fix: 'Point it at a PEM file holding the certificate and its private key.' });
  }
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const keyPem = /-----BEGIN (ENCRYPTED |RSA )?PRIVATE KEY-----[\s\S]+?-----END (ENCRYPTED |RSA )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!certs.length || !keyPem) {
    throw new CliError(`${ENTRA_ENV.certificatePath} ${path} must hold a certificate and its private key (PEM).`, {
      code: 'credentials',
      fix: 'Concatenate them: cat cert.pem key.pem > admin.pem (a .pfx: openssl pkcs12 -in admin.pfx -out admin.pem -nodes).',
    });
  }
  let cert: X509Certificate;
  let key: ReturnType<typeof createPrivateKey>;
  try {
    cert = new X509Certificate(certs[0]!);
    key = createPrivateKey({ key: keyPem, ...(passphrase ? { passphrase } : {}) });
  } catch (err) {
    throw new CliError(`${ENTRA_ENV.certificatePath} ${path}: ${errorMessage(err)}.`, {
      code: 'credentials',
      fix: `An encrypted key needs ${ENTRA_ENV.certificatePassword}; otherwise check the file is PEM.`,
    });
  }
  if (!cert.checkPrivateKey(key)) {
    throw new CliError(`${ENTRA_ENV.certificatePath} ${path}: the private key does not belong to the certificate.`, { code: 'credentials' });
  }
  return {
    thumbprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    x5c: certs.join('\n'),
  };
}

/** MSAL's INetworkModule over httpFetch. Keeps the last transport error: MSAL replaces it with a bare "network_error". */
export class HttpNetworkModule implements INetworkModule {
  lastError?: CliError;
  constructor(private readonly opts: { timeoutMs: number; dispatcher?: RequestInit['dispatcher']; logger?: Pick<Logger, 'debug'> }) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>('POST', url, options);
  }

  private async send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const init: RequestInit = {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}),
    };
    let res: Response;
    try {
      res = await httpFetch(url, init, { timeoutMs: timeout ?? this.opts.timeoutMs, purpose: 'signing in to Microsoft Entra ID', logger: this.opts.logger });
    } catch (err) {
      if (err instanceof CliError) this.lastError = err;
      throw err;
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const text = await readText(res);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      this.lastError = new CliError(`${method} ${url.split('?')[0]} answered HTTP ${res.status} with a body that is not JSON (signing in to Microsoft Entra ID).`, {
        code: 'not_json',
        fix: 'Is the authority host right? A proxy or captive portal in the way?',
      });
      throw this.lastError;
    }
    return { headers, body: body as T, status: res.status };
  }
}

/** A CliError out of an MSAL failure, naming the likely cause. */
export function msalError(err: unknown, mode: AdminAuthMode, tenant: string, network?: CliError): CliError {
  if (err instanceof CliError) return err;
  const e = err as { errorCode?: string; errorMessage?: string; message?: string };
  if (network && (e.errorCode === 'network_error' || /network/i.test(e.errorCode ?? ''))) return network;
  const text = `${e.errorCode ?? ''} ${e.errorMessage ?? e.message ?? String(err)}`;
  const first = (e.errorMessage || e.message || String(err)).split(/\r?\n/)[0]!.replace(/\s*Trace ID:.*$/, '').trim();
  const who =
    mode.kind === 'device-code' ? `with the device code flow (client ${mode.clientId})` : `as app ${mode.clientId} (${mode.kind === 'client-secret' ? ENTRA_ENV.clientSecret : ENTRA_ENV.certificatePath})`;
  const msg = `Signing in to Microsoft Entra ID tenant ${tenant} ${who} failed: ${first}`;
  let fix = CREDENTIALS_FIX;
  if (/AADSTS7000215|AADSTS7000222|invalid_client/.test(text)) {
    fix = mode.kind === 'client-secret'
      ? `${ENTRA_ENV.clientSecret} is not a valid (or is an expired) secret of ${mode.clientId}: use the secret's Value, not its ID.`
      : `The certificate is not registered on app ${mode.clientId} (Certificates & secrets), or it expired.`;
  } else if (/AADSTS700016|unauthorized_client/.test(text)) {
    fix = `No app ${mode.clientId} in tenant ${tenant}: check ${mode.kind === 'device-code' ? '--entra-admin-client-id' : ENTRA_ENV.clientId} and the tenant.`;
  } else if (/AADSTS90002|AADSTS900023|AADSTS90013/.test(text)) {
    fix = `Tenant "${tenant}" does not exist: check --entra-tenant / ${ENTRA_ENV.tenant}.`;
  } else if (/AADSTS7000218/.test(text)) {
    fix = `App ${mode.clientId} does not allow public client flows: enable "Allow public client flows" on it, or use another --entra-admin-client-id.`;
  } else if (/AADSTS65001|AADSTS90094|consent_required/.test(text)) {
    fix = `An admin must consent to the Graph permissions (${Object.values(DELEGATED_SCOPES).join(', ')}) for client ${mode.clientId}.`;
  } else if (/expired|AADSTS70020|code_expired|device_code_expired/i.test(text)) {
    fix = 'The device code expired before the sign-in finished: run the command again and sign in within 15 minutes.';
  } else if (/authorization_declined|AADSTS70000/.test(text)) {
    fix = 'The sign-in was declined: run the command again and accept.';
  }
  return new CliError(msg, { code: 'credentials', fix, cause: err });
}

export interface AdminAuthDeps {
  dispatcher?: RequestInit['dispatcher'];
  /** Opens the device code verification URL (tests); default: $BROWSER or the platform's opener. */
  opener?: (url: string) => Promise<void> | void;
  logger: Logger;
}

/**
 * The admin's Graph token. One MSAL application per adapter (its in-memory cache answers repeated calls);
 * the device code sign-in happens once per process, asking for every permission the command needs.
 */
export class AdminAuth {
  private mode?: AdminAuthMode;
  private cca?: import('@azure/msal-node').ConfidentialClientApplication;
  private pca?: import('@azure/msal-node').PublicClientApplication;
  private account?: AuthenticationResult['account'];
  private readonly network: HttpNetworkModule;

  constructor(
    private readonly s: EntraSettings,
    private readonly deps: AdminAuthDeps,
    private readonly tenant: () => string,
  ) {
    this.network = new HttpNetworkModule({ timeoutMs: 15_000, dispatcher: deps.dispatcher, logger: deps.logger });
  }

  /** The sign-in mode (decided at the first call). */
  modeFor(ctx: AdapterContext): AdminAuthMode {
    this.mode ??= chooseAuthMode(this.s, ctx.env, ctx.prompter?.interactive === true);
    return this.mode;
  }

  private async config(clientId: string, extra: Partial<Configuration['auth']>): Promise<Configuration> {
    const { LogLevel } = await import('@azure/msal-node');
    const logger = this.deps.logger;
    return {
      auth: {
        clientId,
        authority: `https://${this.s.authorityHost}/${this.tenant()}`,
        // A moved authority (tests' stand-in) is declared known, so MSAL does no instance discovery there.
        ...(this.s.authorityOverridden ? { knownAuthorities: [this.s.authorityHost] } : {}),
        ...extra,
      },
      system: {
        networkClient: this.network,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (_level, message, containsPii) => {
            if (!containsPii) logger.debug(`MSAL: ${message}`);
          },
        },
      },
    };
  }

  async token(ctx: AdapterContext, needs: GraphNeed[]): Promise<string> {
    const mode = this.modeFor(ctx);
    const msal = await import('@azure/msal-node');
    this.network.lastError = undefined;
    try {
      let result: AuthenticationResult | null;
      if (mode.kind === 'device-code') {
        result = await this.deviceCodeToken(ctx, mode, needs);
      } else {
        if (!this.cca) {
          const env = ctx.env;
          const extra =
            mode.kind === 'client-secret'
              ? { clientSecret: env[ENTRA_ENV.clientSecret]!.trim() }
              : { clientCertificate: await loadCertificate(mode.path, env[ENTRA_ENV.certificatePassword] || undefined) };
          this.cca = new msal.ConfidentialClientApplication(await this.config(mode.clientId, extra));
        }
        result = await this.cca.acquireTokenByClientCredential({ scopes: [`${this.s.graphResource}/.default`] });
      }
      if (!result?.accessToken) throw new CliError('Microsoft Entra ID returned no access token for Microsoft Graph.', { code: 'credentials', fix: CREDENTIALS_FIX });
      return result.accessToken;
    } catch (err) {
      throw msalError(err, mode, this.tenant(), this.network.lastError);
    }
  }

  private async deviceCodeToken(ctx: AdapterContext, mode: AdminAuthMode, needs: GraphNeed[]): Promise<AuthenticationResult | null> {
    const msal = await import('@azure/msal-node');
    const scopes = [...new Set(needs)].map((n) => `${this.s.graphResource}/${DELEGATED_SCOPES[n]}`);
    this.pca ??= new msal.PublicClientApplication(await this.config(mode.clientId, {}));
    if (this.account) {
      try {
        return await this.pca.acquireTokenSilent({ account: this.account, scopes });
      } catch (err) {
        ctx.logger.debug(`Silent token for ${scopes.join(' ')} failed (${errorMessage(err)}): signing in again`);
      }
    }
    const { openBrowser } = await import('../../src/oauth/browser.js');
    ctx.logger.step(`Sign in to Microsoft Entra ID as an admin (device code flow; asks for ${needs.map((n) => DELEGATED_SCOPES[n]).join(', ')})`);
    const result = await this.pca.acquireTokenByDeviceCode({
      scopes,
      deviceCodeCallback: (r) => {
        // Microsoft's own sentence: the URL and the one-time user code (not a token).
        ctx.logger.info(r.message);
        void openBrowser(r.verificationUri, { logger: ctx.logger, opener: this.deps.opener });
      },
    });
    if (result?.account) this.account = result.account;
    return result;
  }
}

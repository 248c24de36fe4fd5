/**
 * The Okta provider module: flags and a lazy factory (nothing heavy here: this file is read on the --help path).
 * The adapter (providers/okta/adapter.ts) uses @okta/okta-sdk-nodejs's typed Management API on our own transport,
 * loaded on the first API call; it reads no okta.yaml and no OKTA_CLIENT_* unless --okta-use-config-file (see api.ts).
 */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'okta',
  displayName: 'Okta (custom authorization server)',
  flags: {
    'okta-org-url': { type: 'string', placeholder: 'url', description: 'Okta org URL, e.g. https://acme.okta.com (env OKTA_ORG_URL)' },
    'okta-auth-server': {
      type: 'string',
      placeholder: 'id',
      description: 'Custom authorization server id (default "default"); the org authorization server is refused: only Okta can validate its tokens',
    },
    'okta-assign-group': { type: 'string', multiple: true, placeholder: 'name|id', description: 'Assign this Okta group to the app ("Everyone" for all users); nobody signs in unassigned' },
    'okta-assign-user': { type: 'string', multiple: true, placeholder: 'login|id', description: 'Assign this Okta user to the app' },
    'okta-use-config-file': {
      type: 'boolean',
      description: 'Also read ~/.okta/okta.yaml, ./okta.yaml and OKTA_CLIENT_* (the Okta SDK\'s own config) for what OKTA_* env does not set (env OKTA_USE_CONFIG_FILE=1)',
    },
  },
  credentialEnv: ['OKTA_ORG_URL', 'OKTA_API_TOKEN', 'OKTA_OAUTH_CLIENT_ID', 'OKTA_OAUTH_PRIVATE_KEY_FILE', 'OKTA_OAUTH_KEY_ID', 'OKTA_USE_CONFIG_FILE'],
  async createAdapter(options, ctx) {
    const { createOktaAdapter, parseOktaIssuer, chooseAuthServer, DEFAULT_AUTH_SERVER, orgServerRefusal } = await import('./adapter.js');
    const { normaliseOrgUrl, ENV, wantsConfigFile, readOktaConfigFiles } = await import('./api.js');
    const { UsageError, CliError } = await import('../../src/core/errors.js');
    const str = (k: string) => (typeof options[k] === 'string' && options[k] !== '' ? (options[k] as string) : undefined);
    const many = (k: string) => {
      const v = options[k];
      return (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
    };

    const fromFlag = str('okta-org-url') ? normaliseOrgUrl(str('okta-org-url')!, '--okta-org-url') : undefined;
    const fromIssuer = str('issuer') ? parseOktaIssuer(str('issuer')!) : undefined;
    if (fromIssuer && !fromIssuer.authServerId) throw orgServerRefusal(fromIssuer.orgUrl, '--issuer');
    if (fromFlag && fromIssuer && fromFlag !== fromIssuer.orgUrl) {
      throw new UsageError(`--okta-org-url ${fromFlag} and --issuer ${str('issuer')} name different orgs.`, { fix: 'Pass one of them.' });
    }
    const flagServer = str('okta-auth-server');
    if (flagServer && fromIssuer?.authServerId && flagServer !== fromIssuer.authServerId) {
      throw new UsageError(`--okta-auth-server ${flagServer} and --issuer ${str('issuer')} name different authorization servers.`, { fix: 'Pass one of them.' });
    }
    const fromEnv = ctx.env[ENV.orgUrl] ? normaliseOrgUrl(ctx.env[ENV.orgUrl]!, ENV.orgUrl) : undefined;
    const useConfigFile = wantsConfigFile(ctx.env, options['okta-use-config-file']);
    let orgUrl = fromFlag ?? fromIssuer?.orgUrl ?? fromEnv ?? (useConfigFile ? readOktaConfigFiles(ctx.env).orgUrl : undefined);
    const interactive = ctx.prompter?.interactive === true;
    if (!orgUrl && ctx.prompter) {
      // init needs the org now (the issuer goes into the plan); later commands find it in the app record.
      if (!interactive) {
        throw new CliError(`Which Okta org? Pass --okta-org-url or set ${ENV.orgUrl}.`, { code: 'credentials', fix: `e.g. ${ENV.orgUrl}=https://acme.okta.com, with ${ENV.apiToken} (or a service app: OKTA_OAUTH_CLIENT_ID + OKTA_OAUTH_PRIVATE_KEY_FILE).` });
      }
      orgUrl = normaliseOrgUrl(await ctx.prompter.ask({ flag: '--okta-org-url', envVar: ENV.orgUrl, message: 'Okta org URL (https://<org>.okta.com):' }), '--okta-org-url');
    }
    let authServerId = flagServer ?? fromIssuer?.authServerId;
    if (!authServerId && interactive && orgUrl) authServerId = await chooseAuthServer(orgUrl, { env: ctx.env, logger: ctx.logger, prompter: ctx.prompter!, useConfigFile });
    const groups = many('okta-assign-group');
    const users = many('okta-assign-user');
    return createOktaAdapter({
      orgUrl,
      authServerId: authServerId ?? DEFAULT_AUTH_SERVER,
      audience: str('audience'),
      assignGroups: groups,
      assignUsers: users,
      assignmentsGiven: groups.length > 0 || users.length > 0,
      useConfigFile,
    });
  },
};

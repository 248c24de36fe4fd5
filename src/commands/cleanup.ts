import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'cleanup',
  summary: 'Undo exactly what init (or connect) made: revoke tokens, clear caches, remove the client entries, restore or delete the gateway auth, delete the IdP app',
  usage: 'agentcore-auth cleanup [--setup NAME] [--yes] [--dry-run]',
  options: {
    'delete-gateway': { type: 'boolean', description: 'Delete the gateway instead of restoring its previous authorizer' },
    'keep-app': { type: 'boolean', description: 'Keep the OIDC client at the IdP' },
    forget: { type: 'string', multiple: true, placeholder: 'id', description: 'Drop an OIDC client (by client id, or the number a manual step names) you confirmed is gone or will keep: nothing is contacted for it' },
    purge: { type: 'boolean', description: 'Entra ID: also purge the deleted app from deleted items (otherwise restorable for 30 days)' },
  },
  examples: ['agentcore-auth cleanup --dry-run', 'agentcore-auth cleanup --setup team-gw --yes', 'agentcore-auth cleanup --forget 0oa1b2c3 --yes   # after deleting that client by hand'],
  async run(ctx, opts) {
    await (await import('../flows/setups.js')).resolveSetup(ctx, typeof opts.setup === 'string');
    const { runCleanup, printCleanupSummary } = await import('../flows/cleanup.js');
    const r = await runCleanup(ctx, opts);
    printCleanupSummary(ctx, r);
    if (ctx.flags.json) ctx.emitJson(r);
    return r.ok ? 0 : 1;
  },
};

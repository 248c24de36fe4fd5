import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'setups',
  summary: 'List the setups on this machine (from their journals; nothing is contacted)',
  usage: 'agentcore-auth setups [--json]',
  globals: ['json', 'verbose'],
  options: {},
  async run(ctx) {
    const { listSetupSummaries, printSetups } = await import('../flows/setups.js');
    const setups = await listSetupSummaries(ctx.stateDir);
    printSetups(ctx, setups);
    if (ctx.flags.json) ctx.emitJson({ ok: true, setups });
    return 0;
  },
};

import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'status',
  summary: 'What the journal says exists, checked against the live resources, with drift shown',
  usage: 'agentcore-auth status [--setup NAME] [--json]',
  globals: ['json', 'setup', 'verbose'],
  options: {},
  async run(ctx, opts) {
    const { runStatus, printStatus } = await import('../flows/status.js');
    const r = await runStatus(ctx, typeof opts.setup === 'string');
    printStatus(ctx, r);
    const ok = !r.setups.some((s) => s.drift);
    if (ctx.flags.json) ctx.emitJson({ ok, ...r });
    return ok ? 0 : 1;
  },
};

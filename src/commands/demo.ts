import { LOGIN_OPTIONS } from './shared.js';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'demo',
  summary: 'The whole journey on the sandbox, no cloud account: init, verify with a test login and a tool call, cleanup',
  usage: 'agentcore-auth demo [--home DIR] [--keep] [--json]',
  globals: ['json', 'verbose'],
  options: {
    home: { type: 'string', placeholder: 'dir', description: 'Write the client config and journal under DIR instead of a temporary HOME' },
    keep: { type: 'boolean', description: 'Keep the sandbox running after verify and print how to point a real Kiro at it' },
    'auto-login': { type: 'string', placeholder: 'user', description: 'Sandbox user the test login signs in as (default alice)' },
    ...LOGIN_OPTIONS,
  },
  async run(ctx, opts) {
    const { runDemo } = await import('../flows/demo.js');
    const r = await runDemo(ctx, opts);
    if (ctx.flags.json) ctx.emitJson(r);
    return r.ok ? 0 : 1;
  },
};

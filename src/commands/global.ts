import type { OptionSpec } from './types.js';

/** Flags every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'Print exactly one JSON document on stdout (human text goes to stderr)' },
  yes: { type: 'boolean', short: 'y', description: 'Answer yes to confirmations (required to change things non-interactively)' },
  'dry-run': { type: 'boolean', description: 'Show the plan and change nothing' },
  'no-input': { type: 'boolean', description: 'Never prompt: use flags, env and defaults, or fail naming the flag' },
  setup: { type: 'string', placeholder: 'name', description: 'Which setup (state journal) to use (default: "default")' },
  verbose: { type: 'boolean', short: 'v', description: 'More detail' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
};

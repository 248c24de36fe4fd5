import type { Context } from '../core/context.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: "--issuer <url>". */
  placeholder?: string;
  description: string;
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

/** A command file is registration only: its flags, its help, and a call into its flow. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  /** Returns the exit code (0 ok, 1 failed). Errors are thrown as CliError. */
  run(ctx: Context, opts: ParsedOptions, positionals: string[]): Promise<number>;
}

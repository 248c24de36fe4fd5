import type { Context } from '../core/context.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: "--issuer <url>". */
  placeholder?: string;
  description: string;
  /** The heading help lists it under (default "Flags"). */
  group?: string;
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

/** A command file is registration only: its flags, its help, and a call into its flow. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  /** The global flags that do something for this command (help lists only these; default: all). */
  globals?: string[];
  /** Paragraphs shown after the flags. */
  notes?: string[];
  /** Takes positional arguments (default: refused as a usage error). */
  positionals?: boolean;
  /** Returns the exit code (0 ok, 1 failed). Errors are thrown as CliError. */
  run(ctx: Context, opts: ParsedOptions, positionals: string[]): Promise<number>;
}

import { suggest } from './text.js';
import { CancelledError, UsageError } from './errors.js';
import { safeText } from './redact.js';

/**
 * Every prompt has a flag. Precedence: flag, env, prompt (when interactive), default, else fail naming the flag.
 * @inquirer/prompts is loaded only when a prompt is really shown.
 */
export interface AskSpec<T extends string = string> {
  /** The flag that answers this prompt, e.g. "--issuer". */
  flag: string;
  message: string;
  flagValue?: string;
  envVar?: string;
  default?: T | string;
  choices?: Array<{ value: T; name?: string; description?: string }>;
  /**
   * The same rule the flag is held to: true, or why not. At a prompt the question is asked again with the reason;
   * for a flag or env value it is a usage error. `promptOnly` checks (e.g. reaching the issuer) run only at the
   * prompt; a flag's value meets them in init's preflight instead.
   */
  validate?: (value: string) => string | true;
  promptCheck?: (value: string) => Promise<string | true>;
}

/** A multiple choice (a checkbox list); its flag takes a comma-separated list. */
export interface ChooseManySpec<T extends string = string> {
  flag: string;
  message: string;
  flagValue?: string;
  choices: Array<{ value: T; name?: string; checked?: boolean }>;
  /** Used when not interactive and no flag was given; without it that is an error naming the flag. */
  default?: T[];
  /** A fix hint for the missing-flag error (e.g. what was detected). */
  fix?: string;
}

export interface Prompter {
  readonly interactive: boolean;
  readonly whyNot: string;
  ask<T extends string = string>(spec: AskSpec<T>): Promise<T>;
  chooseMany<T extends string = string>(spec: ChooseManySpec<T>): Promise<T[]>;
  confirm(opts: { message: string; flag: string; yes: boolean; default?: boolean }): Promise<boolean>;
}

/** Prompts show text that may come from outside (a profile, a gateway's name): terminal-safe, like every other line. */
function safeChoice<C extends { name?: string; description?: string }>(c: C): C {
  return { ...c, ...(c.name !== undefined ? { name: safeText(c.name) } : {}), ...(c.description !== undefined ? { description: safeText(c.description) } : {}) };
}

async function inquirer() {
  return import('@inquirer/prompts');
}

function wrapCancel(err: unknown): never {
  const name = (err as Error)?.name;
  if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new CancelledError();
  throw err;
}

export function createPrompter(opts: { interactive: boolean; whyNot: string; env: NodeJS.ProcessEnv }): Prompter {
  const check = (spec: AskSpec, value: string): string => {
    if (spec.choices && !spec.choices.some((c) => c.value === value)) {
      const near = suggest(value, spec.choices.map((c) => c.value));
      throw new UsageError(`${spec.flag} must be one of: ${spec.choices.map((c) => c.value).join(', ')} (got "${value}").${near ? ` Did you mean ${near}?` : ''}`);
    }
    const v = spec.validate?.(value);
    if (typeof v === 'string') throw new UsageError(`${spec.flag}: ${v}`);
    return value;
  };
  return {
    interactive: opts.interactive,
    whyNot: opts.whyNot,
    async ask<T extends string>(spec: AskSpec<T>): Promise<T> {
      if (spec.flagValue !== undefined && spec.flagValue !== '') return check(spec, spec.flagValue) as T;
      const fromEnv = spec.envVar ? opts.env[spec.envVar] : undefined;
      if (fromEnv) return check(spec, fromEnv) as T;
      if (opts.interactive) {
        const p = await inquirer();
        try {
          if (spec.choices) {
            return (await p.select({ message: safeText(spec.message), choices: spec.choices.map(safeChoice), default: spec.default })) as T;
          }
          const validate = async (v: string): Promise<string | true> => {
            const sync = spec.validate?.(v.trim());
            if (typeof sync === 'string') return safeText(sync);
            const deep = spec.promptCheck ? await spec.promptCheck(v.trim()) : true;
            return typeof deep === 'string' ? safeText(deep) : true;
          };
          return (await p.input({ message: safeText(spec.message), default: spec.default === undefined ? undefined : safeText(spec.default), validate })).trim() as T;
        } catch (err) {
          wrapCancel(err);
        }
      }
      if (spec.default !== undefined) return check(spec, spec.default) as T;
      throw new UsageError(`Missing ${spec.flag} (${spec.message.replace(/[?:]\s*$/, '')}); cannot prompt because ${opts.whyNot}.`, {
        fix: `Pass ${spec.flag}${spec.envVar ? ` or set ${spec.envVar}` : ''}.`,
      });
    },
    async chooseMany<T extends string>(spec: ChooseManySpec<T>): Promise<T[]> {
      const known = spec.choices.map((c) => c.value as string);
      const fromList = (list: string): T[] => {
        const values = [...new Set(list.split(/[\s,]+/).filter(Boolean))];
        if (!values.length) throw new UsageError(`${spec.flag} is empty.`, { fix: `Pass one or more of: ${known.join(', ')} (comma-separated).` });
        const bad = values.filter((v) => !known.includes(v));
        if (bad.length) throw new UsageError(`${spec.flag}: unknown value ${bad.map((b) => `"${b}"`).join(', ')}.`, { fix: `Use one or more of: ${known.join(', ')} (comma-separated).` });
        return values as T[];
      };
      if (spec.flagValue !== undefined) return fromList(spec.flagValue);
      if (opts.interactive) {
        const p = await inquirer();
        try {
          // Every choice on one page: a client list that scrolls hides the ones below the fold.
          return (await p.checkbox({ message: safeText(spec.message), choices: spec.choices.map(safeChoice), required: true, pageSize: Math.max(7, spec.choices.length) })) as T[];
        } catch (err) {
          wrapCancel(err);
        }
      }
      if (spec.default?.length) return [...spec.default];
      throw new UsageError(`Missing ${spec.flag} (${spec.message.replace(/[?:]\s*$/, '')}); cannot prompt because ${opts.whyNot}.`, {
        fix: spec.fix ?? `Pass ${spec.flag} with one or more of: ${known.join(', ')}.`,
      });
    },
    async confirm({ message, flag, yes, default: def = true }) {
      if (yes) return true;
      if (!opts.interactive) {
        throw new UsageError(`Confirmation needed (${message}); cannot prompt because ${opts.whyNot}.`, { fix: `Pass ${flag} to confirm.` });
      }
      const p = await inquirer();
      try {
        return await p.confirm({ message: safeText(message), default: def });
      } catch (err) {
        wrapCancel(err);
      }
    },
  };
}

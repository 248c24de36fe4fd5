/** Typed exit errors: the one top-level handler in cli.ts maps them to exit codes and one readable message. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

export class CliError extends Error {
  readonly exitCode: number = ExitCode.failed;
  /** One line that says what to change, shown under the message. */
  readonly fix?: string;
  /** Machine-readable code, used in --json output. */
  readonly code: string;
  constructor(message: string, opts: { fix?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'CliError';
    this.fix = opts.fix;
    this.code = opts.code ?? 'failed';
  }
}

/** Bad flags, bad values, missing required input: exit 2. */
export class UsageError extends CliError {
  override readonly exitCode: number = ExitCode.usage;
  constructor(message: string, opts: { fix?: string; code?: string } = {}) {
    super(message, { code: 'usage', ...opts });
    this.name = 'UsageError';
  }
}

/** The user answered No to a plan or a confirmation: nothing was changed, exit 1 (130 is for Ctrl-C). */
export class DeclinedError extends CliError {
  constructor(message = 'Nothing was changed.') {
    super(message, { code: 'declined' });
    this.name = 'DeclinedError';
  }
}

/** Ctrl-C (or Ctrl-C at a prompt): exit 130. */
export class CancelledError extends CliError {
  override readonly exitCode: number = ExitCode.cancelled;
  constructor(message = 'Cancelled.') {
    super(message, { code: 'cancelled' });
    this.name = 'CancelledError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

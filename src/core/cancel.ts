/**
 * The process's one cancellation signal (Ctrl-C). The CLI creates it (src/core/create-context.ts, aborted by the
 * SIGINT handler in src/cli.ts) and every wait reads it from here, so no call needs it threaded by hand: our HTTP
 * layer, the AWS SDK clients (`abortSignal`), the gateway polls, the sign-in wait and spawned clients.
 */
import { CancelledError } from './errors.js';

declare global {
  // eslint-disable-next-line no-var
  var __agentcoreAuthAbort: AbortController | undefined;
}

/** The Ctrl-C signal of this process (undefined in library use and unit tests that never set one). */
export function cancelSignal(): AbortSignal | undefined {
  return globalThis.__agentcoreAuthAbort?.signal;
}

/** `signal` together with the Ctrl-C signal. */
export function withCancel(signal?: AbortSignal | null): AbortSignal | undefined {
  const c = cancelSignal();
  if (!c) return signal ?? undefined;
  if (!signal) return c;
  return AbortSignal.any([signal, c]);
}

export function isCancelled(): boolean {
  return cancelSignal()?.aborted === true;
}

/** The error of a cancelled wait: the signal's own reason when it is ours, else a plain CancelledError. */
export function cancelledError(): CancelledError {
  const reason: unknown = cancelSignal()?.reason;
  return reason instanceof CancelledError ? reason : new CancelledError('Cancelled by Ctrl-C.');
}

/** Resolves never; rejects with the cancellation as soon as Ctrl-C arrives (for Promise.race against a wait). */
export function whenCancelled(): Promise<never> {
  const s = cancelSignal();
  return new Promise((_, reject) => {
    if (!s) return;
    if (s.aborted) return reject(cancelledError());
    s.addEventListener('abort', () => reject(cancelledError()), { once: true });
  });
}

/**
 * An AWS SDK v3 client whose every `send` carries the Ctrl-C signal (`abortSignal`), so a hung control-plane call
 * ends at once instead of after the SDK's request timeout.
 */
export function cancellableSdkClient<C extends { send: (...args: any[]) => Promise<any> }>(client: C): C {
  const send = client.send.bind(client);
  client.send = ((command: unknown, options?: Record<string, unknown>, ...rest: unknown[]) => {
    if (typeof options === 'function') return send(command, options, ...rest);
    const abortSignal = withCancel(options?.abortSignal as AbortSignal | undefined);
    return send(command, { ...(options ?? {}), ...(abortSignal ? { abortSignal } : {}) }, ...rest);
  }) as C['send'];
  return client;
}

/**
 * For a command whose normal end is Ctrl-C (sandbox, `demo --keep`): that Ctrl-C is consumed as "stop now, cleanly"
 * and a fresh signal takes its place, so the work that follows (the demo's cleanup) runs, and the exit code is the
 * command's own. A second Ctrl-C still exits at once.
 */
export function consumeCancel(): void {
  if (globalThis.__agentcoreAuthAbort?.signal.aborted) globalThis.__agentcoreAuthAbort = new AbortController();
}

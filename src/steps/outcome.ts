import { isCancelled } from '../core/cancel.js';
import { CliError } from '../core/errors.js';

const REFUSALS = ['validation', 'access_denied', 'credentials', 'conflict', 'not_found', 'usage', 'authorizer_type', 'throttled', 'no_registration', 'issuer_mismatch', 'rate_limited', 'rolled_back'];

/**
 * Did the service certainly NOT act? A refusal it answered (validation, permission, conflict, other 4xx)
 * means nothing was created; a timeout, a reset or a 5xx leaves the outcome unknown, so the journal keeps
 * the intent for cleanup and resume to reconcile.
 */
export function definitelyRefused(err: unknown): boolean {
  // A call cut short by Ctrl-C may have reached the service: its outcome stays unknown.
  if (isCancelled()) return false;
  if (!(err instanceof CliError)) return false;
  if (REFUSALS.includes(err.code)) return true;
  const status = /(?:^|_)http_(\d{3})$/.exec(err.code)?.[1];
  if (status) return Number(status) >= 400 && Number(status) < 500;
  return err.code.startsWith('registration_') && err.code !== 'outcome_unknown'; // an OAuth error body: the IdP answered and refused
}

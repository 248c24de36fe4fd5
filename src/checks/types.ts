/** The shape every verify check returns. Plain data: the report, --json output and the wizard share it. */
/** info: worth knowing, nothing to fix (e.g. a gateway-only expectation, on a server that is not a gateway). */
export type CheckStatus = 'pass' | 'info' | 'warn' | 'fail' | 'skip';

export type CheckStage = 'challenge' | 'metadata' | 'probes' | 'login' | 'calls' | 'config';

export interface CheckResult {
  id: string;
  stage: CheckStage;
  title: string;
  status: CheckStatus;
  /** One or two sentences: what was seen. Never a token. */
  finding: string;
  /** What to change, for warn and fail. */
  fix?: string;
  details?: Record<string, unknown>;
}

export interface CheckOptions {
  /** Per HTTP request. */
  timeoutMs?: number;
}

/** The worst of several statuses (fail > warn > info > pass > skip). */
export function worst(statuses: CheckStatus[]): CheckStatus {
  for (const s of ['fail', 'warn', 'info', 'pass'] as const) if (statuses.includes(s)) return s;
  return 'skip';
}

export function skipped(id: string, stage: CheckStage, title: string, why: string): CheckResult {
  return { id, stage, title, status: 'skip', finding: why };
}

/** A problem found by a check: the check's status is the worst problem, its finding and fix join them. */
export interface Problem {
  status: 'warn' | 'fail';
  finding: string;
  fix?: string;
}

export function fromProblems(base: Omit<CheckResult, 'status' | 'finding' | 'fix'>, problems: Problem[], passFinding: string): CheckResult {
  if (!problems.length) return { ...base, status: 'pass', finding: passFinding };
  const ordered = [...problems.filter((p) => p.status === 'fail'), ...problems.filter((p) => p.status === 'warn')];
  const fixes = [...new Set(ordered.map((p) => p.fix).filter((f): f is string => !!f))];
  return {
    ...base,
    status: worst(ordered.map((p) => p.status)),
    finding: ordered.map((p) => p.finding).join(' '),
    ...(fixes.length ? { fix: fixes.join(' ') } : {}),
  };
}

export { isLoopbackHost } from '../core/net.js';

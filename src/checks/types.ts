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
  /** Names a problem that a later, firmer finding may cancel (e.g. 'no-offline-access' once a refresh worked). */
  tag?: string;
}

/** What a check was built from, so a later finding can take one of its problems back (dropTagged). */
const BUILT = new WeakMap<CheckResult, { base: Omit<CheckResult, 'status' | 'finding' | 'fix'>; problems: Problem[]; passFinding: string }>();

/**
 * The check without its problems tagged with one of `tags` (in place): a premise that a later check disproved
 * is not reported next to the proof. Untouched when it has no such problem.
 */
export function dropTagged(check: CheckResult, tags: string[]): void {
  const built = BUILT.get(check);
  if (!built || !built.problems.some((p) => p.tag && tags.includes(p.tag))) return;
  const again = fromProblems(built.base, built.problems.filter((p) => !p.tag || !tags.includes(p.tag)), built.passFinding);
  delete check.fix;
  Object.assign(check, { status: again.status, finding: again.finding }, again.fix ? { fix: again.fix } : {});
}

export function fromProblems(base: Omit<CheckResult, 'status' | 'finding' | 'fix'>, problems: Problem[], passFinding: string): CheckResult {
  const out = ((): CheckResult => {
    if (!problems.length) return { ...base, status: 'pass', finding: passFinding };
    const ordered = [...problems.filter((p) => p.status === 'fail'), ...problems.filter((p) => p.status === 'warn')];
    const fixes = [...new Set(ordered.map((p) => p.fix).filter((f): f is string => !!f))];
    return {
      ...base,
      status: worst(ordered.map((p) => p.status)),
      finding: ordered.map((p) => p.finding).join(' '),
      ...(fixes.length ? { fix: fixes.join(' ') } : {}),
    };
  })();
  BUILT.set(out, { base, problems, passFinding });
  return out;
}

export { isLoopbackHost } from '../core/net.js';

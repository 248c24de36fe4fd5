/** The one place that decides whether we may prompt. */
export interface InteractivityInput {
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  json: boolean;
  noInput: boolean;
}

export function isInteractive(i: InteractivityInput): boolean {
  const ci = i.env.CI !== undefined && i.env.CI !== '' && i.env.CI !== 'false' && i.env.CI !== '0';
  return i.stdinIsTTY && i.stdoutIsTTY && !ci && !i.json && !i.noInput;
}

/** Why prompting is off, for error messages ("stdin is not a terminal"). */
export function whyNotInteractive(i: InteractivityInput): string {
  if (i.noInput) return '--no-input was given';
  if (i.json) return '--json was given';
  if (i.env.CI && i.env.CI !== 'false' && i.env.CI !== '0') return 'CI is set';
  if (!i.stdinIsTTY) return 'stdin is not a terminal';
  if (!i.stdoutIsTTY) return 'stdout is not a terminal';
  return 'prompting is available';
}

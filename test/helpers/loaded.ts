/**
 * Which sources a CLI run loads. A module hook (node --import) appends every file URL Node loads to a log;
 * a bundle chunk stands for the sources esbuild put in it (dist/bundle-sources.json, written by
 * scripts/bundle.mjs), so a test can say "init --help loaded nothing from node_modules/auth0" against the
 * package as shipped, an installed copy of it, or the tsc build alike.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_PATH, PROJECT_ROOT } from './cli.js';

let chunkSources: Record<string, string[]> | undefined;

/** Sources (paths relative to the project, e.g. `node_modules/auth0/dist/esm/index.mjs`) that one run loaded. */
export async function sourcesLoadedBy(args: string[], env: NodeJS.ProcessEnv): Promise<{ sources: string[]; files: string[]; stdout: string; code: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'agentcore-auth-loaded-'));
  const log = join(dir, 'loaded.log');
  try {
    const hook = `import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) =>
      execFile(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, CLI_PATH, ...args], { env }, (err, out) =>
        resolve({ stdout: out, code: err ? Number((err as { code?: unknown }).code ?? 1) : 0 }),
      ),
    );
    let files: string[] = [];
    try {
      files = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean).map((u) => fileURLToPath(u)))];
    } catch {
      files = [];
    }
    chunkSources ??= JSON.parse(readFileSync(join(PROJECT_ROOT, 'dist', 'bundle-sources.json'), 'utf8')) as Record<string, string[]>;
    const sources = new Set<string>();
    for (const f of files) {
      const inBundle = /[\\/]bundle[\\/](.+)$/.exec(f)?.[1]?.replace(/\\/g, '/');
      if (inBundle && chunkSources[inBundle]) for (const s of chunkSources[inBundle]) sources.add(s);
      else sources.add(relative(PROJECT_ROOT, f));
    }
    return { sources: [...sources].sort(), files, stdout, code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The packages (node_modules/<name>) among loaded sources. */
export function packagesIn(sources: string[]): string[] {
  return [...new Set(sources.map((s) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(s)?.[1]).filter((x): x is string => !!x))].sort();
}

/**
 * Where the package is and which version it is, the same from the tsc build (dist/src/...), from the bundle
 * (bundle/cli.js and bundle/chunks/...) and from an installed copy (node_modules/agentcore-auth/bundle/...).
 * The bundler writes the version in at build time; the tsc build reads package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __AGENTCORE_AUTH_VERSION__: string | undefined;

let root: string | undefined;

/** The folder holding this package's package.json (the nearest one above this module named agentcore-auth). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown }).name === 'agentcore-auth') return (root = dir);
      } catch {
        // not ours: keep going up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`agentcore-auth's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function packageVersion(): string {
  if (typeof __AGENTCORE_AUTH_VERSION__ === 'string') return __AGENTCORE_AUTH_VERSION__;
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** A file shipped in the package's templates/ folder. */
export function templatePath(name: string): string {
  return join(packageRoot(), 'templates', name);
}

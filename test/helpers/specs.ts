/**
 * Where the vendors' OpenAPI files are: ../shared/specs beside the repository (CI lays a copy of shared/
 * there), else the workplace's /work/shared/specs. Missing everywhere is a loud error, not a skip: the
 * stand-ins' contract checks are what make the adapter tests mean something.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './cli.js';

export function specPath(file: string): string {
  const candidates = [join(PROJECT_ROOT, '..', 'shared', 'specs', file), join('/work/shared/specs', file)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Vendor spec ${file} not found (looked in ${candidates.join(', ')}): the contract tests need ../shared/specs beside the repository.`);
  return found;
}

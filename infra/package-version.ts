/**
 * The package's root folder and version, found by walking up from this file to the package.json named
 * alpaca-eval-pipeline: the same answer from the TypeScript sources and from the built CLI in dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: { root: string; version: string } | undefined;

function locate(): { root: string; version: string } {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'alpaca-eval-pipeline') return (found = { root: dir, version: pkg.version });
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json of alpaca-eval-pipeline not found above the CLI');
    dir = up;
  }
}

export function packageRoot(): string {
  return locate().root;
}

export function version(): string {
  return locate().version;
}

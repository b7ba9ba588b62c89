/** The package version, read from the package.json above this file (works from the sources and from the built dist/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'alpaca-eval-pipeline') return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json of alpaca-eval-pipeline not found above the CLI');
    dir = up;
  }
}

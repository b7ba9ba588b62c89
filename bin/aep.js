#!/usr/bin/env node
// Launcher for the `aep` CLI: runs the compiled CLI (dist/cli.js, built by `npm ci` / `npm run build`); without it,
// falls back to transpiling bin/cli.ts with tsx (slower start).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
if (existsSync(built) && process.env.AEP_FROM_SOURCE !== '1') {
  await import(built.href);
} else {
  if (process.env.AEP_FROM_SOURCE !== '1') process.stderr.write('aep: dist/ is not built (npm run build); running from the TypeScript sources\n');
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}

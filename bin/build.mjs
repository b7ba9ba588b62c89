#!/usr/bin/env node
// Builds the CLI into dist/ (gitignored): bin/cli.ts and every subcommand as ES modules, split so a subcommand's
// code loads only when it runs. npm packages stay external (resolved from node_modules at run time).
// Run by `npm ci` / `npm install` (the prepare script) and by `npm test`.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // the bootstrap's worker threads start dist/bootstrap-worker.js (lambdas/adapters/bootstrap-workers.ts)
  entryPoints: { cli: 'bin/cli.ts', 'bootstrap-worker': 'lambdas/adapters/bootstrap-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

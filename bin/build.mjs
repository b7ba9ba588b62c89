#!/usr/bin/env node
// Builds the CLI into dist/ (gitignored): bin/cli.ts and every subcommand as ES modules, split so a subcommand's
// code loads only when it runs. npm packages stay external (resolved from node_modules at run time).
// Also synthesises the stack once and writes its state machine definition to dist/state-machine.json, which the built
// `aep run` executes without loading aws-cdk-lib (infra/local/load-definition.ts).
// Run by `npm ci` / `npm install` (the prepare script) and by `npm test`.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

// The definition, from the same CDK code the stack deploys: bundle the synthesis (packages external), run it, keep JSON.
const synth = join(outdir, '.synth-definition.mjs');
await build({
  absWorkingDir: root, entryPoints: ['infra/local/definition.ts'], outfile: synth, bundle: true, format: 'esm',
  platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning',
});
try {
  const { synthLocalDefinition } = await import(pathToFileURL(synth).href);
  writeFileSync(join(outdir, 'state-machine.json'), `${JSON.stringify(synthLocalDefinition(), null, 1)}\n`);
} finally {
  rmSync(synth, { force: true });
}

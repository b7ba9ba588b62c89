/**
 * Lambda cold starts: bundles every handler in lambdas/handlers/ with esbuild using the bundling options of
 * infra/constructs/eval-function.ts (ESM, minified, source map, the createRequire banner, nothing external), then
 * prints each bundle's size and the median time a fresh `node` takes to import it, less the `node -e 0` floor.
 * The handlers are imported, not invoked. Target: every bundle imports in ≤ 0.3 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.AEP_BENCH_RUNS ?? 7);
const handlersDir = join(root, 'lambdas', 'handlers');
const out = mkdtempSync(join(tmpdir(), 'aep-cold-start-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function wall(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

try {
  const floor = median(Array.from({ length: RUNS }, () => wall(['-e', '0'])));
  console.log(`Lambda bundles (esbuild, ESM, minified), median of ${RUNS} imports each; node -e 0 floor ${floor.toFixed(3)} s`);
  const handlers = readdirSync(handlersDir).filter((f) => f.endsWith('.ts'));
  for (const f of handlers) {
    const src = readFileSync(join(handlersDir, f), 'utf8');
    if (!/export (const|async function|function) handler\b/.test(src)) continue;
    const dir = join(out, f.replace(/\.ts$/, ''));
    await build({
      entryPoints: [join(handlersDir, f)], outfile: join(dir, 'index.mjs'), bundle: true, format: 'esm', platform: 'node', target: 'node20',
      minify: true, sourcemap: true, mainFields: ['module', 'main'], logLevel: 'error',
      banner: { js: "import { createRequire as __aepCreateRequire } from 'node:module'; const require = __aepCreateRequire(import.meta.url);" },
    });
    const file = join(dir, 'index.mjs');
    const size = statSync(file).size;
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, `await import(${JSON.stringify(pathToFileURL(file).href)});\n`);
    const t = median(Array.from({ length: RUNS }, () => wall([probe])));
    console.log(`${f.padEnd(20)} ${(size / 1e6).toFixed(2).padStart(6)} MB  import ${(t - floor).toFixed(3)} s over the floor (${t.toFixed(3)} s total)  ${t - floor <= 0.3 ? 'ok' : 'OVER 0.3 s'}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}

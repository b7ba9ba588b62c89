/**
 * Lambda cold starts, measured on what ships: the stack synthesised with bundling (`test/support/shipped.ts`, the
 * bundling options of `infra/bundling.ts`), then for each function its bundle's size and the median time a fresh
 * `node` takes to import it, less the `node -e 0` floor. The handlers are imported, not invoked. Target: every
 * bundle imports in ≤ 0.3 s. Files shipped beside a bundle (PrepareRun's tokenizer encodings) are listed with the
 * time to load them, which only a run with a budget pays.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TOKENIZER_DIR } from '../lambdas/services/judge/token-count.ts';
import { shippedAssembly } from '../test/support/shipped.ts';

const RUNS = Number(process.env.AEP_BENCH_RUNS ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const probes = mkdtempSync(join(tmpdir(), 'aep-cold-start-'));

function wall(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' } });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Median wall time of a fresh node importing `file`. */
function importTime(file: string): number {
  const probe = join(probes, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(probe, `await import(${JSON.stringify(pathToFileURL(file).href)});\n`);
  return median(Array.from({ length: RUNS }, () => wall([probe])));
}

try {
  const assembly = await shippedAssembly();
  const floor = median(Array.from({ length: RUNS }, () => wall(['-e', '0'])));
  console.log(`Shipped Lambda bundles (cdk synth with bundling), median of ${RUNS} imports each; node -e 0 floor ${floor.toFixed(3)} s`);
  for (const [id, file] of Object.entries(assembly.bundles).sort()) {
    const t = importTime(file);
    console.log(`${id.padEnd(16)} ${(statSync(file).size / 1e6).toFixed(2).padStart(6)} MB  import ${(t - floor).toFixed(3)} s over the floor (${t.toFixed(3)} s total)  ${t - floor <= 0.3 ? 'ok' : 'OVER 0.3 s'}`);
    const beside = join(dirname(file), TOKENIZER_DIR);
    if (!existsSync(beside)) continue;
    for (const name of readdirSync(beside).sort()) {
      const te = importTime(join(beside, name));
      console.log(`  beside it: ${TOKENIZER_DIR}/${name} ${(statSync(join(beside, name)).size / 1e6).toFixed(2)} MB, loaded only to count tokens: ${(te - floor).toFixed(3)} s over the floor`);
    }
  }
} finally {
  rmSync(probes, { recursive: true, force: true });
}

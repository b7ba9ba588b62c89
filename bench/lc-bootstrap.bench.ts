/**
 * LC bootstrap bench: B replicates of the instruction bootstrap (GLM refitted at the full-data C, warm started) for
 * golden models, in this thread and over worker threads; replicates per second and the ratio to the point-estimate
 * time (CV 5×10 + refits). Also the agreement of the default exact (proximal Newton) refits with liblinear refits at
 * scikit-learn's tol = 1e-4: largest move of an interval endpoint. Reference: a Python bootstrap calling
 * scikit-learn's compiled liblinear needs about 1.5 s per 1,000 replicates for one model on this 2-core machine.
 *
 * Run: npx tsx bench/lc-bootstrap.bench.ts [B] [models]   (default B = 1000, 4 models)
 */
import { workerRunner } from '../lambdas/adapters/bootstrap-workers.ts';
import { armForModel, interval95, runReplicates } from '../lambdas/core/metrics/glm/bootstrap.ts';
import { parseGamedTable } from '../lambdas/core/metrics/glm/gamed-table.ts';
import { lengthControlledWinRate, type LcAnnotationRow } from '../lambdas/core/metrics/glm/length-controlled.ts';
import type { AssetSource } from '../lambdas/ports.ts';
import { aggregate } from '../lambdas/services/aggregate.ts';
import { compareRuns } from '../lambdas/services/compare.ts';
import { goldenModels, missingFixtures, missingMessage, readFixtureJson, readFixtureText } from '../test/support/fixtures.ts';

const B = Math.max(100, Number(process.argv[2] ?? 1000) || 1000);
const nModels = Math.max(1, Number(process.argv[3] ?? 4) || 4);
const REFERENCE_S_PER_1000 = 1.5;

const models = goldenModels().filter((m) => m !== 'gpt4_1106_preview').slice(0, nModels);
const needed = ['standin/df_gamed.csv', ...models.map((m) => `annotations/${m}.annotations.json.gz`)];
const missing = missingFixtures(...needed);
if (missing.length > 0) {
  console.error(`lc-bootstrap bench: cannot run, ${missingMessage(missing)}`);
  process.exit(1);
}
const gamed = parseGamedTable(readFixtureText('standin/df_gamed.csv'), 'df_gamed.csv');

console.log(`LC bootstrap, B = ${B}, Node ${process.version}; reference (Python + compiled liblinear): ${REFERENCE_S_PER_1000} s per 1,000 replicates`);
console.log(`${'model'.padEnd(32)} ${'point ms'.padStart(9)} ${'1 thr s'.padStart(8)} ${'rep/s'.padStart(7)} ${'workers s'.padStart(10)} ${'rep/s'.padStart(7)} ${'B/point'.padStart(8)} ${'max |Δend| vs liblinear'.padStart(24)}`);
const perThousand: number[] = [];
let t0 = 0;
for (const m of models) {
  const rows = readFixtureJson<LcAnnotationRow[]>(`annotations/${m}.annotations.json.gz`);
  lengthControlledWinRate({ annotations: rows, gamed }); // warm-up (JIT)
  t0 = performance.now();
  const lc = lengthControlledWinRate({ annotations: rows, gamed });
  const pointMs = performance.now() - t0;
  const plan = { nInstructions: rows.length, seed: 20240805, solver: 'newton' as const, arms: [armForModel(rows, gamed, lc)] };
  runReplicates(plan, 0, 50); // warm-up
  t0 = performance.now();
  const one = runReplicates(plan, 0, B);
  const oneS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const many = await workerRunner().run(plan, B);
  const manyS = (performance.now() - t0) / 1000;
  const same = one.lc[0]!.every((x, k) => x === many.lc[0]![k]);
  if (!same) throw new Error(`${m}: worker-thread replicates differ from the in-thread ones`);
  const libPlan = { ...plan, solver: 'liblinear' as const, arms: [armForModel(rows, gamed, lc, { solver: 'liblinear' })] };
  const lib = runReplicates(libPlan, 0, B);
  const [lo, hi] = interval95(one.lc[0]!);
  const [llo, lhi] = interval95(lib.lc[0]!);
  const moved = Math.max(Math.abs(lo - llo), Math.abs(hi - lhi));
  perThousand.push((Math.min(oneS, manyS) * 1000) / B);
  console.log(
    `${m.padEnd(32)} ${pointMs.toFixed(0).padStart(9)} ${oneS.toFixed(2).padStart(8)} ${(B / oneS).toFixed(0).padStart(7)} ` +
      `${manyS.toFixed(2).padStart(10)} ${(B / manyS).toFixed(0).padStart(7)} ${((Math.min(oneS, manyS) * 1000) / pointMs).toFixed(1).padStart(8)} ` +
      `${moved.toFixed(4).padStart(24)}   LC ${lc.lengthControlledWinrate.toFixed(2)} [${lo.toFixed(2)}, ${hi.toFixed(2)}]`,
  );
}
const sorted = [...perThousand].sort((a, b) => a - b);
const med = sorted[sorted.length >> 1]!;
console.log(`median seconds per 1,000 replicates (best of in-thread / workers): ${med.toFixed(2)} s → ${(REFERENCE_S_PER_1000 / med).toFixed(1)}× the reference`);

// aep compare in-process (parse both annotation files, two LC fits with CV, the paired bootstrap, what changed),
// excluding Node/TypeScript start-up; and aep aggregate's aggregation with the bootstrap on vs off.
const fixtureAssets: AssetSource = {
  async text(name) {
    const file = name === 'gamed' ? 'standin/df_gamed.csv' : name === 'leaderboard' ? 'leaderboard/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv' : undefined;
    if (!file) throw new Error(`no fixture for ${name}`);
    return { text: readFixtureText(file), asset: { name, source: file, origin: 'flag', sha256: '', pinnedSha256: null, matchesPin: null, fromCache: false } };
  },
};
const [ma, mb] = ['alpaca-7b', 'alpaca-7b_verbose'];
const textOf = (m: string) => ({ text: readFixtureText(`annotations/${m}.annotations.json.gz`), file: m });
for (let k = 0; k < 2; k++) {
  t0 = performance.now();
  const c = await compareRuns({ a: textOf(ma), b: textOf(mb), assets: fixtureAssets, checkInstructionDifficulty: false, bootstrap: { replicates: B, runner: workerRunner() } });
  const cmpS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await aggregate({ annotations: textOf(ma), assets: fixtureAssets, checkInstructionDifficulty: false, bootstrap: { replicates: B, runner: workerRunner() } });
  const aggOn = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await aggregate({ annotations: textOf(ma), assets: fixtureAssets, checkInstructionDifficulty: false });
  const aggOff = (performance.now() - t0) / 1000;
  console.log(
    `${k === 0 ? 'first (cold JIT)' : 'second'}: compare ${mb} vs ${ma} ${cmpS.toFixed(2)} s (ΔLC ${c.delta_length_controlled_winrate.toFixed(2)} ` +
      `[${c.ci95[0].toFixed(2)}, ${c.ci95[1].toFixed(2)}]); aggregate ${aggOn.toFixed(2)} s with the bootstrap, ${aggOff.toFixed(2)} s without (in-process)`,
  );
}

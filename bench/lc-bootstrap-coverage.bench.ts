/**
 * Coverage study of the LC bootstrap interval: do 95 % intervals contain the true LC about 95 % of the time?
 *
 * A known GLM: the full-data fit of a golden model (its coefficients w and C) is taken as the truth, and its 805
 * instructions (model-row features tanh(std_delta_len), difficulty; each with its df_gamed rows) as the population.
 * True LC = mean over the population of σ(w_difficulty·d + w_not_gamed). Each simulated data set draws 805
 * instructions from the population with replacement, and every preference (model and gamed rows) as a Bernoulli
 * draw from σ(x·w). It is then estimated exactly as a run is: 5-fold CV over the 10 Cs, refit at the best C, LC of
 * the refitted model, and the bootstrap interval at that C (B replicates). Reported: the share of intervals that
 * contain the true LC (target 92–98 %), and for contrast the share of the official ±1.96·lc_standard_error.
 *
 * Run: npx tsx bench/lc-bootstrap-coverage.bench.ts [datasets] [B] [model]   (default 200 data sets, B = 1000)
 */
import { interval95, runReplicates, type BootstrapArm } from '../lambdas/core/metrics/glm/bootstrap.ts';
import type { TrainingSet } from '../lambdas/core/metrics/glm/features.ts';
import { parseGamedTable } from '../lambdas/core/metrics/glm/gamed-table.ts';
import {
  FEATURE_NAMES, lengthControlledWinRate, prepareLengthControlled, type LcAnnotationRow,
} from '../lambdas/core/metrics/glm/length-controlled.ts';
import { crossValidate, expit, logspaceCs, refit } from '../lambdas/core/metrics/glm/logistic-cv.ts';
import { liblinearSeedsCv } from '../lambdas/core/metrics/glm/seeds.ts';
import { npMean, pandasSem } from '../lambdas/core/metrics/numeric.ts';
import { Mt19937 } from '../lambdas/core/random/mt19937.ts';
import { missingFixtures, missingMessage, readFixtureJson, readFixtureText } from '../test/support/fixtures.ts';

const nDatasets = Math.max(1, Number(process.argv[2] ?? 200) || 200);
const B = Math.max(50, Number(process.argv[3] ?? 1000) || 1000);
const model = process.argv[4] ?? 'FuseChat-Llama-3.2-1B-Instruct';
const files = ['standin/df_gamed.csv', `annotations/${model}.annotations.json.gz`];
const missing = missingFixtures(...files);
if (missing.length > 0) {
  console.error(`lc-bootstrap-coverage bench: cannot run, ${missingMessage(missing)}`);
  process.exit(1);
}

// the truth
const gamed = parseGamedTable(readFixtureText(files[0]!), 'df_gamed.csv');
const rows = readFixtureJson<LcAnnotationRow[]>(files[1]!);
const fit = lengthControlledWinRate({ annotations: rows, gamed }, { sensitivity: false });
const w = FEATURE_NAMES.map((f) => fit.coefficients[f]);
const prepared = prepareLengthControlled({ annotations: rows, gamed });
const n = prepared.modelRows.n;
const population = Array.from({ length: n }, (_, i) => ({
  model: [Math.tanh(prepared.modelRows.stdDeltaLen[i]!), prepared.modelRows.difficulty[i]!, 1],
  gamed: [] as number[][],
})).filter((p) => p.model.every(Number.isFinite));
for (const g of gamed) {
  const p = population[g.index];
  if (p && Number.isFinite(g.std_delta_len)) p.gamed.push([Math.tanh(g.std_delta_len), g.instruction_difficulty, g.not_gamed_baseline ? 1 : 0]);
}
const trueLc = npMean(population.map((p) => expit(w[1]! * p.model[1]! + w[2]!))) * 100;
const GAMED_WEIGHT = 0.1;
const Cs = logspaceCs(-4, 4, 10);
const seeds = liblinearSeedsCv(Cs.length, 123);

console.log(`LC bootstrap coverage: ${nDatasets} data sets simulated from the full-data GLM of ${model}, B = ${B}`);
console.log(`true w = [${w.map((x) => x.toFixed(4)).join(', ')}], C = ${fit.C}, true LC = ${trueLc.toFixed(3)} (population of ${population.length} instructions)`);

const rng = Mt19937.fromSeed(20240805);
let covered = 0;
let coveredSe = 0;
let widthSum = 0;
let widthSeSum = 0;
let biasSum = 0;
const t0 = performance.now();
for (let k = 0; k < nDatasets; k++) {
  const drawn = Array.from({ length: population.length }, () => population[Math.floor(rng.nextDouble() * population.length)]!);
  const gamedRows: Array<{ x: number[]; ins: number }> = [];
  drawn.forEach((p, ins) => p.gamed.forEach((x) => gamedRows.push({ x, ins })));
  const R = gamedRows.length + drawn.length;
  const x = new Float64Array(R * 3);
  const pr = new Float64Array(R);
  const s = new Float64Array(R);
  const rowInstruction = new Int32Array(R);
  const put = (r: number, f: number[], weight: number, ins: number) => {
    x.set(f, r * 3);
    pr[r] = rng.nextDouble() < expit(f[0]! * w[0]! + f[1]! * w[1]! + f[2]! * w[2]!) ? 1 : 0;
    s[r] = weight;
    rowInstruction[r] = ins;
  };
  gamedRows.forEach((g, r) => put(r, g.x, GAMED_WEIGHT, g.ins));
  drawn.forEach((p, i) => put(gamedRows.length + i, p.model, 1, i));
  const train: TrainingSet = {
    nRows: R, nGamed: gamedRows.length, x, p: pr, s,
    gamedRow: Int32Array.from(gamedRows, (_, r) => r), modelRow: Int32Array.from(drawn, (_, i) => i),
  };
  // estimate as a run does: CV over the grid, refit at the best C, LC of the refitted model
  const cv = crossValidate(train, { Cs, seeds, nSplits: 5, foldOrder: 'stable', tol: 1e-4, maxIter: 100 });
  const C = Cs[cv.bestIndex]!;
  const wHat = refit(train, C, seeds[0]!, 1e-4, 100).w;
  const difficulty = Float64Array.from(drawn, (p) => p.model[1]!);
  const predictions = Array.from(difficulty, (d) => expit(d * wHat[1]! + wHat[2]!));
  const lcHat = npMean(predictions) * 100;
  const se = pandasSem(predictions) * 100;
  const arm: BootstrapArm = {
    C, w: wHat, seed: seeds[0]!, nRows: R, x, liblinear: null, rowInstruction,
    pos: Float64Array.from(pr, (p, r) => p * s[r]!), neg: Float64Array.from(pr, (p, r) => (1 - p) * s[r]!),
    modelInstruction: Int32Array.from(drawn, (_, i) => i), modelDifficulty: difficulty,
    modelPreference: Float64Array.from(drawn, (_, i) => pr[gamedRows.length + i]!),
  };
  const reps = runReplicates({ nInstructions: drawn.length, seed: 1000 + k, solver: 'newton', arms: [arm] }, 0, B);
  const [lo, hi] = interval95(reps.lc[0]!);
  if (lo <= trueLc && trueLc <= hi) covered++;
  if (Math.abs(lcHat - trueLc) <= 1.96 * se) coveredSe++;
  widthSum += hi - lo;
  widthSeSum += 2 * 1.96 * se;
  biasSum += lcHat - trueLc;
  if ((k + 1) % 50 === 0) console.log(`  ${k + 1} data sets: coverage so far ${((covered / (k + 1)) * 100).toFixed(1)} %`);
}
const seconds = (performance.now() - t0) / 1000;
const share = covered / nDatasets;
// binomial standard error of the estimated coverage
const mc = Math.sqrt((share * (1 - share)) / nDatasets);
console.log(`bootstrap 95 % interval contains the true LC in ${covered} of ${nDatasets} data sets: ${(share * 100).toFixed(1)} % (± ${(1.96 * mc * 100).toFixed(1)} Monte-Carlo), mean width ${(widthSum / nDatasets).toFixed(2)} points`);
console.log(`official ±1.96·lc_standard_error contains it in ${coveredSe} of ${nDatasets}: ${((coveredSe / nDatasets) * 100).toFixed(1)} %, mean width ${(widthSeSum / nDatasets).toFixed(2)} points`);
console.log(`mean LC estimate − true LC: ${(biasSum / nDatasets).toFixed(3)} points; ${seconds.toFixed(0)} s`);
console.log(share >= 0.92 && share <= 0.98 ? 'coverage within the 92–98 % target' : 'coverage OUTSIDE the 92–98 % target');

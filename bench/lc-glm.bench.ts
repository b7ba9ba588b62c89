/**
 * LC GLM bench: wall time of the length-controlled win rate (5×10 CV fits + refit, plus the two
 * neighbouring-C refits of the sensitivity band) for the 15 golden models, excluding file loading.
 * Reference: the Python reference implementation (sklearn 1.2.1 calling liblinear C) takes a median of
 * 103 ms per model (golden `timing.lc_seconds_median`, 2 CPU cores).
 *
 * Run: npx tsx bench/lc-glm.bench.ts [runs]   (default 7 runs per model, after one warm-up pass)
 */
import { goldenModels, missingFixtures, missingMessage, readFixtureJson, readFixtureText } from '../test/support/fixtures.ts';
import { parseGamedTable } from '../lambdas/core/metrics/glm/gamed-table.ts';
import { lengthControlledWinRate, type LcAnnotationRow } from '../lambdas/core/metrics/glm/length-controlled.ts';

const REFERENCE_MEDIAN_MS = 103;
const runs = Math.max(5, Number(process.argv[2] ?? 7) || 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const models = goldenModels();
const needed = ['standin/df_gamed.csv', ...models.flatMap((m) => [`annotations/${m}.annotations.json.gz`, `golden/${m}.json`])];
const missing = missingFixtures(...needed);
if (missing.length > 0) {
  console.error(`lc-glm bench: cannot run, ${missingMessage(missing)}`);
  process.exit(1);
}

const gamed = parseGamedTable(readFixtureText('standin/df_gamed.csv'), 'df_gamed.csv');
const inputs = models.map((m) => ({
  model: m,
  annotations: readFixtureJson<LcAnnotationRow[]>(`annotations/${m}.annotations.json.gz`),
  referenceMs: (readFixtureJson<{ timing?: { lc_seconds_median?: number } }>(`golden/${m}.json`).timing?.lc_seconds_median ?? NaN) * 1000,
}));

for (const inp of inputs) lengthControlledWinRate({ annotations: inp.annotations, gamed }); // warm-up (JIT)

const rows: Array<{ model: string; ms: number; ref: number }> = [];
for (const inp of inputs) {
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    lengthControlledWinRate({ annotations: inp.annotations, gamed });
    times.push(performance.now() - t0);
  }
  rows.push({ model: inp.model, ms: median(times), ref: inp.referenceMs });
}

console.log(`LC GLM (CV 5×10 + refit + 2 sensitivity refits), median of ${runs} runs per model, Node ${process.version}`);
console.log(`${'model'.padEnd(32)} ${'ours ms'.padStart(9)} ${'ref ms'.padStart(9)} ${'ours/ref'.padStart(9)}`);
for (const r of rows) {
  console.log(`${r.model.padEnd(32)} ${r.ms.toFixed(1).padStart(9)} ${r.ref.toFixed(1).padStart(9)} ${(r.ms / r.ref).toFixed(2).padStart(9)}`);
}
const fitted = rows.filter((r) => r.model !== 'gpt4_1106_preview');
const med = median(fitted.map((r) => r.ms));
console.log(
  `median per fitted model (${fitted.length}, baseline excluded): ${med.toFixed(1)} ms vs reference ${REFERENCE_MEDIAN_MS} ms ` +
    `→ ratio ${(med / REFERENCE_MEDIAN_MS).toFixed(2)} (${(REFERENCE_MEDIAN_MS / med).toFixed(1)}× faster)`,
);
console.log(`median over all 15 models: ${median(rows.map((r) => r.ms)).toFixed(1)} ms`);

/** `aep compare --a A --b B`: is B better than A? ΔLC with its paired bootstrap interval, p-value and verdict. */
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { workerRunner } from '../../lambdas/adapters/bootstrap-workers.ts';
import { renderComparePage } from '../../lambdas/core/report/compare-page.ts';
import { RUN_FILES } from '../../lambdas/core/run/layout.ts';
import { compareRuns, type CompareOutput } from '../../lambdas/services/compare.ts';
import { bootstrapOption, readInput, threadsOption } from './aggregate.ts';
import { action, assetResolver } from './common.ts';

interface CompareFlags {
  a: string;
  b: string;
  instructionDifficulty?: string;
  gamed?: string;
  cacheDir?: string;
  foldOrder: 'stable' | 'numpy-classic';
  bootstrap: number;
  threads?: number;
  json?: boolean;
  html?: string;
}

/** An annotations file, or a run folder holding annotations.json. */
async function annotationsOf(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() ? join(path, RUN_FILES.annotations) : path;
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('is checkpoint B better than A? ΔLC with its 95% bootstrap interval and p-value, paired tests, a verdict and what changed')
    .requiredOption('--a <file|dir>', 'annotations.json of model A (or a run folder holding one; .gz accepted)')
    .requiredOption('--b <file|dir>', 'annotations.json of model B, judged on the same instructions (or a run folder)')
    .option('--instruction-difficulty <path|url>', 'instruction_difficulty.csv, checked against df_gamed.csv (default: the public HF file)')
    .option('--gamed <path|url>', 'df_gamed.csv for the LC GLM (default: the public HF file)')
    .addOption(new Option('--fold-order <order>', 'GroupKFold tie order of the LC cross-validation').choices(['stable', 'numpy-classic']).default('stable'))
    .option('--cache-dir <dir>', 'where downloaded assets are cached (default: $AEP_CACHE_DIR or ~/.cache/alpaca-eval-pipeline)')
    .addOption(bootstrapOption('bootstrap replicates over the shared instructions (at least 1; fixed seed, deterministic)'))
    .addOption(threadsOption())
    .option('--json', 'print one JSON object on stdout (without the flipped outputs)')
    .option('--html <file>', 'also write a self-contained comparison page (what changed, flip explorer)')
    .action(action('compare', async (flags: CompareFlags) => {
      if (flags.bootstrap < 1) throw new Error('--bootstrap must be at least 1 for a comparison');
      const assets = assetResolver({ gamed: flags.gamed, 'instruction-difficulty': flags.instructionDifficulty }, flags.cacheDir);
      const result = await compareRuns({
        a: await readInput(await annotationsOf(flags.a)),
        b: await readInput(await annotationsOf(flags.b)),
        assets,
        foldOrder: flags.foldOrder,
        bootstrap: { replicates: flags.bootstrap, runner: workerRunner(flags.threads) },
      });
      for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
      if (flags.html) {
        await writeFile(resolve(flags.html), renderComparePage(result));
      }
      if (flags.json) {
        const { flips: _flips, ...changed } = result.what_changed;
        process.stdout.write(`${JSON.stringify({ ...result, what_changed: changed })}\n`);
        return;
      }
      process.stdout.write(summary(result, flags.html ? resolve(flags.html) : undefined));
    }));
}

function summary(r: CompareOutput, html: string | undefined): string {
  const f = (x: number) => x.toFixed(2);
  const s = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
  const p = (x: number) => (x < 0.001 ? x.toExponential(1) : x.toFixed(3));
  const t = r.paired.tTest;
  const sg = r.paired.signTest;
  const len = r.what_changed.length;
  const lines = [
    `B ${r.b.name} vs A ${r.a.name} (${r.shared} shared instructions, ${r.bootstrap.replicates} bootstrap replicates)`,
    `  ΔLC (B − A)        ${s(r.delta_length_controlled_winrate)}  95% CI [${f(r.ci95[0])}, ${f(r.ci95[1])}]  p = ${p(r.p_value)}   (LC ${f(r.a.length_controlled_winrate)} → ${f(r.b.length_controlled_winrate)})`,
    `  Δ win rate         ${s(r.delta_win_rate)}  95% CI [${f(r.win_rate_ci95[0])}, ${f(r.win_rate_ci95[1])}]  p = ${p(r.win_rate_p_value)}`,
    `  paired preferences t-test mean ${s(t.mean)} [${f(t.ci95[0])}, ${f(t.ci95[1])}] p = ${p(t.p)}; sign test ${sg.better} better / ${sg.worse} worse, p = ${p(sg.p)}`,
    `  length             ${len.avgA.toFixed(0)} → ${len.avgB.toFixed(0)} characters (${s(len.delta)})` +
      (len.shareOfWinRateChange === null ? '' : `; ${(len.shareOfWinRateChange * 100).toFixed(0)}% of the raw win-rate change is what LC removes`),
    `  flips              ${r.what_changed.counts.toWin} loss → win, ${r.what_changed.counts.toLoss} win → loss`,
    `  per dataset        ${r.what_changed.byDataset.map((d) => `${d.dataset} ${s(d.tTest.mean)} [${f(d.tTest.ci95[0])}, ${f(d.tTest.ci95[1])}] (n=${d.n})`).join('; ')}`,
    `verdict: ${r.verdict === 'no detectable difference' ? 'no detectable difference in LC (the 95% interval contains 0)' : `B is ${r.verdict} than A (the 95% interval of ΔLC excludes 0)`}`,
  ];
  if (html) lines.push(`wrote ${html}`);
  return `${lines.join('\n')}\n`;
}

/** `aep aggregate`: annotations → metrics.json, leaderboard.csv, annotations.json (with glm_preference). */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Command, Option } from 'commander';
import { DEFAULT_BOOTSTRAP_REPLICATES } from '../../lambdas/core/metrics/glm/bootstrap.ts';
import { InputError } from '../../lambdas/core/errors.ts';
import { aggregate, lcDetails, type MetricsDocument } from '../../lambdas/services/aggregate.ts';
import { OFFICIAL_SCALE } from '../../lambdas/core/judge/scale.ts';
import { workerRunner } from '../../lambdas/adapters/bootstrap-workers.ts';
import { action, assetResolver, nonNegativeInt, positiveInt } from './common.ts';
import { readCalibration } from './calibration-file.ts';

interface AggregateFlags {
  annotations: string;
  modelOutputs?: string;
  instructionDifficulty?: string;
  gamed?: string;
  leaderboard?: string;
  name?: string;
  out: string;
  json?: boolean;
  foldOrder: 'stable' | 'numpy-classic';
  cacheDir?: string;
  bootstrap: number;
  threads?: number;
  calibration?: string;
}

export async function readInput(path: string): Promise<{ text: string; file: string }> {
  try {
    const bytes = await readFile(path);
    return { text: (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'), file: path };
  } catch (err) {
    throw new InputError({ file: path }, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

export function aggregateCommand(): Command {
  return new Command('aggregate')
    .description('compute the AlpacaEval 2.0 metrics (win rate, LC win rate) of an annotations.json and insert the model into the leaderboard')
    .requiredOption('--annotations <file>', 'annotations.json in the official row format (.gz accepted)')
    .option('--model-outputs <file>', 'model_outputs.json (avg_length is computed from it; else from output_2)')
    .option('--instruction-difficulty <path|url>', 'instruction_difficulty.csv, checked against df_gamed.csv (default: the public HF file)')
    .option('--gamed <path|url>', 'df_gamed.csv for the LC GLM (default: the public HF file)')
    .option('--leaderboard <path|url>', 'the official AlpacaEval 2.0 leaderboard CSV (default: pinned public copy)')
    .option('--name <name>', 'leaderboard name of the model (default: its generator)')
    .option('--out <dir>', 'output directory', '.')
    .option('--json', 'print one JSON object (the metrics) on stdout')
    .addOption(new Option('--fold-order <order>', 'GroupKFold tie order of the LC cross-validation').choices(['stable', 'numpy-classic']).default('stable'))
    .option('--calibration <file>', 'calibration.json of the judge (aep calibrate): adds the official-scale estimate with its interval; the leaderboard row carries the estimate')
    .option('--cache-dir <dir>', 'where downloaded assets are cached (default: $AEP_CACHE_DIR or ~/.cache/alpaca-eval-pipeline)')
    .addOption(bootstrapOption())
    .addOption(threadsOption())
    .action(action('aggregate', async (flags: AggregateFlags) => {
      const assets = assetResolver({ gamed: flags.gamed, 'instruction-difficulty': flags.instructionDifficulty, leaderboard: flags.leaderboard }, flags.cacheDir);
      const annotations = await readInput(flags.annotations);
      const result = await aggregate({
        annotations,
        ...(flags.calibration ? { calibration: await readCalibration(flags.calibration, annotations) } : {}),
        modelOutputs: flags.modelOutputs ? await readInput(flags.modelOutputs) : undefined,
        name: flags.name,
        assets,
        foldOrder: flags.foldOrder,
        bootstrap: { replicates: flags.bootstrap, runner: workerRunner(flags.threads) },
      });
      const out = resolve(flags.out);
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'metrics.json'), `${JSON.stringify(result.metrics, null, 2)}\n`);
      await writeFile(join(out, 'leaderboard.csv'), result.leaderboardCsv);
      await writeFile(join(out, 'lc_glm.json'), `${JSON.stringify(lcDetails(result.lc), null, 2)}\n`);
      for (const w of result.metrics.warnings) process.stderr.write(`warning: ${w}\n`);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result.metrics)}\n`);
        return;
      }
      const m = result.metrics;
      const f = (x: number) => x.toFixed(2);
      const ci = (c: [number, number] | null) => (c ? `  95% CI [${f(c[0])}, ${f(c[1])}]` : '');
      process.stdout.write([
        `${m.name} vs ${m.baseline} (${m.n_total} judged rows${m.n_failed_annotations ? `, ${m.n_failed_annotations} failed` : ''})`,
        `  length-controlled win rate  ${f(m.length_controlled_winrate)}${ci(m.length_controlled_winrate_ci95)}   (official lc_standard_error ${f(m.lc_standard_error)}; C-sensitivity band ${f(m.lc_sensitivity.band[0])}–${f(m.lc_sensitivity.band[1])})`,
        `  win rate                    ${f(m.win_rate)}${ci(m.win_rate_ci95)}   (standard error ${f(m.standard_error)})`,
        `  discrete win rate           ${f(m.discrete_win_rate)}   wins ${m.n_wins} / losses ${m.n_wins_base} / draws ${m.n_draws}`,
        `  average length              ${m.avg_length}`,
        ...scaleLines(m),
        `  leaderboard rank            ${m.leaderboard.rank ?? '-'} of ${m.leaderboard.size}${m.official_scale ? ' (by the official-scale estimate)' : ''}`,
        `wrote metrics.json, leaderboard.csv and lc_glm.json to ${out}`,
        '',
      ].join('\n'));
    }));
}

/** The judge and scale lines of the summary: which scale the numbers are on, and the official-scale estimate. */
export function scaleLines(m: MetricsDocument): string[] {
  const f = (x: number) => x.toFixed(2);
  const snaps = Object.keys(m.judge.snapshots);
  const judge = `${m.judge.preset ?? 'unknown'}${snaps.length ? ` (answered by ${snaps.join(', ')})` : m.judge.model ? ` (${m.judge.model})` : ''}`;
  if (m.judge.scale === OFFICIAL_SCALE) return [`  judge                       ${judge} — the official AlpacaEval 2.0 scale`];
  const lines = [`  judge                       ${judge} — numbers above are on this judge's scale (${m.judge.scale})`];
  const o = m.official_scale;
  if (o) {
    lines.push(`  official scale              LC ${f(o.length_controlled_winrate)}   (${Math.round(o.level * 100)} % interval ${f(o.interval[0])}–${f(o.interval[1])}; estimate through the calibration ${o.calibration.file})`);
  } else {
    lines.push('  official-scale estimate     none: no calibration for this judge (aep calibrate, --calibration)');
  }
  return lines;
}

/** `--bootstrap N`: replicates of the instruction bootstrap. Shared by aggregate (0 = off) and compare (at least 1). */
export function bootstrapOption(
  description = 'bootstrap replicates over instructions for the 95% intervals (0 = off; fixed seed, deterministic)',
): Option {
  return new Option('--bootstrap <n>', description).default(DEFAULT_BOOTSTRAP_REPLICATES).argParser(nonNegativeInt);
}

/** `--threads N`: worker threads of the bootstrap (the numbers do not depend on it). */
export function threadsOption(): Option {
  return new Option('--threads <n>', 'threads for the bootstrap (default: one per 1,000 refits, up to the available cores; results do not depend on it)')
    .argParser(positiveInt);
}

/**
 * `aep calibrate`: the bridge from a judge's scale to the official AlpacaEval 2.0 scale, from a leaderboard of that
 * judge (no judge spend): writes calibration.json and prints the panel's held-out check.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { sha256Hex } from '../../lambdas/adapters/assets.ts';
import type { CalibrationDocument } from '../../lambdas/core/calibration/calibration.ts';
import { UsageError } from '../../lambdas/core/errors.ts';
import { calibrationFromLeaderboards } from '../../lambdas/services/calibration.ts';
import { readInput } from './aggregate.ts';
import { action, assetResolver } from './common.ts';
import { resolvePreset } from './judge.ts';

interface CalibrateFlags {
  fromLeaderboard?: string;
  judge?: string;
  judgeModel?: string;
  leaderboard?: string;
  judgeLeaderboard?: string;
  panel?: string;
  out: string;
  json?: boolean;
  cacheDir?: string;
}

function f(x: number | undefined): string {
  return x === undefined ? '-' : x.toFixed(1);
}

/** The printed table: every model of the judge's board, panel models with their held-out check. */
export function formatCalibration(doc: CalibrationDocument): string {
  const rows = doc.models.map((m) => {
    const held = m.loo_interval
      ? `${f(m.official_lc)}  ${f(m.loo_predicted_lc)} [${f(m.loo_interval[0])}, ${f(m.loo_interval[1])}]${m.official_lc! >= m.loo_interval[0] && m.official_lc! <= m.loo_interval[1] ? '' : '  outside'}`
      : '(not on the official board)';
    return `  ${m.name.padEnd(34)} ${f(m.judge_lc).padStart(6)}  →  ${f(m.predicted_lc).padStart(5)} [${f(m.interval[0])}, ${f(m.interval[1])}]   ${held}`;
  });
  const lc = doc.lc;
  return [
    `calibration of judge ${doc.judge.name}${doc.judge.model ? ` (${doc.judge.model})` : ''} to the official AlpacaEval 2.0 scale`,
    `  map: logit(official LC) = ${lc.map.intercept.toFixed(3)} + ${lc.map.slope.toFixed(3)} · logit(judge LC) · panel ${lc.map.n} models`,
    `  held out one model at a time: mean |error| ${lc.loo_mae.toFixed(2)} LC points, ${Math.round(lc.loo_coverage * lc.map.n)}/${lc.map.n} official values inside their 95 % intervals`,
    `  ${'model'.padEnd(34)} ${'judge'.padStart(6)}  →  official-scale [95 %]     official  held-out [95 %]`,
    ...rows,
  ].join('\n');
}

export function calibrateCommand(): Command {
  return new Command('calibrate')
    .description('bridge a judge\'s LC and win rate to the official AlpacaEval 2.0 scale from a leaderboard of that judge; writes calibration.json')
    .option('--from-leaderboard <file>', 'a leaderboard CSV judged by the judge to calibrate (official format); default: the judge\'s public leaderboard when it has one (gpt5_nano)')
    .option('--judge <preset>', 'the judge that made that leaderboard (a preset name)')
    .option('--judge-model <name>', 'the judge\'s model, when it is not a preset')
    .option('--judge-leaderboard <path|url>', 'a local copy of the judge\'s public leaderboard (gpt5_nano), instead of the pinned download')
    .option('--leaderboard <path|url>', 'the official AlpacaEval 2.0 leaderboard CSV (default: pinned public copy)')
    .option('--panel <models>', 'comma-separated panel: only these models (default: every model on both boards but the baseline)')
    .option('--out <file>', 'where to write the calibration', 'calibration.json')
    .option('--json', 'print the calibration as one JSON object on stdout')
    .option('--cache-dir <dir>', 'where downloaded assets are cached (default: $AEP_CACHE_DIR or ~/.cache/alpaca-eval-pipeline)')
    .action(action('calibrate', async (flags: CalibrateFlags) => {
      if (flags.judge === undefined && flags.judgeModel === undefined) {
        throw new UsageError('name the judge to calibrate with --judge PRESET or --judge-model NAME');
      }
      const preset = resolvePreset(flags);
      const assets = assetResolver({ leaderboard: flags.leaderboard, 'gpt5-nano-leaderboard': flags.judgeLeaderboard }, flags.cacheDir);
      let judgeBoard: { text: string; ref: { source: string; sha256: string } };
      if (flags.fromLeaderboard) {
        const input = await readInput(flags.fromLeaderboard);
        judgeBoard = { text: input.text, ref: { source: resolve(input.file), sha256: sha256Hex(input.text) } };
      } else if (preset.calibrationLeaderboard) {
        const got = await assets.text(preset.calibrationLeaderboard);
        judgeBoard = { text: got.text, ref: { source: got.asset.source, sha256: got.asset.sha256 } };
      } else {
        throw new UsageError(`judge ${preset.name} has no public leaderboard: give one judged by it with --from-leaderboard FILE`);
      }
      const official = await assets.text('leaderboard');
      const doc = calibrationFromLeaderboards({
        judge: { name: preset.name, model: preset.model, snapshot: null },
        judgeBoard,
        official: { text: official.text, ref: { source: official.asset.source, sha256: official.asset.sha256 } },
        ...(flags.panel ? { panel: flags.panel.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
        now: new Date(),
      });
      const out = resolve(flags.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, `${JSON.stringify(doc, null, 2)}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(doc)}\n`);
      else process.stdout.write(`${formatCalibration(doc)}\nwrote ${out}\n`);
    }));
}

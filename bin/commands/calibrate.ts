/**
 * `aep calibrate`: a bridge from judge X's scale to the official AlpacaEval 2.0 scale. Either judges the panel with X
 * (cost estimate first, `--max-cost` honoured, judge cache and Batch API as in `aep judge`) or, with
 * `--from-leaderboard`, reads a ready leaderboard of judge X (no judge spend). Writes DIR/calibration.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Command, InvalidArgumentError } from 'commander';
import { atomicWrite, defaultCacheDir, sha256Hex } from '../../lambdas/adapters/assets.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { OpenAIBatchClient } from '../../lambdas/adapters/openai-batch.ts';
import { OpenAIJudgeClient } from '../../lambdas/adapters/openai-judge-client.ts';
import { BlobJudgeCache, judgeCacheDir } from '../../lambdas/adapters/judge-cache.ts';
import { DEFAULT_PANEL, panelAssetSpec } from '../../lambdas/core/assets-catalog.ts';
import type { CalibrationDocument } from '../../lambdas/core/calibration/document.ts';
import { InputError, UsageError } from '../../lambdas/core/errors.ts';
import { findJudgePreset, type JudgePreset } from '../../lambdas/core/judge/presets.ts';
import {
  calibrateFromLeaderboard, calibrateWithPanel, judgeIdentity, shippedNanoCalibration, shipsCalibration, type CalibrationJudge, type PanelFiles,
} from '../../lambdas/services/calibrate.ts';
import { estimateJudgeRun } from '../../lambdas/services/judge/estimate.ts';
import { loadJudgeRun } from '../../lambdas/services/judge/prepare.ts';
import { DEFAULT_SCHEDULER_SETTINGS } from '../../lambdas/services/judge/scheduler.ts';
import { createPromptTokenCounter } from '../../lambdas/services/judge/token-count.ts';
import { checkJudgeEngineFlags, engineUseLine, judgeEngineOption, judgeTensorParallelOption } from './judge-engine-flags.ts';
import { action, assetResolver, nonNegativeNumber, positiveInt } from './common.ts';
import { resolvePreset } from './judge.ts';

interface CalibrateFlags {
  judge?: string;
  judgeModel?: string;
  judgeBaseUrl?: string;
  fromLeaderboard?: string | true;
  panel?: string;
  panelDir?: string;
  out: string;
  json?: boolean;
  maxCost?: number;
  batchApi?: boolean;
  concurrency: number;
  evalSet?: string;
  judgeTemplate?: string;
  gamed?: string;
  leaderboard?: string;
  nanoLeaderboard?: string;
  cacheDir?: string;
  level: number;
  judgeEngine?: 'vllm';
  judgeTensorParallel?: number;
}

async function readText(path: string): Promise<string> {
  try {
    const bytes = await readFile(path);
    return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (err) {
    throw new InputError({ file: path }, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

/** The judge of a calibration: a known preset, else (for a ready leaderboard) the name as given. */
function calibrationJudge(f: CalibrateFlags, needPreset: boolean): { identity: CalibrationJudge; preset?: JudgePreset } {
  if (needPreset || f.judgeModel !== undefined || (f.judge !== undefined && findJudgePreset(f.judge))) {
    const preset = resolvePreset(f);
    return { identity: judgeIdentity(preset), preset };
  }
  if (f.judge === undefined) throw new UsageError('--from-leaderboard needs --judge NAME (or --judge-model NAME): the judge of that leaderboard');
  return { identity: { preset: f.judge, model: null, snapshot: null, scale: `judge:${f.judge}` } };
}

function panelFiles(f: CalibrateFlags, assets: ReturnType<typeof assetResolver>): (model: string) => Promise<PanelFiles> {
  return async (model) => {
    if (f.panelDir) {
      const pick = (kind: string, base: string) => [join(f.panelDir!, kind, `${base}.gz`), join(f.panelDir!, kind, base)].find((p) => existsSync(p))
        ?? join(f.panelDir!, kind, base);
      const o = pick('outputs', `${model}.model_outputs.json`);
      const a = pick('annotations', `${model}.annotations.json`);
      const [ot, at] = [await readText(o), await readText(a)];
      return { outputs: { text: ot, file: o, sha256: sha256Hex(ot) }, annotations: { text: at, file: a, sha256: sha256Hex(at) } };
    }
    const [o, a] = [await assets.getSpec(panelAssetSpec(model, 'outputs')), await assets.getSpec(panelAssetSpec(model, 'annotations'))];
    return {
      outputs: { text: o.bytes.toString('utf8'), file: o.source, sha256: o.sha256 },
      annotations: { text: a.bytes.toString('utf8'), file: a.source, sha256: a.sha256 },
    };
  };
}

function level(value: string): number {
  const n = Number(value);
  if (!(n >= 0.5 && n <= 0.99)) throw new InvalidArgumentError('expected a number between 0.5 and 0.99');
  return n;
}

const f1 = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1));

export function formatCalibration(doc: CalibrationDocument): string {
  const lines = [
    `calibration of judge ${doc.judge.scale} onto the official AlpacaEval 2.0 scale (${doc.method}, ${Math.round(doc.level * 100)} % intervals from leave-one-model-out errors)`,
    `  map: logit(official LC) = ${doc.map.lc.a.toFixed(3)} + ${doc.map.lc.b.toFixed(3)} · logit(judge LC); panel of ${doc.panel.length}`,
    '',
    `  ${'model'.padEnd(34)} ${'judge LC'.padStart(8)} ${'official'.padStart(8)} ${'LOO pred'.padStart(8)} ${'LOO interval'.padStart(13)}  ${'predicted'.padStart(9)} ${'interval'.padStart(13)}`,
  ];
  let covered = 0;
  for (const m of doc.models) {
    const loo = doc.loo.lc.find((r) => r.name === m.name);
    if (loo?.covered) covered++;
    lines.push(`  ${m.name.slice(0, 34).padEnd(34)} ${f1(m.judge_lc).padStart(8)} ${f1(m.official_lc).padStart(8)} ${f1(m.loo_predicted_lc).padStart(8)} ${(m.loo_interval ? `${f1(m.loo_interval[0])}–${f1(m.loo_interval[1])}` : '-').padStart(13)}  ${f1(m.predicted_lc).padStart(9)} ${`${f1(m.interval[0])}–${f1(m.interval[1])}`.padStart(13)}`);
  }
  const rmse = Math.sqrt(doc.loo.lc.reduce((s, r) => s + r.loo_error ** 2, 0) / doc.loo.lc.length);
  lines.push('', `  leave-one-model-out: RMSE ${rmse.toFixed(2)} LC points; ${covered} of ${doc.loo.lc.length} panel models inside their held-out interval`);
  if (doc.agreement?.length) {
    lines.push('  row agreement with the official judge (same side, ties excluded; correlation):');
    for (const a of doc.agreement) lines.push(`    ${a.name.padEnd(34)} ${a.same_side === null ? '-' : `${(a.same_side * 100).toFixed(1)} %`}  r = ${a.correlation === null ? '-' : a.correlation.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function calibrationJson(doc: CalibrationDocument): Record<string, unknown> {
  return { judge: doc.judge.scale, judge_details: doc.judge, method: doc.method, level: doc.level, map: { a: doc.map.lc.a, b: doc.map.lc.b, half_width_logit: doc.map.lc.half_width_logit }, panel: doc.panel, models: doc.models };
}

/** `--judge-engine vllm`: the panel is judged by the preset's open weights on a vLLM started at the first uncached row. */
async function panelJudgeEngine(f: CalibrateFlags, preset: JudgePreset) {
  const { LazyJudgeEngine } = await import('../../lambdas/adapters/vllm-judge-engine.ts');
  await checkJudgeEngineFlags({ judgeBaseUrl: f.judgeBaseUrl, batchApi: f.batchApi, preset, env: process.env, nothing: '; nothing was judged' });
  return new LazyJudgeEngine(preset, { env: process.env, ...(f.judgeTensorParallel ? { tensorParallel: f.judgeTensorParallel } : {}) });
}

async function calibrate(f: CalibrateFlags): Promise<void> {
  const cacheRoot = f.cacheDir ?? defaultCacheDir(process.env);
  const assets = assetResolver({
    'eval-set': f.evalSet, 'judge-template': f.judgeTemplate, gamed: f.gamed, leaderboard: f.leaderboard, 'gpt5-nano-leaderboard': f.nanoLeaderboard,
  }, cacheRoot);
  const panel = f.panel?.split(',').map((s) => s.trim()).filter(Boolean);
  let doc: CalibrationDocument;
  if (f.fromLeaderboard !== undefined) {
    const { identity, preset } = calibrationJudge(f, false);
    if (f.fromLeaderboard === true) {
      if (!shipsCalibration(preset ?? { name: f.judge ?? '', officialConfig: f.judge ?? null, model: '' })) throw new UsageError('--from-leaderboard without a CSV uses the public board of the gpt5_nano judge only; give --judge gpt5_nano, or the CSV of your judge\'s leaderboard');
      doc = await shippedNanoCalibration(assets, identity);
    } else {
      const file = resolve(f.fromLeaderboard);
      doc = await calibrateFromLeaderboard({ judge: identity, board: { text: await readText(file), file }, assets, panel, level: f.level });
    }
  } else {
    const { identity, preset } = calibrationJudge(f, true);
    const engine = f.judgeEngine ? await panelJudgeEngine(f, preset!) : undefined;
    const apiKey = engine ? 'EMPTY' : process.env.OPENAI_API_KEY;
    if (!apiKey) throw new UsageError('OPENAI_API_KEY is not set; export the judge API key, or use --from-leaderboard CSV (no judge spend)');
    const names = panel ?? Object.keys(DEFAULT_PANEL);
    const files = panelFiles(f, assets);
    const cache = BlobJudgeCache.inDirectory(judgeCacheDir(cacheRoot));
    const counter = await createPromptTokenCounter(preset!.model);
    let cost = 0;
    let unknown = false;
    let requests = 0;
    for (const model of names) {
      const p = await files(model);
      const prepared = await loadJudgeRun({ assets, modelOutputs: { text: p.outputs.text, fileName: p.outputs.file }, preset: preset!, name: model });
      const e = await estimateJudgeRun({ prepared, preset: preset!, cache, counter });
      const c = f.batchApi ? e.costBatchUsd : e.costRealTimeUsd;
      if (c === null) unknown = true;
      cost += c ?? 0;
      requests += e.requests;
    }
    process.stderr.write(`aep calibrate: judging ${names.length} panel models with ${preset!.model}: ${requests} requests not in the cache, estimated cost ${unknown ? 'unknown (no prices for this model)' : `$${cost.toFixed(2)}`}${f.batchApi ? ' (Batch API)' : ''}\n`);
    if (f.maxCost !== undefined && (unknown || cost > f.maxCost)) {
      throw new UsageError(`the estimated cost ${unknown ? 'is unknown' : `$${cost.toFixed(2)}`} exceeds --max-cost $${f.maxCost.toFixed(2)}; nothing was judged`);
    }
    const connection = { model: preset!.model, apiKey, baseUrl: f.judgeBaseUrl, request: preset!.request };
    const cacheDir = judgeCacheDir(cacheRoot);
    try {
      ({ doc } = await calibrateWithPanel({
        judge: identity, panel: names, files, assets, level: f.level,
        judgeOptions: {
          preset: preset!, client: engine ? engine.client(preset!, process.env.AEP_JUDGE_API_KEY || 'EMPTY') : new OpenAIJudgeClient(connection), cache,
          scheduler: { ...DEFAULT_SCHEDULER_SETTINGS, concurrency: f.concurrency },
          batch: f.batchApi ? { client: new OpenAIBatchClient(connection), state: new FileBlobStore(cacheDir), pollIntervalMs: 30_000, maxPollIntervalMs: 60_000 } : undefined,
        },
        onModel: (r) => process.stderr.write(`  ${r.name}: judge LC ${r.judge.length_controlled_winrate.toFixed(1)}, win rate ${r.judge.win_rate.toFixed(1)} (${r.requests} requests)\n`),
      }));
    } finally {
      if (engine) {
        await engine.stop();
        process.stderr.write(`  ${engineUseLine(await engine.usage())}\n`);
      }
    }
  }
  const out = resolve(f.out);
  await mkdir(out, { recursive: true });
  const path = join(out, 'calibration.json');
  await atomicWrite(path, `${JSON.stringify(doc, null, 2)}\n`);
  if (f.json) {
    process.stdout.write(`${JSON.stringify(calibrationJson(doc))}\n`);
    return;
  }
  process.stdout.write(`${formatCalibration(doc)}wrote ${path}\n`);
}

export function calibrateCommand(): Command {
  return new Command('calibrate')
    .description('build a bridge from a judge\'s scale to the official AlpacaEval 2.0 scale (writes DIR/calibration.json)')
    .option('--judge <preset>', 'the judge to calibrate (a preset; with --from-leaderboard any name)')
    .option('--judge-model <name>', 'judge model name (a preset\'s model selects that preset)')
    .option('--judge-base-url <url>', 'OpenAI-compatible judge base URL including /v1')
    .addOption(judgeEngineOption('the panel'))
    .addOption(judgeTensorParallelOption())
    .option('--from-leaderboard [csv]', 'build from a ready leaderboard of the judge (no judge spend); without CSV: the pinned public gpt-5-nano board (--judge gpt5_nano)')
    .option('--panel <models>', `comma-separated panel models (default: ${Object.keys(DEFAULT_PANEL).join(',')})`)
    .option('--panel-dir <dir>', 'local copies of the panel files: DIR/outputs/<model>.model_outputs.json[.gz] and DIR/annotations/<model>.annotations.json[.gz]')
    .option('--level <p>', 'coverage of the prediction intervals (0.5–0.99; needs ⌈p·n⌉ ≤ n − 1 held-out models for finite intervals)', level, 0.9)
    .option('--max-cost <usd>', 'refuse to judge when the estimated cost exceeds this (or is unknown)', nonNegativeNumber)
    .option('--batch-api', 'judge the panel through the OpenAI Batch API (half price, slow)')
    .option('--concurrency <n>', 'judge requests in flight', positiveInt, DEFAULT_SCHEDULER_SETTINGS.concurrency)
    .option('--eval-set <path|url>', 'eval set override')
    .option('--judge-template <path|url>', 'judge prompt template override')
    .option('--gamed <path|url>', 'df_gamed.csv override (LC GLM)')
    .option('--leaderboard <path|url>', 'the official leaderboard CSV override (the target scale)')
    .option('--nano-leaderboard <path|url>', 'the gpt-5-nano leaderboard override (default: pinned public copy)')
    .option('--out <dir>', 'output directory', '.')
    .option('--json', 'print one JSON object ({judge, models: [...]}) on stdout')
    .option('--cache-dir <dir>', 'assets and judge cache (default: $AEP_CACHE_DIR or ~/.cache/alpaca-eval-pipeline)')
    .action(action('calibrate', calibrate));
}

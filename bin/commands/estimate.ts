/**
 * `aep estimate`: the tokens and dollars a judge run with the same inputs would spend, before it starts. Accepts every
 * `aep judge` option (so a script can swap the command); only the inputs, the judge and the cache matter.
 */
import { Command } from 'commander';
import { defaultCacheDir } from '../../lambdas/adapters/assets.ts';
import { BlobJudgeCache, judgeCacheDir } from '../../lambdas/adapters/judge-cache.ts';
import { estimateJudgeRun, formatEstimate } from '../../lambdas/services/judge/estimate.ts';
import { loadJudgeRun } from '../../lambdas/services/judge/prepare.ts';
import { createPromptTokenCounter } from '../../lambdas/services/judge/token-count.ts';
import { UsageError } from '../../lambdas/core/errors.ts';
import { action, assetResolver } from './common.ts';
import { addJudgeInputOptions, readModelOutputs, resolvePreset, type JudgeInputOptions } from './judge.ts';

interface EstimateOptions extends JudgeInputOptions {
  json?: boolean;
  /** Instance types for an open-weights judge (default: the preset's planned ones). */
  instance?: string[];
  out?: string;
}

async function runEstimate(opts: EstimateOptions): Promise<void> {
  const preset = resolvePreset(opts);
  if (opts.instance && !preset.selfHosted) {
    throw new UsageError(`--instance prices GPU time of an open-weights judge; ${preset.name} is priced per token`);
  }
  const cacheRoot = opts.cacheDir ?? defaultCacheDir(process.env);
  const prepared = await loadJudgeRun({
    assets: assetResolver({ 'eval-set': opts.evalSet, 'judge-template': opts.judgeTemplate }, cacheRoot),
    modelOutputs: await readModelOutputs(opts.modelOutputs),
    preset,
    name: opts.name,
    maxInstances: opts.maxInstances,
  });
  const estimate = await estimateJudgeRun({
    prepared,
    preset,
    cache: BlobJudgeCache.inDirectory(judgeCacheDir(cacheRoot)),
    counter: await createPromptTokenCounter(preset.model),
    ...(opts.instance ? { instanceTypes: opts.instance } : {}),
  });
  if (opts.json) {
    const { match, ...rest } = estimate;
    const matchCounts = {
      nReference: match.nReference, nModel: match.nModel, nMatched: match.nMatched,
      missing: match.missing.length, extra: match.extra.length, duplicates: match.duplicates.length,
    };
    process.stdout.write(`${JSON.stringify({ ...rest, match: matchCounts }, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatEstimate(estimate)}\n`);
  }
}

export function estimateCommand(): Command {
  const cmd = new Command('estimate').description(
    'count the prompt tokens and dollars of a judge run before it starts (real-time and Batch API; GPU-minutes for an open-weights judge)',
  );
  return addJudgeInputOptions(cmd)
    .option('--out <dir>', 'accepted for symmetry with aep judge; unused')
    .option('--json', 'print the estimate as JSON')
    .option('--instance <type...>', 'GPU instance types to price an open-weights judge on (default: the preset\'s; e.g. g6.xlarge)')
    .action(action('estimate', (opts: EstimateOptions) => runEstimate(opts)));
}

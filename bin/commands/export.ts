/**
 * `aep export RUN [--store DIR|s3://…] [--format model-index|json] [--out FILE]`: a finished run's AlpacaEval 2.0
 * figures as the Hugging Face model-card `model-index` YAML block, or as a flat JSON record for experiment trackers.
 * RUN is a run id (in `--store`), or the path or s3:// URL of a run folder.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { InputError, UsageError } from '../../lambdas/core/errors.ts';
import { exportFacts, flatRecord, modelIndexYaml, type ExportMetrics } from '../../lambdas/core/run/export.ts';
import { RUN_FILES, runPrefix } from '../../lambdas/core/run/layout.ts';
import type { RunManifest } from '../../lambdas/core/run/manifest.ts';
import { action } from './common.ts';
import { locateRun } from './report.ts';

interface ExportFlags {
  store?: string;
  format: 'model-index' | 'json';
  out?: string;
}

function parseJson<T>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new InputError({ file }, `not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

async function exportRun(run: string, flags: ExportFlags): Promise<void> {
  const { root, runId } = locateRun(run, flags.store, process.env);
  const store = openBlobStore(root, { env: process.env });
  const prefix = runPrefix(runId);
  const manifestText = await store.get(`${prefix}${RUN_FILES.manifest}`);
  if (!manifestText) throw new UsageError(`no run ${runId} in ${store.locate('runs/')} (give a run id with --store, or the run folder's path)`);
  const metricsText = await store.get(`${prefix}${RUN_FILES.metrics}`);
  if (!metricsText) throw new UsageError(`run ${runId} has no ${RUN_FILES.metrics}: it did not get past aggregation (aep status ${runId} tells why)`);
  const manifestFile = store.locate(`${prefix}${RUN_FILES.manifest}`);
  const metricsFile = store.locate(`${prefix}${RUN_FILES.metrics}`);
  const manifest = parseJson<RunManifest>(manifestText.toString(), manifestFile);
  const metrics = parseJson<ExportMetrics>(metricsText.toString(), metricsFile);
  for (const field of ['length_controlled_winrate', 'lc_standard_error', 'win_rate', 'standard_error', 'n_total'] as const) {
    if (typeof metrics[field] !== 'number') throw new InputError({ file: metricsFile, field }, 'missing or not a number');
  }
  const facts = exportFacts(manifest, metrics);
  const text = flags.format === 'json' ? `${JSON.stringify(flatRecord(facts), null, 2)}\n` : modelIndexYaml(facts);
  if (flags.out) {
    await writeFile(flags.out, text);
    process.stderr.write(`aep export: wrote ${flags.out}\n`);
  } else {
    process.stdout.write(text);
  }
}

export function exportCommand(): Command {
  return new Command('export')
    .description('print a run\'s AlpacaEval 2.0 results as a model-card model-index block or a flat JSON record for experiment trackers')
    .argument('<run>', 'a run id (in --store), or the path or s3:// URL of a run folder (…/runs/<run-id>)')
    .option('--store <dir|s3://…>', 'results store holding runs/<run-id>/ (default: $AEP_STORE or aep-results)')
    .addOption(new Option('--format <format>', 'model-index: YAML for a Hugging Face model card; json: flat key→value record').choices(['model-index', 'json']).default('model-index'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(action('export', exportRun));
}

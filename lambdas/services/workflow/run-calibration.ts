/**
 * The run's calibration (judge scale → official scale): Prepare copies it into `inputs/calibration.json` and
 * records it in the manifest — a calibration for another judge stops the run before anything is spent —; Aggregate
 * applies it. Default: the shipped calibration of a judge that has one (gpt5_nano), built from the pinned public
 * board; when that cannot be obtained the run goes on without an official-scale estimate (a warning says so).
 */
import { sha256Hex } from '../../adapters/assets.ts';
import { calibrationJudgeNames, parseCalibration, type CalibrationDocument } from '../../core/calibration/document.ts';
import { InputError } from '../../core/errors.ts';
import { RUN_FILES } from '../../core/run/layout.ts';
import type { RunManifest } from '../../core/run/manifest.ts';
import type { RunConfig } from '../../core/run/run-config.ts';
import type { AssetSource } from '../../ports.ts';
import { judgeIdentity, shippedNanoCalibration, shipsCalibration } from '../calibrate.ts';
import type { WorkflowDeps } from './deps.ts';
import { presetOf } from './judge-step.ts';
import type { RunFolder } from './run-store.ts';

export const SHIPPED = 'shipped';

export async function prepareCalibration(deps: WorkflowDeps, run: RunFolder, config: RunConfig, assets: AssetSource, manifest: RunManifest): Promise<void> {
  const preset = presetOf(config);
  const choice = config.calibration ?? (shipsCalibration(preset) ? SHIPPED : 'none');
  if (choice === 'none') return;
  let text: string;
  let source: string;
  if (choice === SHIPPED) {
    if (!shipsCalibration(preset)) throw new InputError({ file: 'run config', field: 'calibration' }, `judge ${preset.name} has no shipped calibration; make one with aep calibrate`);
    try {
      const doc = await shippedNanoCalibration(assets, judgeIdentity(preset));
      text = `${JSON.stringify(doc, null, 2)}\n`;
      source = `shipped: built from ${doc.source.file}`;
    } catch (err) {
      if (config.calibration === SHIPPED) throw err;
      deps.log.warn('shipped calibration unavailable: no official-scale estimate for this run', { reason: (err as Error).message });
      return;
    }
  } else {
    const got = await deps.readSource(choice);
    text = got.text;
    source = got.source;
  }
  const doc = parseCalibration(text, source);
  const names = calibrationJudgeNames(doc);
  if (preset.comparableToLeaderboard) {
    throw new InputError({ file: source, field: 'judge' }, `this run's judge ${preset.name} is the official one: its numbers are already on the official scale, a calibration does not apply`);
  }
  if (!names.includes(preset.name) && !names.includes(preset.model) && !(preset.officialConfig && names.includes(preset.officialConfig))) {
    throw new InputError({ file: source, field: 'judge' }, `calibration is for judge ${doc.judge.scale} (${names.join(', ')}), but this run is judged by ${preset.name} (${preset.model})`);
  }
  await run.store.put(RUN_FILES.calibration, text);
  manifest.assets.calibration = { source, origin: config.calibration ? 'flag' : 'default', sha256: sha256Hex(text), pinnedSha256: null, matchesPin: null };
}

/** The calibration Prepare stored, if any. */
export async function runCalibration(run: RunFolder): Promise<{ doc: CalibrationDocument; path: string; sha256: string } | undefined> {
  const text = await run.text(RUN_FILES.calibration);
  if (text === undefined) return undefined;
  const path = run.store.locate(RUN_FILES.calibration);
  return { doc: parseCalibration(text, path), path, sha256: sha256Hex(text) };
}

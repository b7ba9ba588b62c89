/**
 * From inputs to judge jobs, shared by `aep judge` and `aep estimate`: the eval set and template (from the asset
 * resolver), the model outputs (parsed and matched by instruction; missing, extra and duplicated instructions
 * reported), the official `--max-instances` subset, and one job per matched row.
 */
import { ASSETS, type AssetName } from '../../core/assets-catalog.ts';
import { matchModelOutputs, type MatchReport, type MatchedRow } from '../../core/eval-set/match.ts';
import { selectMaxInstances } from '../../core/eval-set/max-instances.ts';
import { parseModelOutputs } from '../../core/eval-set/schema.ts';
import { buildJudgeJobs, type JudgeJob } from '../../core/judge/build-requests.ts';
import type { JudgePreset } from '../../core/judge/presets.ts';

/** The name the official tool gives a model whose outputs carry no single generator. */
export const UNNAMED_MODEL = 'Current model';

/** What this service needs of the asset resolver (`adapters/assets.ts`). */
export interface JudgeAssetSource {
  text(name: AssetName): Promise<{ text: string; asset: { source: string; sha256: string; matchesPin: boolean | null } }>;
}

export interface PrepareJudgeRunOptions {
  evalSet: { text: string; source: string };
  template: string;
  modelOutputs: { text: string; fileName: string };
  preset: JudgePreset;
  /** `--name`: the model's name in `generator_2`; default the file's single generator, else "Current model". */
  name?: string | undefined;
  maxInstances?: number | undefined;
}

export interface PreparedJudgeRun {
  rows: MatchedRow[];
  jobs: JudgeJob[];
  match: MatchReport;
  modelName: string;
  maxInstances: number | null;
}

/** Pure: parses, subsets, matches and builds the jobs. Throws `InputError` / `JudgeInputError` / `UsageError`. */
export function prepareJudgeRun(options: PrepareJudgeRunOptions): PreparedJudgeRun {
  const reference = parseModelOutputs(options.evalSet.text, options.evalSet.source);
  const model = parseModelOutputs(options.modelOutputs.text, options.modelOutputs.fileName);
  let referenceRows = reference.rows;
  let modelRows = model.rows;
  if (options.maxInstances !== undefined) {
    const subset = selectMaxInstances({ modelOutputs: modelRows, reference: referenceRows, maxInstances: options.maxInstances });
    referenceRows = subset.reference;
    modelRows = subset.modelOutputs;
  }
  const { rows, report } = matchModelOutputs({ reference: referenceRows, modelOutputs: modelRows });
  const jobs = buildJudgeJobs({ template: options.template, rows, judgeModel: options.preset.model });
  return {
    rows,
    jobs,
    match: report,
    modelName: options.name ?? model.generator ?? UNNAMED_MODEL,
    maxInstances: options.maxInstances ?? null,
  };
}

export interface LoadedJudgeRun extends PreparedJudgeRun {
  evalSetSha256: string;
  templateSha256: string;
  /** True when the template has the official pinned hash. */
  officialTemplate: boolean;
}

/** Obtains the eval set and template, then prepares the jobs. */
export async function loadJudgeRun(options: Omit<PrepareJudgeRunOptions, 'evalSet' | 'template'> & {
  assets: JudgeAssetSource;
}): Promise<LoadedJudgeRun> {
  const evalSet = await options.assets.text('eval-set');
  const template = await options.assets.text('judge-template');
  const prepared = prepareJudgeRun({
    ...options,
    evalSet: { text: evalSet.text, source: evalSet.asset.source },
    template: template.text,
  });
  return {
    ...prepared,
    evalSetSha256: evalSet.asset.sha256,
    templateSha256: template.asset.sha256,
    officialTemplate: template.asset.sha256 === ASSETS['judge-template'].sha256,
  };
}


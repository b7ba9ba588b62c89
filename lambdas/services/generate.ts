/**
 * The generation driver, shared by `aep generate` and the GPU container: reads the eval set, picks the rows
 * (`maxInstances` by the official subset rule), skips rows already in the checkpoint, keeps many requests in flight,
 * checkpoints each finished row, then writes `model_outputs.json` and the `generation.json` manifest section
 * through the BlobStore (both atomic). A failure leaves finished rows in the checkpoint; a rerun resumes.
 */
import { setMaxListeners } from 'node:events';
import type { DecodingParams } from '../core/generation/decoding.ts';
import { isSampling } from '../core/generation/decoding.ts';
import type { GenerationEngine } from '../core/generation/engine.ts';
import {
  CHECKPOINT_PREFIX, checkpointKey, parseCheckpointRecord, serialiseCheckpointRecord, settingsDifferences, settingsOf,
  type CheckpointRecord, type GenerationSettings,
} from '../core/generation/checkpoint.ts';
import { ChatTemplateMissingError, CheckpointMismatchError, EngineError, GenerationError } from '../core/generation/errors.ts';
import { usedPromptMode, type EngineInfo, type GenerationManifest } from '../core/generation/manifest.ts';
import { assembleModelOutputs, planGeneration, type GenerationRow } from '../core/generation/plan.ts';
import type { ProgressSnapshot } from '../core/generation/progress.ts';
import {
  buildPromptInput, initialPromptMode, templateOf, validatePromptTemplate, type PromptModeRequest, type PromptModeUsed,
} from '../core/generation/prompt-mode.ts';
import { summariseRun, type RowStats } from '../core/generation/stats.ts';
import { parseModelOutputs, type ModelOutputRow } from '../core/eval-set/schema.ts';
import type { BlobStore } from '../ports.ts';

export const MODEL_OUTPUTS_KEY = 'model_outputs.json';
export const GENERATION_MANIFEST_KEY = 'generation.json';
/** Requests in flight by default: vLLM's default `max_num_seqs`, so its continuous batching stays full. */
export const DEFAULT_CONCURRENCY = 256;

export interface GenerateOptions {
  engine: GenerationEngine;
  engineInfo: EngineInfo;
  /** Where `model_outputs.json`, `generation.json` and the checkpoint go. */
  store: BlobStore;
  /** The eval set (model_outputs.json format) with where it came from. */
  evalSet: { text: string; source: string; sha256: string };
  /** The model name the engine serves. */
  model: string;
  revision?: string | null;
  /** The `generator` of the output rows; default `model`. */
  generator?: string;
  promptMode: PromptModeRequest;
  decoding: DecodingParams;
  concurrency?: number;
  maxInstances?: number;
  signal?: AbortSignal;
  /** Called every `progressIntervalMs` and once at the end (`final`). */
  onProgress?: (snapshot: ProgressSnapshot, final: boolean) => void;
  progressIntervalMs?: number;
  now?: () => number;
}

export interface GenerateResult {
  rows: ModelOutputRow[];
  manifest: GenerationManifest;
  /** Locations of the written files. */
  modelOutputsUrl: string;
  manifestUrl: string;
}

interface Finished {
  row: GenerationRow;
  output: string;
  mode: PromptModeUsed;
  stats: RowStats;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/** Finished rows of earlier runs, checked against the current settings and instructions. */
async function loadCheckpoint(store: BlobStore, plan: GenerationRow[], settings: GenerationSettings): Promise<Finished[]> {
  const byKey = new Map(plan.map((row) => [checkpointKey(row.evalIndex), row]));
  const keys = (await store.list(CHECKPOINT_PREFIX)).filter((k) => byKey.has(k));
  const records = await mapLimit(keys, 32, async (key) => {
    const bytes = await store.get(key);
    return bytes === undefined ? undefined : parseCheckpointRecord(bytes.toString('utf8'), store.locate(key));
  });
  const where = store.locate(CHECKPOINT_PREFIX);
  const finished: Finished[] = [];
  for (const rec of records) {
    if (!rec) continue;
    const row = byKey.get(checkpointKey(rec.evalIndex))!;
    const diff = settingsDifferences(rec.settings, settings);
    if (diff.length > 0) {
      throw new CheckpointMismatchError(where, `finished rows were generated with other settings (${diff.join('; ')}); ` +
        'write to another location or delete the checkpoint');
    }
    if (rec.instruction !== row.instruction) {
      throw new CheckpointMismatchError(where, `eval row ${rec.evalIndex} was generated for another instruction (another eval set?)`);
    }
    finished.push({ row, output: rec.output, mode: rec.mode, stats: rec.stats });
  }
  return finished;
}

/** Runs generation to completion (or to the first failure, as a `GenerationError`). */
export async function generateModelOutputs(o: GenerateOptions): Promise<GenerateResult> {
  const now = o.now ?? Date.now;
  const startedAt = new Date(now()).toISOString();
  if (o.promptMode.kind === 'template') validatePromptTemplate(o.promptMode.template, o.promptMode.source);
  const evalRows = parseModelOutputs(o.evalSet.text, o.evalSet.source).rows;
  const plan = planGeneration({ evalSet: evalRows, maxInstances: o.maxInstances });
  const revision = o.revision ?? null;
  const settings = settingsOf({ model: o.model, revision, decoding: o.decoding, promptMode: o.promptMode });
  const resumed = await loadCheckpoint(o.store, plan, settings);
  const done = new Map<number, Finished>(resumed.map((f) => [f.row.evalIndex, f]));
  const pending = plan.filter((row) => !done.has(row.evalIndex));
  const generated: Finished[] = [];
  const state = { mode: initialPromptMode(o.promptMode, resumed.map((f) => f.mode)), fallbackReason: null as string | null };
  const counters = { inFlight: 0, tokens: 0, atLimit: resumed.filter((f) => f.stats.finishReason === 'length').length, retries: 0 };
  const checkpointUrl = o.store.locate(CHECKPOINT_PREFIX);
  const inner = new AbortController();
  setMaxListeners(0, inner.signal); // one listener per request in flight
  const onAbort = () => inner.abort();
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    inner.abort();
  };
  const writes = new Set<Promise<void>>();
  const t0 = now();
  const snapshot = (): ProgressSnapshot => ({
    done: done.size, total: plan.length, tokens: counters.tokens, inFlight: counters.inFlight, atTokenLimit: counters.atLimit,
    retries: counters.retries, elapsedMs: now() - t0, resumed: resumed.length,
  });
  const timer = o.onProgress ? setInterval(() => o.onProgress!(snapshot(), false), o.progressIntervalMs ?? 1000) : undefined;
  timer?.unref();

  async function generateRow(row: GenerationRow): Promise<Finished> {
    const started = now();
    for (;;) {
      const mode = state.mode;
      try {
        const c = await o.engine.complete({
          ...buildPromptInput(mode, o.promptMode, row.instruction), model: o.model, maxTokens: o.decoding.maxNewTokens,
          temperature: o.decoding.temperature, topP: o.decoding.topP, seed: o.decoding.seed,
        }, { signal: inner.signal });
        counters.retries += c.attempts - 1;
        const stats = { completionTokens: c.completionTokens, promptTokens: c.promptTokens, latencyMs: now() - started, finishReason: c.finishReason };
        return { row, output: c.text, mode, stats };
      } catch (err) {
        if (!(err instanceof ChatTemplateMissingError) || o.promptMode.kind !== 'auto' || mode !== 'chat') throw err;
        if (state.mode === 'chat') state.mode = 'llama3-fallback';
        state.fallbackReason ??= err.message;
      }
    }
  }

  async function worker(): Promise<void> {
    while (failure === undefined && !inner.signal.aborted && pending.length > 0) {
      const row = pending.shift()!;
      counters.inFlight++;
      try {
        const f = await generateRow(row);
        done.set(row.evalIndex, f);
        generated.push(f);
        counters.tokens += f.stats.completionTokens ?? 0;
        if (f.stats.finishReason === 'length') counters.atLimit++;
        const body = serialiseCheckpointRecord({ settings, evalIndex: row.evalIndex, instruction: row.instruction, output: f.output, mode: f.mode, stats: f.stats });
        const write = o.store.put(checkpointKey(row.evalIndex), body, { contentType: 'application/json' }).catch(fail);
        writes.add(write);
        void write.finally(() => writes.delete(write));
      } catch (err) {
        fail(err);
      } finally {
        counters.inFlight--;
      }
    }
  }

  try {
    if (pending.length > 0) {
      await o.engine.listModels({ signal: inner.signal }).catch((err: unknown) => {
        if (err instanceof EngineError && (err.kind === 'unreachable' || err.kind === 'timeout')) fail(err);
      });
      const workers = Math.max(1, Math.min(o.concurrency ?? DEFAULT_CONCURRENCY, pending.length));
      await Promise.all(Array.from({ length: workers }, worker));
    }
    while (writes.size > 0) await Promise.all([...writes]);
    if (o.signal?.aborted) failure = new EngineError('generation cancelled', { kind: 'aborted', attempts: 0 });
  } finally {
    if (timer) clearInterval(timer);
    o.signal?.removeEventListener('abort', onAbort);
    o.onProgress?.(snapshot(), true);
  }

  const wallTimeMs = now() - t0;
  const rowsByMode: Partial<Record<PromptModeUsed, number>> = {};
  for (const f of done.values()) rowsByMode[f.mode] = (rowsByMode[f.mode] ?? 0) + 1;
  const used = usedPromptMode(rowsByMode);
  const modelOutputsUrl = o.store.locate(MODEL_OUTPUTS_KEY);
  const manifest: GenerationManifest = {
    status: failure === undefined ? 'succeeded' : 'failed',
    ...(failure === undefined ? {} : { error: (failure as Error).message }),
    engine: o.engineInfo, model: o.model, revision, generator: o.generator ?? o.model,
    promptMode: {
      requested: o.promptMode.kind, used, rowsByMode,
      templateSource: o.promptMode.kind === 'template' ? o.promptMode.source : null,
      template: used === null || used === 'mixed' ? templateOf(state.mode, o.promptMode) : templateOf(used, o.promptMode),
      fallbackReason: state.fallbackReason ?? (rowsByMode['llama3-fallback'] ? 'resumed rows used the fallback' : null),
    },
    decoding: { ...o.decoding, sampling: isSampling(o.decoding) },
    evalSet: { source: o.evalSet.source, sha256: o.evalSet.sha256, size: evalRows.length, maxInstances: o.maxInstances ?? null, rows: plan.length },
    concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
    stats: summariseRun({ resumed: resumed.map((f) => f.stats), generated: generated.map((f) => f.stats), wallTimeMs }),
    outputs: { modelOutputs: modelOutputsUrl, checkpoint: checkpointUrl },
    startedAt, finishedAt: new Date(now()).toISOString(),
  };
  const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
  if (failure !== undefined) {
    await o.store.put(GENERATION_MANIFEST_KEY, manifestJson, { contentType: 'application/json' }).catch(() => undefined);
    if (failure instanceof CheckpointMismatchError) throw failure;
    throw new GenerationError((failure as Error).message ?? String(failure),
      { completedRows: done.size, totalRows: plan.length, checkpoint: checkpointUrl }, { cause: failure });
  }
  const outputs = new Map([...done].map(([i, f]) => [i, f.output]));
  const rows = assembleModelOutputs({ rows: plan, outputs, generator: o.generator ?? o.model });
  await o.store.put(MODEL_OUTPUTS_KEY, `${JSON.stringify(rows, null, 2)}\n`, { contentType: 'application/json' });
  await o.store.put(GENERATION_MANIFEST_KEY, manifestJson, { contentType: 'application/json' });
  return { rows, manifest, modelOutputsUrl, manifestUrl: o.store.locate(GENERATION_MANIFEST_KEY) };
}

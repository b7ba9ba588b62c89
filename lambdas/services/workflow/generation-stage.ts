/**
 * The generation stage of the manifest is written by whoever runs after it (the GPU job only writes
 * `generation.json`): a finished generation is recorded from that file, with its own timings and statistics.
 */
import { RUN_FILES } from '../../core/run/layout.ts';
import type { RunManifest, StageRecord } from '../../core/run/manifest.ts';
import type { RunFolder } from './run-store.ts';

interface GenerationFile {
  status?: string;
  startedAt?: string;
  finishedAt?: string;
  engine?: unknown;
  model?: string;
  revision?: string | null;
  promptMode?: unknown;
  decoding?: unknown;
  stats?: { tokensGenerated?: number } & Record<string, unknown>;
}

/** Records a generation that finished (generation.json present) in a manifest whose generate stage is still open. */
export async function settleGeneration(manifest: RunManifest, run: RunFolder): Promise<RunManifest> {
  const stage = manifest.stages.generate;
  if (!stage || stage.status !== 'running') return manifest;
  const gen = await run.json<GenerationFile>(RUN_FILES.generation);
  if (!gen || gen.status !== 'succeeded') return manifest;
  const startedAt = gen.startedAt ?? stage.startedAt;
  const finishedAt = gen.finishedAt ?? manifest.updatedAt;
  const record: StageRecord = {
    status: 'succeeded', startedAt, finishedAt,
    ...(startedAt ? { seconds: (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000 } : {}),
    details: { engine: gen.engine, model: gen.model, revision: gen.revision, promptMode: gen.promptMode, decoding: gen.decoding, stats: gen.stats },
  };
  return {
    ...manifest,
    stages: { ...manifest.stages, generate: record },
    tokens: { ...manifest.tokens, generated: gen.stats?.tokensGenerated ?? manifest.tokens.generated },
  };
}

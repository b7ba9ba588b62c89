/**
 * Collects the checkpoint history of a model from a results store: every run folder under `runs/` whose config
 * names the same model, with its metrics, cost, settings and per-instruction preferences.
 */
import { parseManifest, type RunManifest } from '../../core/run/manifest.ts';
import { RUN_FILES, RUNS_PREFIX } from '../../core/run/layout.ts';
import type { HistoryRunInput } from '../../core/report/history-model.ts';
import type { BlobStore } from '../../ports.ts';
import type { MetricsDocument } from '../aggregate.ts';

type MetricsFields = Pick<MetricsDocument, 'name' | 'length_controlled_winrate' | 'lc_standard_error' | 'win_rate' | 'standard_error' | 'n_total' | 'avg_length'>;

/** Judge and decoding: what changes the numbers besides the checkpoint. */
export function settingsText(m: RunManifest): string {
  const g = m.config.generation;
  const j = m.config.judge;
  return [
    `judge ${j.model ?? j.preset}`, `max_new_tokens ${g.maxNewTokens}`, `T ${g.temperature}`, `top_p ${g.topP}`,
    ...(g.seed !== undefined ? [`seed ${g.seed}`] : []), ...(g.promptTemplate ? ['custom prompt'] : []),
    ...(m.config.maxInstances ? [`max_instances ${m.config.maxInstances}`] : []),
  ].join(' · ');
}

async function text(store: BlobStore, key: string): Promise<string | undefined> {
  return (await store.get(key))?.toString('utf8');
}

/** Preferences of `annotations.json` (instruction and preference only). */
export function preferencesOf(annotationsJson: string): { instruction: string; preference: number | null }[] {
  const rows = JSON.parse(annotationsJson) as { instruction?: unknown; preference?: unknown }[];
  return rows.map((r) => ({
    instruction: String(r.instruction ?? ''),
    preference: typeof r.preference === 'number' && Number.isFinite(r.preference) ? r.preference : null,
  }));
}

/** One run's entry, from the objects of its folder (`known` supplies texts already read by the caller). */
export async function historyEntry(
  store: BlobStore,
  manifest: RunManifest,
  options: { reportHref: (runId: string) => Promise<string | null>; known?: { metrics?: string; annotations?: string } },
): Promise<HistoryRunInput> {
  const base = `${RUNS_PREFIX}${manifest.runId}/`;
  const metricsText = options.known?.metrics ?? (await text(store, base + RUN_FILES.metrics));
  const metrics = metricsText ? (JSON.parse(metricsText) as MetricsFields) : null;
  const annotations = metrics ? options.known?.annotations ?? (await text(store, base + RUN_FILES.annotations)) : undefined;
  return {
    runId: manifest.runId, createdAt: manifest.createdAt, model: manifest.config.model, name: metrics?.name ?? manifest.config.name ?? manifest.config.model,
    revision: manifest.config.revision ?? null, status: manifest.status,
    metrics: metrics && {
      lc: metrics.length_controlled_winrate, lcSe: metrics.lc_standard_error, winRate: metrics.win_rate, winRateSe: metrics.standard_error,
      nTotal: metrics.n_total, avgLength: metrics.avg_length,
    },
    costUsd: manifest.costUsd.judge,
    settings: settingsText(manifest),
    reportHref: await options.reportHref(manifest.runId),
    preferences: annotations ? preferencesOf(annotations) : null,
  };
}

/** Manifests of every run of `model` in the store (unreadable manifests are skipped: another writer's debris). */
export async function manifestsOfModel(store: BlobStore, model: string): Promise<RunManifest[]> {
  return (await allManifests(store)).filter((m) => m.config?.model === model);
}

/** Manifests of every run in the store (unreadable manifests are skipped). */
export async function allManifests(store: BlobStore): Promise<RunManifest[]> {
  const keys = (await store.list(RUNS_PREFIX)).filter((k) => /^[^/]+\/manifest\.json$/.test(k.slice(RUNS_PREFIX.length)));
  const out: RunManifest[] = [];
  for (const key of keys) {
    const t = await text(store, key);
    if (t === undefined) continue;
    try {
      const m = parseManifest(t, store.locate(key));
      out.push(m);
    } catch {
      continue;
    }
  }
  return out;
}

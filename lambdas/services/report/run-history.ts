/**
 * Collects the checkpoint history of a model from a results store: every run folder under `runs/` whose config
 * names the same model, with its metrics, cost, settings and per-instruction preferences.
 */
import { parseManifest, type RunManifest } from '../../core/run/manifest.ts';
import { parseAnnotations, type AnnotationRow } from '../../core/annotations.ts';
import { parseGamedTable } from '../../core/metrics/glm/gamed-table.ts';
import { RUN_FILES, RUNS_PREFIX, runPrefix } from '../../core/run/layout.ts';
import { renderComparePage } from '../../core/report/compare-page.ts';
import { comparePageName, pairKey, type HistoryRunInput, type LcPairResult } from '../../core/report/history-model.ts';
import { whatChanged } from '../../core/report/what-changed.ts';
import type { BlobStore } from '../../ports.ts';
import type { MetricsDocument } from '../aggregate.ts';
import { compareModels, type BootstrapSettings, type FittedLc } from '../lc-bootstrap.ts';

type MetricsFields = Pick<MetricsDocument, 'name' | 'length_controlled_winrate' | 'lc_standard_error' | 'win_rate' | 'standard_error' | 'n_total' | 'avg_length'>
  & Partial<Pick<MetricsDocument, 'length_controlled_winrate_ci95' | 'win_rate_ci95'>>;

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
      lcCi95: metrics.length_controlled_winrate_ci95 ?? null, winRateCi95: metrics.win_rate_ci95 ?? null,
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

/** At most this many consecutive pairs (the latest) get the LC bootstrap on the history page; older ones keep the raw tests. */
export const HISTORY_LC_PAIRS = 10;

/**
 * ΔLC with its paired bootstrap interval for consecutive finished runs (as `aep compare`), from each run's
 * annotations.json and lc_glm.json and the newer run's recorded df_gamed.csv; optionally each pair's comparison page
 * (what changed, flip explorer). A pair whose files are missing or
 * unreadable is left out (the page then shows the raw-preference tests for it) and named in `skipped`.
 */
export async function lcPairComparisons(
  store: BlobStore,
  pairs: ReadonlyArray<readonly [{ runId: string }, { runId: string }]>,
  settings: BootstrapSettings,
  /** pagesPrefix: also write each pair's comparison page (what changed, flips) under this key prefix */
  options: { pagesPrefix?: string } = {},
): Promise<{ results: Map<string, LcPairResult>; skipped: string[] }> {
  const results = new Map<string, LcPairResult>();
  const skipped: string[] = [];
  const loaded = new Map<string, Promise<{ rows: AnnotationRow[]; lc: FittedLc; file: string }>>();
  const load = (runId: string) => {
    let p = loaded.get(runId);
    if (!p) {
      p = (async () => {
        const base = runPrefix(runId);
        const file = store.locate(base + RUN_FILES.annotations);
        const [annotations, glm, metrics] = await Promise.all([
          text(store, base + RUN_FILES.annotations), text(store, base + RUN_FILES.lcGlm), text(store, base + RUN_FILES.metrics),
        ]);
        if (!annotations || !glm || !metrics) throw new Error(`${store.locate(base)} lacks annotations.json, lc_glm.json or metrics.json`);
        const g = JSON.parse(glm) as { is_baseline: boolean; C: number | null; coefficients: Record<string, number>; length_controlled_winrate: number };
        const m = JSON.parse(metrics) as { win_rate: number };
        return {
          rows: parseAnnotations(annotations, file).rows, file,
          lc: { isBaseline: g.is_baseline, C: g.C, coefficients: g.coefficients, lengthControlledWinrate: g.length_controlled_winrate, winRate: m.win_rate },
        };
      })();
      loaded.set(runId, p);
    }
    return p;
  };
  for (const [a, b] of pairs.slice(-HISTORY_LC_PAIRS)) {
    try {
      const [ra, rb] = await Promise.all([load(a.runId), load(b.runId)]);
      const gamedText = await text(store, runPrefix(b.runId) + RUN_FILES.gamed);
      if (!gamedText) throw new Error(`${store.locate(runPrefix(b.runId) + RUN_FILES.gamed)} is missing`);
      const gamed = parseGamedTable(gamedText, store.locate(runPrefix(b.runId) + RUN_FILES.gamed));
      const c = await compareModels({ ...ra, name: a.runId }, { ...rb, name: b.runId }, gamed, settings);
      const href = comparePageName(a.runId, b.runId);
      if (options.pagesPrefix !== undefined) {
        const what = whatChanged(ra.rows, rb.rows, { winRate: c.delta_win_rate, lc: c.delta_length_controlled_winrate });
        await store.put(options.pagesPrefix + href, renderComparePage({ ...c, what_changed: what, warnings: [] }), { contentType: 'text/html; charset=utf-8' });
      }
      results.set(pairKey(a.runId, b.runId), {
        delta: c.delta_length_controlled_winrate, ci95: c.ci95, p: c.p_value, replicates: settings.replicates,
        ...(options.pagesPrefix !== undefined ? { href } : {}),
      });
    } catch (err) {
      skipped.push(`${a.runId} → ${b.runId}: ${(err as Error).message}`);
    }
  }
  return { results, skipped };
}

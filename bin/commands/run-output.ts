/** What `aep run` prints: state progress and logs on stderr, the closing summary on stdout. */
import { scaleLines } from './aggregate.ts';
import type { MetricsDocument } from '../../lambdas/services/aggregate.ts';
import { isProgressLine, progressBar, withProgressBar } from '../../lambdas/core/generation/progress.ts';
import { leaderboardExcerpt, leaderboardView } from '../../lambdas/core/report/leaderboard-view.ts';
import { SIMILAR_SIZE_MODELS } from '../../lambdas/core/report/similar-models.ts';
import { RUN_FILES, runPrefix } from '../../lambdas/core/run/layout.ts';
import type { BlobStore, LogPort } from '../../lambdas/ports.ts';

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/** One line, on a terminal rewritten in place (`\r`, erase line); elsewhere nothing is drawn (callers print lines). */
export function liveLine(stream: Stream, tty = stream.isTTY === true) {
  let shown = false;
  return {
    tty,
    /** Draws the line (terminal only). */
    update(text: string): void {
      if (!tty) return;
      stream.write(`\r\x1b[K${text}`);
      shown = true;
    },
    /** Ends the live line: keeps its last text (`keep`) or erases it, so the next output starts on a clean line. */
    end(keep = false): void {
      if (!tty || !shown) return;
      stream.write(keep ? '\n' : '\r\x1b[K');
      shown = false;
    },
  };
}

/** One line per message on stderr (`AEP_LOG=json` for JSON lines); info is shown only with AEP_DEBUG=1. */
export function stderrLogger(env: Record<string, string | undefined>): LogPort {
  const json = env.AEP_LOG === 'json';
  const write = (level: string, message: string, extra?: Record<string, unknown>) => {
    if (json) process.stderr.write(`${JSON.stringify({ level, message, ...extra })}\n`);
    else process.stderr.write(`  ${level === 'info' ? '' : `${level}: `}${message}${extra && Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ''}\n`);
  };
  return {
    info: (m, e) => (env.AEP_DEBUG === '1' || json ? write('info', m, e) : undefined),
    warn: (m, e) => write('warn', m, e),
    error: (m, e) => write('error', m, e),
  };
}

/**
 * The generator's stderr text for `aep run`: on a terminal its progress lines (`generate N/M rows …`) become one
 * progress bar rewritten in place; every other line, and everything when not on a terminal, passes through.
 */
export function generatorOutput(stream: Stream, options: { tty?: boolean } = {}): (text: string) => void {
  const live = liveLine(stream, options.tty ?? stream.isTTY === true);
  let partial = '';
  return (text) => {
    if (!live.tty) {
      stream.write(text);
      return;
    }
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (isProgressLine(line)) live.update(`  ${withProgressBar(line)}`);
      else {
        live.end();
        stream.write(`${line}\n`);
      }
    }
  };
}

/**
 * Prints state transitions: entering a state, leaving it with its duration, chunk progress inside the Map. On a
 * terminal the judge chunks are one live line (a bar when `judgeChunks`, the number of chunks, is known).
 */
export function stateProgress(stream: Stream, options: { tty?: boolean; judgeChunks?: number } = {}) {
  const started = new Map<string, number>();
  const live = liveLine(stream, options.tty ?? stream.isTTY === true);
  let chunksDone = 0;
  let running = 0;
  const line = (text: string) => {
    live.end();
    stream.write(text);
  };
  const drawChunks = () => {
    const total = options.judgeChunks;
    const bar = total ? `${progressBar(chunksDone / total)} ${chunksDone}/${total} chunks` : `${chunksDone} chunks done`;
    live.update(`  judge ${bar} · ${running} running`);
  };
  return (e: { type: string; state: string; index?: number; error?: string }) => {
    const key = `${e.state}#${e.index ?? ''}`;
    const chunk = e.index !== undefined && e.state === 'Judge Chunk';
    if (e.type === 'entered') {
      started.set(key, Date.now());
      if (chunk && live.tty) {
        running++;
        drawChunks();
      } else if (e.index === undefined && !e.state.endsWith('?')) line(`▸ ${e.state}\n`);
    } else if (e.type === 'exited') {
      const t = started.get(key);
      if (chunk) {
        chunksDone++;
        if (live.tty) {
          running = Math.max(0, running - 1);
          drawChunks();
        } else stream.write(`  judge chunk ${e.index} done (${chunksDone} so far)\n`);
      } else if (e.index === undefined && t !== undefined && !e.state.endsWith('?')) line(`✓ ${e.state} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    } else if (e.type === 'retried') {
      line(`↻ ${e.state}${e.index !== undefined ? ` ${e.index}` : ''}: retrying\n`);
    } else if (e.type === 'caught' || e.type === 'failed') {
      if (e.error) line(`✗ ${e.state}: ${e.error.split('\n')[0]}\n`);
    }
  };
}

type Metrics = Record<string, unknown>;

export interface SummaryPlace {
  report: string;
  runId: string;
  /** The run's `leaderboard.csv`: adds the table of the top models with this one among them. */
  leaderboardCsv?: string;
  /** The model's checkpoint history page. */
  history?: string;
  /** Rows of the table: the top `top` and `around` neighbours either side of this model (default 10 and 2). */
  top?: number;
  around?: number;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const f2 = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(2));

/** The leaderboard excerpt as aligned text: rank, model, LC ± SE, win rate ± SE, average length; this run marked ▶. */
export function leaderboardTable(csv: string, name: string, options: { top?: number; around?: number } = {}): string[] {
  const view = leaderboardView(csv, name, SIMILAR_SIZE_MODELS);
  const rows = leaderboardExcerpt(view, options.top ?? 10, options.around ?? 2);
  const width = Math.min(40, Math.max(5, ...rows.map((r) => r.name.length)));
  const out = [`     ${lpad('#', 4)}  ${pad('model', width)}  ${lpad('LC win rate', 14)}  ${lpad('win rate', 14)}  ${lpad('avg len', 7)}`];
  let prev = 0;
  for (const r of rows) {
    if (r.rank > prev + 1) out.push(`     ${lpad('…', 4)}`);
    prev = r.rank;
    const name = r.name.length > width ? `${r.name.slice(0, width - 1)}…` : r.name;
    const mark = r.isThis ? '  ▶ ' : r.similarSize ? '  ~ ' : '    ';
    out.push(`${mark} ${lpad(String(r.rank), 4)}  ${pad(name, width)}  ${lpad(`${f2(r.lc)} ± ${f2(r.lcSe)}`, 14)}  ${lpad(`${f2(r.winRate)} ± ${f2(r.winRateSe)}`, 14)}  ${lpad(r.avgLength === null ? '–' : String(r.avgLength), 7)}${r.isThis ? '   ← this run' : ''}`);
  }
  if (view.size > prev) out.push(`     ${lpad('…', 4)}  (${view.size} models; ~ similar size)`);
  return out;
}

/** The closing summary: the headline numbers, the model among the top of the leaderboard, and where the report is. */
export function formatRunSummary(m: Metrics, where: SummaryPlace): string {
  const n = (k: string) => Number(m[k]);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  const band = (m.lc_sensitivity as { band?: [number, number] } | undefined)?.band;
  const lb = m.leaderboard as { rank?: number; size?: number } | undefined;
  // 95 % bootstrap intervals (metrics written with the bootstrap on)
  const lcCi = m.length_controlled_winrate_ci95 as [number, number] | null | undefined;
  const wrCi = m.win_rate_ci95 as [number, number] | null | undefined;
  const lines = [
    '',
    `AlpacaEval 2.0 — ${String(m.name)} (run ${where.runId})`,
    ...(lcCi
      ? [`  LC win rate        ${f(n('length_controlled_winrate'))}  95% CI [${f(lcCi[0])}, ${f(lcCi[1])}]   (official lc_standard_error ${f(n('lc_standard_error'))}${band ? `; C-sensitivity ${f(band[0])}–${f(band[1])}` : ''})`]
      : [`  LC win rate        ${f(n('length_controlled_winrate'))} ± ${f(n('lc_standard_error'))}${band ? `   (C-sensitivity ${f(band[0])}–${f(band[1])})` : ''}`]),
    wrCi
      ? `  win rate           ${f(n('win_rate'))}  95% CI [${f(wrCi[0])}, ${f(wrCi[1])}]   discrete ${f(n('discrete_win_rate'))}`
      : `  win rate           ${f(n('win_rate'))} ± ${f(n('standard_error'))}   discrete ${f(n('discrete_win_rate'))}`,
    `  wins/losses/draws  ${n('n_wins')} / ${n('n_wins_base')} / ${n('n_draws')} of ${n('n_total')}`,
    `  average length     ${n('avg_length')}`,
    ...(m.judge ? scaleLines(m as unknown as MetricsDocument).map((l) => l.replace(/^  (\S.{0,26}?) {2,}/, (_, k: string) => `  ${k.padEnd(18)} `)) : []),
    `  leaderboard        #${lb?.rank ?? '–'} of ${lb?.size ?? '–'} (by ${m.official_scale ? 'the official-scale LC estimate' : 'LC win rate'})`,
    ...((m.warnings as string[] | undefined) ?? []).map((w) => `  warning: ${w}`),
    ...(where.leaderboardCsv ? ['', ...leaderboardTable(where.leaderboardCsv, String(m.name), where), ''] : []),
    `  report             ${where.report}`,
    ...(where.history ? [`  history            ${where.history}`] : []),
    '',
  ];
  return lines.join('\n');
}

/** The summary of a finished run in a store: reads its leaderboard and the report step's links. */
export async function runSummary(store: BlobStore, runId: string, metrics: Metrics): Promise<string> {
  const base = runPrefix(runId);
  const text = async (key: string) => (await store.get(base + key))?.toString('utf8');
  const manifest = JSON.parse((await text(RUN_FILES.manifest)) ?? '{}') as { stages?: { report?: { details?: { historyUrl?: string } } } };
  return formatRunSummary(metrics, {
    report: store.locate(base + RUN_FILES.report), runId,
    leaderboardCsv: await text(RUN_FILES.leaderboard), history: manifest.stages?.report?.details?.historyUrl,
  });
}

/** What `aep run` prints: state progress and logs on stderr, the closing summary on stdout. */
import type { LogPort } from '../../lambdas/ports.ts';

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

/** Prints state transitions: entering a state, leaving it with its duration, chunk progress inside the Map. */
export function stateProgress(stream: NodeJS.WritableStream) {
  const started = new Map<string, number>();
  let chunksDone = 0;
  return (e: { type: string; state: string; index?: number; error?: string }) => {
    const key = `${e.state}#${e.index ?? ''}`;
    if (e.type === 'entered') {
      started.set(key, Date.now());
      if (e.index === undefined && !e.state.endsWith('?')) stream.write(`▸ ${e.state}\n`);
    } else if (e.type === 'exited') {
      const t = started.get(key);
      if (e.index !== undefined && e.state === 'Judge Chunk') stream.write(`  judge chunk ${e.index} done (${++chunksDone} so far)\n`);
      else if (e.index === undefined && t !== undefined && !e.state.endsWith('?')) stream.write(`✓ ${e.state} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    } else if (e.type === 'retried') {
      stream.write(`↻ ${e.state}${e.index !== undefined ? ` ${e.index}` : ''}: retrying\n`);
    } else if (e.type === 'caught' || e.type === 'failed') {
      if (e.error) stream.write(`✗ ${e.state}: ${e.error.split('\n')[0]}\n`);
    }
  };
}

type Metrics = Record<string, unknown>;

/** The closing summary: the headline numbers, and the model among the top of the leaderboard. */
export function formatRunSummary(m: Metrics, where: { report: string; runId: string }): string {
  const n = (k: string) => Number(m[k]);
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  const band = (m.lc_sensitivity as { band?: [number, number] } | undefined)?.band;
  const lb = m.leaderboard as { rank?: number; size?: number } | undefined;
  const lines = [
    '',
    `AlpacaEval 2.0 — ${String(m.name)} (run ${where.runId})`,
    `  LC win rate        ${f(n('length_controlled_winrate'))} ± ${f(n('lc_standard_error'))}${band ? `   (C-sensitivity ${f(band[0])}–${f(band[1])})` : ''}`,
    `  win rate           ${f(n('win_rate'))} ± ${f(n('standard_error'))}   discrete ${f(n('discrete_win_rate'))}`,
    `  wins/losses/draws  ${n('n_wins')} / ${n('n_wins_base')} / ${n('n_draws')} of ${n('n_total')}`,
    `  average length     ${n('avg_length')}`,
    `  leaderboard        #${lb?.rank ?? '–'} of ${lb?.size ?? '–'} (by LC win rate)`,
    ...((m.warnings as string[] | undefined) ?? []).map((w) => `  warning: ${w}`),
    `  report             ${where.report}`,
    '',
  ];
  return lines.join('\n');
}

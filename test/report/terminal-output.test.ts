import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRunSummary, generatorOutput, leaderboardTable, runSummary, stateProgress } from '../../bin/commands/run-output.ts';
import { FileBlobStore } from '../../lambdas/adapters/file-blob-store.ts';
import { formatProgress, progressBar, withProgressBar } from '../../lambdas/core/generation/progress.ts';
import { formatJudgeProgress, newJudgeTally } from '../../lambdas/services/judge/progress.ts';

function sink(tty: boolean) {
  const chunks: string[] = [];
  return { stream: Object.assign({ write: (c: string) => (chunks.push(c), true) }, { isTTY: tty }) as unknown as NodeJS.WritableStream & { isTTY: boolean }, text: () => chunks.join('') };
}

const SNAP = { done: 310, total: 805, tokens: 62_000, inFlight: 64, atTokenLimit: 12, retries: 2, elapsedMs: 62_000, resumed: 0 };

const HEADER = ',win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,discrete_win_rate,mode,avg_length,length_controlled_winrate,lc_standard_error';
/** 15 models m1..m15 by falling LC; "mine" is m13's place and gemma-2b-it is m15. */
const BOARD = [HEADER, ...Array.from({ length: 15 }, (_, i) => {
  const name = i === 12 ? 'mine' : i === 14 ? 'gemma-2b-it' : `m${i + 1}`;
  return `${name},${(50 - i).toFixed(1)},1.0,1,1,0,2,50.0,community,${1000 + i},${(60 - i).toFixed(1)},0.5`;
})].join('\n');

describe('progress bars', () => {
  describe('progressBar', () => {
    it('fills whole cells and eighths', () => {
      expect(progressBar(0, 4)).toBe('[    ]');
      expect(progressBar(0.5, 4)).toBe('[██  ]');
      expect(progressBar(1, 4)).toBe('[████]');
      expect(progressBar(0.05, 4)).toBe('[▎   ]');
      expect(progressBar(2, 2)).toBe('[██]');
      expect(progressBar(NaN, 2)).toBe('[  ]');
    });
  });

  describe('formatProgress', () => {
    it('keeps the plain line by default and leads with a bar on request', () => {
      const plain = formatProgress(SNAP);
      expect(plain).toBe('generate 310/805 rows (38%) · 62000 tok · 1000 tok/s · 64 in flight · 12 at limit · 2 retries · 1m02s · eta 1m39s');
      // 310/805 of 10 cells = 30.8 eighths → 31: three full cells and ▉ (7/8)
      expect(formatProgress(SNAP, { bar: true, width: 10 })).toBe(`generate [███▉      ] 310/805 rows (38%)${plain.slice('generate 310/805 rows (38%)'.length)}`);
      expect(withProgressBar('not a progress line')).toBe('not a progress line');
    });
  });

  describe('formatJudgeProgress', () => {
    it('leads the judge line with a bar on request', () => {
      const t = { ...newJudgeTally(805), cached: 400, judged: 2 };
      expect(formatJudgeProgress(t)).toMatch(/^judge 402\/805 rows \(49%\) · 400 cached/);
      // 402/805 of 8 cells = 31.96 eighths → 32: four full cells
      expect(formatJudgeProgress(t, { bar: true, width: 8 })).toMatch(/^judge \[████    \] 402\/805 rows \(49%\) · 400 cached/);
    });
  });
});

describe('run-output', () => {
  describe('stateProgress', () => {
    const events = [
      { type: 'entered', state: 'Judge Chunks' }, { type: 'entered', state: 'Judge Chunk', index: 0 }, { type: 'entered', state: 'Judge Chunk', index: 1 },
      { type: 'exited', state: 'Judge Chunk', index: 1 }, { type: 'exited', state: 'Judge Chunk', index: 0 }, { type: 'exited', state: 'Judge Chunks' },
    ];

    it('draws the judge chunks as one bar rewritten in place on a terminal', () => {
      const s = sink(true);
      const on = stateProgress(s.stream, { judgeChunks: 2 });
      for (const e of events) on(e);
      const out = s.text();
      expect(out.startsWith('▸ Judge Chunks\n')).toBe(true);
      expect(out).toContain(`\r\x1b[K  judge ${progressBar(0)} 0/2 chunks · 2 running`);
      expect(out).toContain(`\r\x1b[K  judge ${progressBar(1)} 2/2 chunks · 0 running\r\x1b[K✓ Judge Chunks (`);
      expect(out).not.toContain('judge chunk 1 done');
    });

    it('prints one line per finished chunk elsewhere', () => {
      const s = sink(false);
      const on = stateProgress(s.stream, { judgeChunks: 2 });
      for (const e of events) on(e);
      expect(s.text()).toMatch(/^▸ Judge Chunks\n {2}judge chunk 1 done \(1 so far\)\n {2}judge chunk 0 done \(2 so far\)\n✓ Judge Chunks \(\d+\.\d s\)\n$/);
    });
  });

  describe('generatorOutput', () => {
    it('turns the generator\'s progress lines into a live bar on a terminal and passes other lines through', () => {
      const s = sink(true);
      const write = generatorOutput(s.stream);
      write(`${formatProgress(SNAP)}\naep-generator: wro`);
      write('te model_outputs.json\n');
      expect(s.text()).toBe(`\r\x1b[K  ${formatProgress(SNAP, { bar: true })}\r\x1b[Kaep-generator: wrote model_outputs.json\n`);
      const plain = sink(false);
      generatorOutput(plain.stream)(`${formatProgress(SNAP)}\n`);
      expect(plain.text()).toBe(`${formatProgress(SNAP)}\n`);
    });
  });

  describe('leaderboardTable', () => {
    it('shows the top models, then this one with its neighbours, marked', () => {
      const lines = leaderboardTable(BOARD, 'mine', { top: 3, around: 1 });
      expect(lines[0]).toMatch(/^\s+#\s+model\s+LC win rate\s+win rate\s+avg len$/);
      expect(lines.filter((l) => l.includes('▶'))).toEqual([expect.stringMatching(/^ {2}▶ {4}13 {2}mine +48\.00 ± 0\.50 +38\.00 ± 1\.00 +1012 {3}← this run$/)]);
      expect(lines.map((l) => /^\s*[▶~]?\s*(\d+|…)/.exec(l)?.[1] ?? 'head')).toEqual(['head', '1', '2', '3', '…', '12', '13', '14', '…']);
      expect(lines.at(-1)).toContain('(15 models; ~ similar size)');
    });
  });

  describe('formatRunSummary', () => {
    const metrics = {
      name: 'mine', length_controlled_winrate: 48, lc_standard_error: 0.5, win_rate: 38, standard_error: 1, discrete_win_rate: 37.5, n_wins: 300, n_wins_base: 500,
      n_draws: 5, n_total: 805, avg_length: 1012, lc_sensitivity: { band: [47.5, 48.2] }, leaderboard: { rank: 13, size: 15 }, warnings: [],
    };

    it('shows the 95 % bootstrap intervals when the metrics have them, keeping the official lc_standard_error', () => {
      const text = formatRunSummary({ ...metrics, length_controlled_winrate_ci95: [45.125, 51.5], win_rate_ci95: [35, 41.25] }, { report: '/r/report.html', runId: 'run-1' });
      expect(text).toContain('  LC win rate        48.00  95% CI [45.13, 51.50]   (official lc_standard_error 0.50; C-sensitivity 47.50–48.20)');
      expect(text).toContain('  win rate           38.00  95% CI [35.00, 41.25]   discrete 37.50');
    });

    it('keeps the headline block and adds the leaderboard table and the history link when given', () => {
      const text = formatRunSummary(metrics, { report: '/r/report.html', runId: 'run-1', leaderboardCsv: BOARD, history: '/r/history.html' });
      expect(text).toContain('AlpacaEval 2.0 — mine (run run-1)\n  LC win rate        48.00 ± 0.50   (C-sensitivity 47.50–48.20)');
      expect(text).toContain('  wins/losses/draws  300 / 500 / 5 of 805');
      // top 10 and 13 ± 2 are contiguous: no gap row; gemma-2b-it (rank 15) is marked as similar size
      expect(text).toMatch(/\n {7}10 {2}m10 .*\n {7}11 {2}m11 .*\n {7}12 {2}m12 .*\n {2}▶ {4}13 {2}mine .*← this run\n {7}14 {2}m14 .*\n {2}~ {4}15 {2}gemma-2b-it /);
      expect(text).not.toContain('…');
      expect(text.trimEnd().split('\n').slice(-2)).toEqual(['  report             /r/report.html', '  history            /r/history.html']);
      expect(formatRunSummary(metrics, { report: '/r', runId: 'x' })).not.toContain('← this run');
    });
  });

  describe('runSummary', () => {
    it('reads the leaderboard and the history link from the run folder', async () => {
      const root = await mkdtemp(join(tmpdir(), 'aep-summary-'));
      const store = new FileBlobStore(root);
      await store.put('runs/run-1/leaderboard.csv', BOARD);
      await store.put('runs/run-1/manifest.json', JSON.stringify({ stages: { report: { details: { historyUrl: 'https://x/reports/org-m/' } } } }));
      const text = await runSummary(store, 'run-1', { name: 'mine', leaderboard: { rank: 13, size: 15 } });
      expect(text).toContain('← this run');
      expect(text).toContain(`  report             ${join(root, 'runs', 'run-1', 'report.html')}`);
      expect(text).toContain('  history            https://x/reports/org-m/');
    });
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inlineScriptText, renderPage } from '../../../lambdas/core/report/page-shell.ts';
import { renderRunReport } from '../../../lambdas/core/report/run-report.ts';
import { newManifest } from '../../../lambdas/core/run/manifest.ts';
import { RunConfigSchema } from '../../../lambdas/core/run/run-config.ts';

const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)><!--';

function hostileInput() {
  const config = RunConfigSchema.parse({ model: 'org/<i>m</i>', name: HOSTILE });
  const manifest = newManifest({ runId: 'r1', config, versions: { pipeline: 't', node: 'v', alpacaEvalCommit: 'c' }, now: '2026-01-01T00:00:00Z' });
  const rows = [1, 2, 1.5].map((p, i) => ({
    instruction: `${HOSTILE} ${i}`, output_1: 'ref', output_2: `${HOSTILE} <|im_start|>`, generator_1: 'g', generator_2: HOSTILE, dataset: HOSTILE, preference: p,
  }));
  const board = `,win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,discrete_win_rate,mode,avg_length,length_controlled_winrate,lc_standard_error\n"${HOSTILE.replace(/"/g, '""')}",50.0,1.0,1,1,1,3,50.0,community,10,50.0,1.0\n`;
  return {
    manifest,
    metrics: {
      name: HOSTILE, win_rate: 50, standard_error: 1, length_controlled_winrate: 50, lc_standard_error: 1, discrete_win_rate: 50, n_wins: 1, n_wins_base: 1,
      n_draws: 1, n_total: 3, avg_length: 10, lc_sensitivity: { band: [49, 51] as [number, number] }, extreme_change_warning: false, warnings: [HOSTILE], leaderboard: { rank: 1, size: 1 },
    },
    leaderboardCsv: board,
    annotationsJson: JSON.stringify(rows),
    judgeTemplate: '<|im_start|>{output_1}<|im_end|>',
  };
}

describe('page-shell', () => {
  describe('inlineScriptText', () => {
    it('keeps a script from ending its element or opening an HTML comment', () => {
      expect(inlineScriptText('a = "</script>"; b = "<!--"; c = "</SCRIPT"')).toBe('a = "<\\/script>"; b = "<\\!--"; c = "<\\/SCRIPT"');
    });
  });

  describe('renderPage', () => {
    it('allows exactly the page\'s own scripts by hash and no network', () => {
      const html = renderPage({ title: 't', styles: '', body: '', data: { d: { x: '</script>' } }, scripts: ['var a = 1;', 'var s = "</script>";'] });
      const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
      const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!.replace(/&#39;/g, "'");
      expect(csp).toContain(`script-src ${hash('var a = 1;')} ${hash('var s = "<\\/script>";')};`);
      expect(csp).toContain("default-src 'none'");
      expect(html).toContain('<script type="application/json" id="d">{"x":"\\u003c/script\\u003e"}</script>');
    });
  });
});

describe('run-report', () => {
  describe('renderRunReport', () => {
    it('never writes run text as markup: names, instructions, outputs, datasets and warnings are escaped or JSON-encoded', () => {
      const html = renderRunReport(hostileInput());
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<i>m</i>');
      expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&lt;!--');
      // the only script elements are the page's own: data blocks and inline code
      const scripts = html.match(/<script[^>]*>/g)!;
      expect(new Set(scripts)).toEqual(new Set(['<script type="application/json" id="report-data">', '<script type="application/json" id="report-rows">', '<script type="application/json" id="report-markers">', '<script>']));
      expect(html).toContain('id="no-charts"');
    });

    it('inlines the charting library it is given, and no external resource', () => {
      const html = renderRunReport(hostileInput(), { chartLibrary: 'window.Chart = function () {}; // </script> test', historyHref: '../m/index.html' });
      expect(html).toContain('window.Chart = function () {}; // <\\/script> test');
      expect(html).not.toContain('id="no-charts"');
      expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
      expect(html).toContain('href="../m/index.html"');
    });
  });

  it('names the judge snapshot and scale, and shows the official-scale estimate of another judge with its interval', () => {
    const input = hostileInput();
    const judged = {
      ...input,
      metrics: {
        ...input.metrics,
        judge: { preset: 'gpt5_nano', model: 'gpt-5-nano', snapshots: { 'gpt-5-nano-2025-08-07': 3 }, parser: 'verdict' as const, scale: 'judge:gpt-5-nano-2025-08-07' },
        official_scale: {
          length_controlled_winrate: 12.34, interval: [8.5, 17.25] as [number, number], level: 0.9,
          calibration: { judge: 'gpt-5-nano', source: 's', sha256: 'h', method: 'm', file: 'f', file_sha256: 'fh' },
        },
      },
    };
    const html = renderRunReport(judged);
    expect(html).toContain('<span id="official-lc">12.34</span>');
    expect(html).toContain('90 % interval 8.50–17.25');
    expect(html).toContain('<span class="small" id="judge-snapshot">gpt-5-nano-2025-08-07</span>');
    expect(html).toContain('on its own scale (<code>judge:gpt-5-nano-2025-08-07</code>)');
    expect(renderRunReport(input)).not.toContain('official-lc');
  });
});


/**
 * `aep report RUN [--store DIR|s3://…] [--open]`: renders (or re-renders) a run's report and its model's checkpoint
 * history from the run folder, writes them where the workflow does (`runs/<id>/report.html`,
 * `reports/<id>/index.html`, `reports/<model>/index.html`, the site index `reports/index.html`), prints where they are, and opens the report in the
 * default browser with `--open`. RUN is a run id (in `--store`), or the path or s3:// URL of a run folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { openBlobStore } from '../../lambdas/adapters/blob-store.ts';
import { workerRunner } from '../../lambdas/adapters/bootstrap-workers.ts';
import { UsageError } from '../../lambdas/core/errors.ts';
import { fixed } from '../../lambdas/core/report/html.ts';
import { RUN_FILES, runPrefix } from '../../lambdas/core/run/layout.ts';
import { loadChartLibrary } from '../../lambdas/services/report/chart-library.ts';
import { publishRunReport } from '../../lambdas/services/report/publish-report.ts';
import { action } from './common.ts';

export interface ReportFlags {
  store?: string;
  open?: boolean;
}

/** Where the run is: the store root and the run id. */
export function locateRun(run: string, store: string | undefined, env: Record<string, string | undefined>): { root: string; runId: string } {
  if (run.startsWith('s3://')) {
    const m = /^(s3:\/\/.*?\/)runs\/([^/]+)\/?$/.exec(run);
    if (!m) throw new UsageError(`${run} is not a run folder (expected s3://bucket[/prefix]/runs/<run-id>/)`);
    return { root: m[1]!, runId: m[2]! };
  }
  if (existsSync(run)) {
    const dir = statSync(run).isDirectory() ? resolve(run) : dirname(resolve(run));
    if (!existsSync(join(dir, RUN_FILES.manifest))) throw new UsageError(`${dir} is not a run folder: it has no ${RUN_FILES.manifest}`);
    if (basename(dirname(dir)) !== 'runs') throw new UsageError(`${dir} is not inside a runs/ folder of a results store`);
    return { root: dirname(dirname(dir)), runId: basename(dir) };
  }
  if (/[/\\]/.test(run)) throw new UsageError(`${run} does not exist`);
  const root = store ?? env.AEP_STORE ?? 'aep-results';
  return { root: root.startsWith('s3://') ? root : resolve(root), runId: run };
}

/** The platform's "open with the default application" command. */
export function openerFor(platform: NodeJS.Platform, target: string): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [target] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', target] };
  return { command: 'xdg-open', args: [target] };
}

/** Starts the opener detached; resolves false (with the reason) when it cannot be started. */
function openInBrowser(target: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { command, args } = openerFor(process.platform, target);
  return new Promise((done) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.once('error', (err) => done({ ok: false, reason: `${command}: ${(err as NodeJS.ErrnoException).code ?? err.message}` }));
    child.once('spawn', () => {
      child.unref();
      done({ ok: true });
    });
  });
}

async function report(run: string, flags: ReportFlags): Promise<void> {
  const env = process.env;
  const { root, runId } = locateRun(run, flags.store, env);
  const store = openBlobStore(root, { env });
  if (!(await store.get(`${runPrefix(runId)}${RUN_FILES.manifest}`))) {
    throw new UsageError(`no run ${runId} in ${store.locate('runs/')} (give a run id with --store, or the run folder's path)`);
  }
  if (!(await store.get(`${runPrefix(runId)}${RUN_FILES.metrics}`))) {
    throw new UsageError(`run ${runId} has no ${RUN_FILES.metrics}: it did not get past aggregation (aep status ${runId} tells why)`);
  }
  const chartLibrary = await loadChartLibrary();
  if (chartLibrary === undefined) process.stderr.write('aep report: chart.js is not installed: the pages show tables but no charts\n');
  const p = await publishRunReport(store, runPrefix(runId), { chartLibrary, bootstrap: { runner: workerRunner() } });
  for (const s of p.historyLcSkipped) process.stderr.write(`aep report: history shows the raw-preference tests only for ${s}\n`);
  const h = p.model.headline;
  const ci = (c: [number, number] | null, se: number) => (c ? `[${fixed(c[0])}, ${fixed(c[1])}]` : `± ${fixed(se)}`);
  process.stdout.write([
    `${p.model.name}: LC ${fixed(h.lc.value)} ${ci(h.lc.ci95, h.lc.se)} · win rate ${fixed(h.winRate.value)} ${ci(h.winRate.ci95, h.winRate.se)} · #${p.model.leaderboard.rank ?? '–'} of ${p.model.leaderboard.size}`,
    `report     ${p.url}`,
    `published  ${store.locate(p.keys.published)}`,
    `history    ${p.historyUrl} (${p.historyRuns} run${p.historyRuns === 1 ? '' : 's'})`,
    `index      ${store.locate(p.keys.index)}`,
    '',
  ].join('\n'));
  if (!flags.open) return;
  let target = p.url;
  if (root.startsWith('s3://')) {
    // a browser cannot open s3://: open a local copy (the page is self-contained)
    target = join(tmpdir(), `aep-report-${runId}.html`);
    await writeFile(target, (await store.get(p.keys.report))!);
  }
  const opened = await openInBrowser(target);
  process.stdout.write(opened.ok ? `opened     ${target}\n` : '');
  if (!opened.ok) process.stderr.write(`aep report: could not open a browser (${opened.reason}); open ${target} yourself\n`);
}

export function reportCommand(): Command {
  return new Command('report')
    .description('render (or re-render) a run\'s report and its model\'s checkpoint history from the run folder')
    .argument('<run>', 'a run id (in --store), or the path or s3:// URL of a run folder (…/runs/<run-id>)')
    .option('--store <dir|s3://…>', 'results store holding runs/<run-id>/ (default: $AEP_STORE or aep-results)')
    .option('--open', 'open the report in the default browser')
    .action(action('report', report));
}

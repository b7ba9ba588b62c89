/**
 * CLI start-up: median wall time and peak RSS of `aep --help`, `aep run --help`, `aep aggregate --help` from the
 * built CLI (dist/, `npm run build`) and from the TypeScript sources (tsx), with bare `node -e 0` as the floor.
 * Peak RSS is read from GNU time (`/usr/bin/time -f %M`); without it only wall times are printed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.AEP_BENCH_RUNS ?? 9);
const gnuTime = existsSync('/usr/bin/time');
if (!existsSync(join(root, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build first');

function measure(args: string[], env: Record<string, string>): { wall: number; rssMiB: number | null } {
  const start = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  const kb = gnuTime ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
  return { wall, rssMiB: Number.isFinite(kb) ? kb / 1024 : null };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cases: { label: string; args: string[]; env: Record<string, string> }[] = [
  { label: 'node -e 0 (floor)', args: ['-e', '0'], env: {} },
];
for (const cmd of [[], ['run'], ['aggregate']]) {
  cases.push({ label: `aep ${[...cmd, '--help'].join(' ')} (built)`, args: ['bin/aep.js', ...cmd, '--help'], env: { AEP_FROM_SOURCE: '0' } });
  cases.push({ label: `aep ${[...cmd, '--help'].join(' ')} (sources, tsx)`, args: ['bin/aep.js', ...cmd, '--help'], env: { AEP_FROM_SOURCE: '1' } });
}

console.log(`CLI start-up, median of ${RUNS} runs each`);
const floor: number[] = [];
for (const c of cases) {
  const walls: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const m = measure(c.args, c.env);
    walls.push(m.wall);
    if (m.rssMiB !== null) rss.push(m.rssMiB);
  }
  const w = median(walls);
  if (floor.length === 0) floor.push(w);
  const peak = rss.length ? `${Math.max(...rss).toFixed(0)} MiB` : 'n/a';
  console.log(`${c.label.padEnd(38)} median ${w.toFixed(3)} s  (${(w / floor[0]!).toFixed(1)}× node -e 0)  peak RSS ${peak}`);
}

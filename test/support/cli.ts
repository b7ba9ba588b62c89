/**
 * Runs the real `aep` CLI (node bin/aep.js) as a child process, from the TypeScript sources (AEP_FROM_SOURCE=1)
 * unless `env.AEP_FROM_SOURCE` says otherwise; test/cli/built-cli.test.ts runs the built dist/.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './fixtures.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runAep(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'aep.js'), ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, AEP_OFFLINE: '1', AEP_FROM_SOURCE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

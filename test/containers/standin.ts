/** Installs the stand-in `vllm` executable (vllm-standin.ts run by Node with the tsx loader) in a temp bin dir. */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/fixtures.ts';

export const TSX_LOADER = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** A directory holding an executable `vllm`; put it first on PATH. */
export async function installVllmStandin(): Promise<{ binDir: string; vllm: string }> {
  const binDir = await mkdtemp(join(tmpdir(), 'aep-standin-'));
  const vllm = join(binDir, 'vllm');
  const script = join(repoRoot, 'test', 'containers', 'vllm-standin.ts');
  await writeFile(vllm, `#!/bin/sh\nexec "${process.execPath}" --import "${TSX_LOADER}" "${script}" "$@"\n`);
  await chmod(vllm, 0o755);
  return { binDir, vllm };
}

/** `process.env` with `dir` first on PATH, plus extra variables. */
export function envWithPath(dir: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, ...extra };
}

/**
 * Error names must survive minification: the state machine's Retry/Catch clauses and Lambda's `errorType` match
 * `error.name`. Every error class of the project spells its name out as a string literal equal to the class name
 * (the shipped bundles are checked end to end in test/shipped/bundled-handlers.test.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLING } from '../../infra/bundling.ts';
import { REPO_ROOT } from '../support/shipped.ts';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every `class X extends Y` in the shipped code whose chain reaches `Error`, with its body. */
function errorClasses(): { file: string; name: string; body: string }[] {
  const classes: { file: string; name: string; base: string; body: string }[] = [];
  for (const file of ['lambdas', 'bin', 'containers', 'infra'].flatMap((d) => sources(join(REPO_ROOT, d)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/class (\w+) extends (\w+)\s*\{/g)) {
      classes.push({ file: relative(REPO_ROOT, file), name: m[1]!, base: m[2]!, body: text.slice(m.index! + m[0].length, m.index! + m[0].length + 400) });
    }
  }
  const isError = (name: string, seen = new Set<string>()): boolean => {
    if (name === 'Error') return true;
    const c = classes.find((k) => k.name === name);
    if (!c || seen.has(name)) return false;
    seen.add(name);
    return isError(c.base, seen);
  };
  return classes.filter((c) => isError(c.base));
}

describe('error names', () => {
  it('finds the error hierarchy (the scan is not empty)', () => {
    const names = errorClasses().map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['AepError', 'JudgeRowsFailedError', 'JudgeQuotaError', 'InputError', 'BlobStoreError']));
  });

  it('every error class declares its name as a string literal equal to the class name', () => {
    const missing = errorClasses()
      .filter((c) => !new RegExp(`^\\s*(?:/\\*\\*[^]*?\\*/\\s*)?override readonly name: string = '${c.name}';`).test(c.body))
      .map((c) => `${c.file}: ${c.name}`);
    expect(missing).toEqual([]);
  });

  it('the Lambda bundles keep names', () => {
    expect(LAMBDA_BUNDLING).toMatchObject({ keepNames: true });
  });
});

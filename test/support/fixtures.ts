/**
 * The one way tests find the public AlpacaEval data: `$AEP_FIXTURES`, then `../shared/alpacaeval`
 * (next to the checkout). Nothing under it is ever copied into the project.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function candidates(): string[] {
  const fromEnv = process.env.AEP_FIXTURES;
  return [fromEnv, join(repoRoot, '..', 'shared', 'alpacaeval')].filter((p): p is string => !!p);
}

/** Root folder of the fixtures, or undefined when none of the candidates exists. */
export function fixturesRoot(): string | undefined {
  return candidates().find((p) => existsSync(join(p, 'reference')));
}

/** Absolute path of a fixture, or undefined if it is missing. */
export function fixturePath(rel: string): string | undefined {
  const root = fixturesRoot();
  if (!root) return undefined;
  const p = join(root, rel);
  return existsSync(p) ? p : undefined;
}

/** Names of the fixtures (relative paths) that are missing. */
export function missingFixtures(...rels: string[]): string[] {
  return rels.filter((r) => !fixturePath(r));
}

/** A sentence for a skipped test: which fixtures are missing and where they were looked for. */
export function missingMessage(missing: string[]): string {
  return `missing AlpacaEval fixtures ${missing.join(', ')} (looked in $AEP_FIXTURES and ${join(repoRoot, '..', 'shared', 'alpacaeval')})`;
}

/** Skips the running test with a message when any fixture is missing; returns the absolute paths. */
export function needFixtures(ctx: { skip: (note?: string) => void }, ...rels: string[]): string[] {
  const missing = missingFixtures(...rels);
  if (missing.length > 0) {
    console.warn(`[skip] ${missingMessage(missing)}`);
    ctx.skip(missingMessage(missing));
  }
  return rels.map((r) => fixturePath(r)!);
}

/** Reads a fixture as text (gunzipping `.gz`). */
export function readFixtureText(rel: string): string {
  const p = fixturePath(rel);
  if (!p) throw new Error(missingMessage([rel]));
  const buf = readFileSync(p);
  return (p.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

export function readFixtureJson<T = unknown>(rel: string): T {
  return JSON.parse(readFixtureText(rel)) as T;
}

/** The 15 models with golden metrics. */
export function goldenModels(): string[] {
  return [
    'FuseChat-Llama-3.2-1B-Instruct', 'NullModel', 'Qwen-14B-Chat', 'alpaca-7b', 'alpaca-7b_concise',
    'alpaca-7b_verbose', 'claude-2.1', 'falcon-7b-instruct', 'gemma-2b-it', 'gpt-3.5-turbo-1106',
    'gpt4_1106_preview', 'gpt4_gamed', 'phi-2', 'text_davinci_003', 'vicuna-7b',
  ];
}

export { repoRoot };

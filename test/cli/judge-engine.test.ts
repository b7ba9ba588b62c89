/** `aep judge --judge-engine vllm`: the open-weights judge on a vLLM the command starts (the stand-in on PATH). */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { envWithPath, installVllmStandin } from '../containers/standin.ts';
import { runAep } from '../support/cli.ts';
import { fixturePath, missingFixtures, missingMessage } from '../support/fixtures.ts';

const FILES = ['reference/gpt4_1106_preview.model_outputs.json', 'judge/alpaca_eval_clf.txt', 'outputs/alpaca-7b.model_outputs.json.gz'];
const missing = missingFixtures(...FILES);
if (missing.length) console.warn(`[skip] aep judge --judge-engine tests: ${missingMessage(missing)}`);

let binDir: string;
beforeAll(async () => {
  ({ binDir } = await installVllmStandin());
});

describe.skipIf(missing.length > 0)('aep judge --judge-engine vllm', () => {
  const args = (dir: string, judge: string) => ['judge', '--judge', judge, '--judge-engine', 'vllm', '--model-outputs', fixturePath(FILES[2]!)!,
    '--eval-set', fixturePath(FILES[0]!)!, '--judge-template', fixturePath(FILES[1]!)!, '--max-instances', '20',
    '--cache-dir', join(dir, 'cache'), '--out', join(dir, 'out')];

  it('judges every row on the vLLM it starts (prefix caching, the preset as served name) without an OpenAI key', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'aep-judge-engine-'));
    const record = join(dir, 'argv.json');
    // Act
    const r = await runAep(args(dir, 'weighted_alpaca_eval_vllm_llama3_70b'), { env: envWithPath(binDir, { OPENAI_API_KEY: '', STANDIN_RECORD: record }) });
    const rows = JSON.parse(await readFile(join(dir, 'out', 'annotations.json'), 'utf8')) as { annotator: string; judge_source: string }[];
    const again = await runAep(args(dir, 'weighted_alpaca_eval_vllm_llama3_70b'), { env: envWithPath(binDir, { OPENAI_API_KEY: '', STANDIN_RECORD: join(dir, 'again.json') }) });
    // Assess
    expect(r.code, r.stderr).toBe(0);
    const { argv } = JSON.parse(await readFile(record, 'utf8')) as { argv: string[] };
    expect(argv.slice(0, 2)).toEqual(['serve', 'meta-llama/Meta-Llama-3-70B-Instruct']);
    expect(argv).toEqual(expect.arrayContaining(['--enable-prefix-caching', '--tensor-parallel-size', '2', '--served-model-name', 'meta-llama/Meta-Llama-3-70B-Instruct']));
    expect(argv).not.toContain('--revision'); // the 70B preset is unpinned
    expect(rows).toHaveLength(20);
    expect(rows.every((x) => x.annotator === 'weighted_alpaca_eval_vllm_llama3_70b' && ['api', 'identical'].includes(x.judge_source))).toBe(true);
    expect(r.stderr).toMatch(/judge vLLM up \d+\.\d s \(start \d+\.\d s\) on 2 GPU\(s\): \d+\.\d\d GPU-minutes/);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('judge vLLM not started (every judgement was cached)');
  }, 120_000);

  it('refuses a judge without open weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aep-judge-engine-'));
    const r = await runAep(args(dir, 'gpt-4o-mini'), { env: envWithPath(binDir, { OPENAI_API_KEY: '' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/aep judge: judge gpt-4o-mini \(gpt-4o-mini-2024-07-18\) has no open weights to serve with vLLM/);
  });
});

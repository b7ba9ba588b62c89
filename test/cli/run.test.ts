import { existsSync } from 'node:fs';
import { acquireRunLock } from '../../lambdas/adapters/run-lock.ts';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunConfigSchema, runIdFor } from '../../lambdas/core/run/run-config.ts';
import { synthLocalDefinition } from '../../infra/local/definition.ts';
import { runAep } from '../support/cli.ts';
import { startFakeEngine, type FakeEngine } from '../support/fake-engine.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { missingFixtures, missingMessage } from '../support/fixtures.ts';
import { motoAvailability, startMoto, type MotoServer } from '../support/moto.ts';
import { assetFlags, FIXTURES, MODEL } from '../workflow/harness.ts';

const missing = missingFixtures(...FIXTURES);
if (missing.length) console.warn(`[skip] aep run tests: ${missingMessage(missing)}`);

let engine: FakeEngine;
let judge: FakeOpenAI;
beforeAll(async () => {
  engine = await startFakeEngine({ models: [MODEL], capacityTokensPerSecond: 5_000_000, perTokenLatencyMs: 0 });
  judge = await startFakeOpenAI();
});
afterAll(async () => {
  await Promise.all([engine?.close(), judge?.close()]);
});

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'aep-cli-run-'));
}

describe.skipIf(missing.length > 0)('aep run', () => {
  it('runs the whole evaluation into a run folder, then status and fetch read it back', async () => {
    // Prepare
    const dir = await tmp();
    const out = join(dir, 'results');
    const judged = judge.chatRequests.length;
    // Act
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge-base-url', judge.baseUrl,
      '--max-instances', '30', '--out', out, '--cache-dir', join(dir, 'cache'), ...assetFlags()], { env: { OPENAI_API_KEY: 'sk-test' } });
    // Assess
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/AlpacaEval 2\.0 — hh-llama32-1b-sft/);
    expect(r.stdout).toMatch(/LC win rate\s+\d+\.\d\d  95% CI \[\d+\.\d\d, \d+\.\d\d\]   \(official lc_standard_error \d+\.\d\d/);
    expect(r.stderr).toContain('✓ Judge Chunks');
    expect(judge.chatRequests.length - judged).toBe(30);
    const runId = /run (hh-llama32-1b-sft-latest-[0-9a-f]+)/.exec(r.stdout)![1]!;
    const folder = join(out, 'runs', runId);
    for (const f of ['manifest.json', 'annotations.json', 'metrics.json', 'leaderboard.csv', 'report.html', 'model_outputs.json']) expect(existsSync(join(folder, f)), f).toBe(true);

    const status = await runAep(['status', runId, '--store', out]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^run ${runId}: succeeded`));
    const fetched = await runAep(['fetch', runId, '--store', out, '--out', join(dir, 'copy')]);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(await readFile(join(dir, 'copy', runId, 'metrics.json'), 'utf8')).toBe(await readFile(join(folder, 'metrics.json'), 'utf8'));
  });

  it('refuses to run a run that another aep is running: nothing generated or judged', async () => {
    // Prepare: a first run makes the folder; then another process holds its lock
    const dir = await tmp();
    const out = join(dir, 'results');
    const argv = ['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--judge-base-url', judge.baseUrl,
      '--max-instances', '10', '--out', out, '--cache-dir', join(dir, 'cache'), ...assetFlags()];
    const first = await runAep(argv, { env: { OPENAI_API_KEY: 'sk-test' } });
    expect(first.code, first.stderr).toBe(0);
    const runId = /run (hh-llama32-1b-sft-latest-[0-9a-f]+)/.exec(first.stdout)![1]!;
    const held = await acquireRunLock(join(out, 'runs', runId), 'aep run (another terminal)');
    const before = { engine: engine.requests.length, judge: judge.chatRequests.length };
    // Act
    const second = await runAep(argv, { env: { OPENAI_API_KEY: 'sk-test' } }).finally(() => held.release());
    // Assess
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`aep run: .*runs/${runId} is in use by another aep \\(aep run \\(another terminal\\), pid ${process.pid} `));
    expect({ engine: engine.requests.length, judge: judge.chatRequests.length }).toEqual(before);
  });

  it('stops before spending anything without an OpenAI key, saying what to supply', async () => {
    const dir = await tmp();
    const before = { engine: engine.requests.length, judge: judge.chatRequests.length };
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--out', dir, ...assetFlags()], { env: { OPENAI_API_KEY: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^aep run: OPENAI_API_KEY is not set: .*nothing was started$/);
    expect({ engine: engine.requests.length, judge: judge.chatRequests.length }).toEqual(before);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('stops before spending anything when the engine does not answer', async () => {
    const dir = await tmp();
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', 'http://127.0.0.1:9/v1', '--out', dir, ...assetFlags()], { env: { OPENAI_API_KEY: 'sk-test' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^aep run: the engine at http:\/\/127\.0\.0\.1:9\/v1 does not answer .*--engine vllm or --model-outputs FILE; nothing was started$/);
  });

  it('stops before spending anything when --engine vllm has no vllm to start', async () => {
    const r = await runAep(['run', '--model', MODEL, '--engine', 'vllm', '--out', await tmp(), ...assetFlags()], { env: { OPENAI_API_KEY: 'sk-test', PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^aep run: --engine vllm needs the vllm command on PATH .*nothing was started$/);
  });

  it('wants exactly one source of outputs', async () => {
    const r = await runAep(['run', '--model', MODEL, '--generator-base-url', engine.baseUrl, '--engine', 'vllm'], { env: { OPENAI_API_KEY: 'sk-test' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('give exactly one of --generator-base-url URL');
  });
});

const moto = motoAvailability();
describe.skipIf(!moto.available)('aep start', () => {
  let s3: MotoServer;
  beforeAll(async () => {
    s3 = await startMoto();
  }, 60_000);
  afterAll(() => s3?.stop());

  it('starts an execution named after the run id, and refuses to start the same run twice', async () => {
    const env = { ...s3.env, AWS_ENDPOINT_URL_SFN: s3.endpoint };
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: s3.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
      name: `aep-${Date.now()}`, roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify(synthLocalDefinition().definition),
    }));
    const args = ['start', '--model', MODEL, '--revision', 'abc123', '--state-machine-arn', stateMachineArn!, '--json'];
    const first = await runAep(args, { env });
    expect(first.code, first.stderr).toBe(0);
    const { runId, executionArn } = JSON.parse(first.stdout) as { runId: string; executionArn: string };
    expect(runId).toBe(runIdFor(RunConfigSchema.parse({ model: MODEL, revision: 'abc123' })));
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.name).toBe(runId);
    expect(JSON.parse(described.input!)).toMatchObject({ runId, config: { model: MODEL, revision: 'abc123' } });
    // Step Functions either answers the same execution (same name and input, still running) or refuses the name:
    // never a second execution of the same run
    const second = await runAep(args, { env });
    if (second.code === 0) expect(JSON.parse(second.stdout).executionArn).toBe(executionArn);
    else expect(second.stderr).toContain(`run ${runId} was already started`);
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    expect(listed.executions!.filter((e) => e.name === runId)).toHaveLength(1);
    sfn.destroy();
  });
});

/**
 * Deploy on an emulator: the stack as `cdk synth` writes it (bundles included, `support/shipped.ts`), created in
 * moto_server's CloudFormation after a played `cdk bootstrap` and asset publishing, with only the rewrites listed in
 * `emulator-template.ts`. Then the bundled StartRun handler runs with the environment the deployed function has,
 * against the deployed bucket and state machine.
 */
import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../lambdas/core/run/manifest.ts';
import { RunConfigSchema, runIdFor } from '../../lambdas/core/run/run-config.ts';
import type { TriggerOutcome } from '../../lambdas/services/workflow/start-run.ts';
import { motoAvailability, motoClient, startMoto, type MotoServer } from '../support/moto.ts';
import { importBundledHandler, setLambdaEnvironment, shippedAssembly, STACK_NAME, type ShippedAssembly } from '../support/shipped.ts';
import { bootstrapAndPublish, CloudFormationClient, createStack, EMULATOR_REGION, EMULATOR_REWRITES, emulatorTemplate } from './emulator-template.ts';

const moto = motoAvailability();
if (!moto.available) console.warn(`[skip] emulator deploy tests: ${moto.reason}`);

const clientConfig = (endpoint: string) => ({ endpoint, region: EMULATOR_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

let server: MotoServer;
let assembly: ShippedAssembly;
let s3: S3Client;
let sfn: SFNClient;
let cfn: CloudFormationClient;
let stackName: string;
let outputs: Record<string, string>;
let removed: string[];
let restoreEnv: () => void = () => {};

beforeAll(async () => {
  if (!moto.available) return;
  [server, assembly] = await Promise.all([startMoto(), shippedAssembly()]);
  s3 = motoClient(server);
  sfn = new SFNClient(clientConfig(server.endpoint));
  cfn = new CloudFormationClient({ ...clientConfig(server.endpoint), maxAttempts: 1 });
  await bootstrapAndPublish({ endpoint: server.endpoint, s3, assembly, stackName: STACK_NAME });
  const rewritten = emulatorTemplate(assembly.template);
  removed = rewritten.removed;
  stackName = `aep-emulated-${Date.now().toString(36)}`;
  outputs = await createStack(cfn, stackName, rewritten.template);
}, 240_000);
afterAll(async () => {
  restoreEnv();
  s3?.destroy();
  sfn?.destroy();
  cfn?.destroy();
  await server?.stop();
});

/** The deployed function's configuration, from the emulator's Lambda API (GetFunction). */
async function deployedFunction(functionId: string): Promise<{ name: string; environment: Record<string, string>; codeSha256: string }> {
  const logicalId = assembly.logicalIds[functionId]!;
  const resource = await cfn.send(new DescribeStackResourceCommand({ StackName: stackName, LogicalResourceId: logicalId }));
  const name = resource.StackResourceDetail!.PhysicalResourceId!;
  const res = await fetch(`${server.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}`, {
    headers: { authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${EMULATOR_REGION}/lambda/aws4_request, SignedHeaders=host, Signature=0` },
  });
  if (!res.ok) throw new Error(`GetFunction ${name}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { Configuration: { FunctionName: string; CodeSha256: string; Environment?: { Variables?: Record<string, string> } } };
  return { name: body.Configuration.FunctionName, environment: body.Configuration.Environment?.Variables ?? {}, codeSha256: body.Configuration.CodeSha256 };
}

/** The bundled StartRun, with the deployed function's environment pointed at the emulator. */
async function startRun(): Promise<(event: unknown) => Promise<TriggerOutcome>> {
  const fn = await deployedFunction('StartRun');
  restoreEnv();
  restoreEnv = setLambdaEnvironment(server.endpoint, fn.environment);
  return importBundledHandler<unknown, TriggerOutcome>(assembly, 'StartRun');
}

function readyEvent(key: string) {
  return { source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: outputs.BucketName! }, object: { key, etag: 'e1' } } };
}

async function executions(): Promise<{ name: string; arn: string; status: string }[]> {
  const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: outputs.StateMachineArn! }));
  return (list.executions ?? []).map((e) => ({ name: e.name!, arn: e.executionArn!, status: e.status! }));
}

describe.skipIf(!moto.available)('the stack deployed on an emulator', () => {
  it('reaches CREATE_COMPLETE with only the listed rewrites, and its functions run the published bundles', async () => {
    const rewrittenTypes = new Set(EMULATOR_REWRITES.filter((r) => r.action === 'removed').map((r) => r.resourceType));
    expect(removed.map((id) => assembly.template.Resources[id]!.Type).every((t) => rewrittenTypes.has(t))).toBe(true);
    expect(outputs.BucketName).toMatch(/resultsbucket/);
    expect(outputs.StateMachineArn).toMatch(/^arn:aws:states:us-east-1:123456789012:stateMachine:/);
    const fn = await deployedFunction('StartRun');
    expect(fn.environment).toMatchObject({ RESULTS_BUCKET: outputs.BucketName, STATE_MACHINE_ARN: outputs.StateMachineArn });
    // the deployed code is the synthesised asset: the zip published under the key the template names
    const key = (assembly.template.Resources[assembly.logicalIds.StartRun!]!.Properties!.Code as { S3Key: string }).S3Key;
    const zip = await (await s3.send(new GetObjectCommand({ Bucket: `cdk-hnb659fds-assets-123456789012-${EMULATOR_REGION}`, Key: key }))).Body!.transformToByteArray();
    expect(fn.codeSha256).toBe(createHash('sha256').update(zip).digest('base64'));
  });

  it('StartRun starts one execution for a new READY checkpoint, none for a duplicate, and takes over a run whose execution ended', async () => {
    const handler = await startRun();
    const event = readyEvent('checkpoints/hh-sft/step-100/READY');

    const first = await handler(event);
    expect(first).toMatchObject({ action: 'started' });
    expect((await executions()).map((e) => [e.name, e.status])).toEqual([[first.runId, 'RUNNING']]);

    const duplicate = await handler(event);
    expect(duplicate).toMatchObject({ action: 'skipped', runId: first.runId });
    expect(await executions()).toHaveLength(1);

    // the execution dies without recording it (aborted by hand): the manifest, as its Prepare wrote it, says running
    const [execution] = await executions();
    const manifest = { version: 1, runId: first.runId, status: 'running', attempts: 1, execution: execution!.arn, updatedAt: new Date().toISOString(), stages: { judge: { status: 'running' } } };
    await s3.send(new PutObjectCommand({ Bucket: outputs.BucketName!, Key: `runs/${first.runId}/manifest.json`, Body: JSON.stringify(manifest) }));
    expect(await handler(event)).toMatchObject({ action: 'skipped', reason: expect.stringContaining('in progress') });
    await sfn.send(new StopExecutionCommand({ executionArn: execution!.arn, error: 'Aborted', cause: 'stopped by hand' }));
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: execution!.arn }))).status).toBe('ABORTED');

    const takeover = await handler(event);
    expect(takeover).toEqual({ action: 'taken-over', runId: first.runId, executionName: `${first.runId}-a2`, previous: { execution: execution!.arn, status: 'ABORTED' } });
    const after = await executions();
    expect(after.map((e) => e.name).sort()).toEqual([first.runId, `${first.runId}-a2`].sort());
    expect(after.find((e) => e.name === `${first.runId}-a2`)!.status).toBe('RUNNING');
    const body = await (await s3.send(new GetObjectCommand({ Bucket: outputs.BucketName!, Key: `runs/${first.runId}/manifest.json` }))).Body!.transformToString();
    const written = JSON.parse(body) as RunManifest;
    expect(written.status).toBe('failed');
    expect(written.failure).toMatchObject({ error: 'ExecutionEnded', stage: 'judge' });
  });

  it('one run, two executions (a console start racing the schedule): the second Prepare is refused while the first runs, and takes over once it has ended', async () => {
    const fn = await deployedFunction('PrepareRun');
    restoreEnv();
    restoreEnv = setLambdaEnvironment(server.endpoint, fn.environment);
    const prepare = await importBundledHandler<unknown, unknown>(assembly, 'PrepareRun');
    const started = await Promise.all(['race-console', 'race-schedule'].map((name) =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: outputs.StateMachineArn!, name, input: '{}' }))));
    const [a, b] = started.map((e) => e.executionArn!);
    const config = { model: 'org/race-model', name: 'race' };
    const runId = runIdFor(RunConfigSchema.parse(config));
    const lease = async () => JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: outputs.BucketName!, Key: `runs/${runId}/lease.json` }))).Body!.transformToString()) as { execution: string };
    // both Prepares at once: exactly one holds the run; the other stops with RunInProgressError (the winner goes on
    // and fails later on its offline assets, which does not matter here)
    const outcomes = await Promise.allSettled([a, b].map((execution) => prepare({ input: { config }, execution })));
    const names = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).name : 'ok'));
    expect(names.filter((n) => n === 'RunInProgressError')).toHaveLength(1);
    const holder = (await lease()).execution;
    const loser = holder === a ? b : a;
    expect([a, b]).toContain(holder);
    const refused = outcomes[[a, b].indexOf(loser)] as PromiseRejectedResult;
    expect((refused.reason as Error).message).toContain(`is being evaluated by ${holder}`);
    // while the holder runs, the loser keeps being refused; once it has ended, the loser takes the run over
    await expect(prepare({ input: { config }, execution: loser })).rejects.toMatchObject({ name: 'RunInProgressError' });
    await sfn.send(new StopExecutionCommand({ executionArn: holder, error: 'Aborted', cause: 'stopped by hand' }));
    const retaken = await prepare({ input: { config }, execution: loser }).then(() => 'ok', (err: Error) => err.name);
    expect(retaken).not.toBe('RunInProgressError');
    expect((await lease()).execution).toBe(loser);
  });
});

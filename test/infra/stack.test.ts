import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATES } from '../../infra/constructs/eval-workflow.ts';
import { JUDGE_JOB_COMMAND } from '../../infra/constructs/generation-batch.ts';
import { GENERATOR_CONTEXT_EXCLUDES } from '../../infra/constructs/generation-batch.ts';
import { SITE_INDEX_KEY } from '../../lambdas/services/report/publish-report.ts';
import { synthLocalDefinition } from '../../infra/local/definition.ts';
import { GENERATION_ENV_KEYS } from '../../lambdas/core/run/generation-env.ts';
import { buildStack, normalisedTemplate } from './app.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let built: ReturnType<typeof buildStack>;
let resources: Resources;

beforeAll(() => {
  built = buildStack();
  resources = built.template.toJSON().Resources as Resources;
});

function ofType(type: string) {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

describe('AlpacaEvalStack', () => {
  describe('GPU generation on AWS Batch', () => {
    it('defines the generator job with one GPU, a timeout and retries only on spot reclaim or image pull', () => {
      built.template.hasResourceProperties('AWS::Batch::JobDefinition', {
        Type: 'container',
        ContainerProperties: Match.objectLike({
          ResourceRequirements: Match.arrayWith([{ Type: 'GPU', Value: '1' }]),
          Environment: Match.arrayWith([{ Name: 'ENGINE_MAX_MODEL_LEN', Value: '4096' }, { Name: 'AWS_REGION', Value: { Ref: 'AWS::Region' } }]),
        }),
        RetryStrategy: {
          Attempts: 3,
          EvaluateOnExit: [
            { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
            { Action: 'RETRY', OnReason: 'CannotPullContainerError:*' },
            { Action: 'EXIT', OnExitCode: '*' },
          ],
        },
        Timeout: { AttemptDurationSeconds: 7200 },
      });
    });

    it('puts a spot GPU environment first and an on-demand one behind it, both g6/g5 with the NVIDIA AMI', () => {
      const envs = ofType('AWS::Batch::ComputeEnvironment').map(([, r]) => r.Properties.ComputeResources as Record<string, unknown>);
      expect(envs.map((e) => e.Type).sort()).toEqual(['EC2', 'SPOT']);
      for (const e of envs) {
        expect(e.InstanceTypes).toEqual(['g6.xlarge', 'g5.xlarge']);
        expect(e.Ec2Configuration).toEqual([{ ImageType: 'ECS_AL2023_NVIDIA' }]);
        expect(e.MinvCpus).toBe(0);
      }
      expect(envs.find((e) => e.Type === 'SPOT')!.AllocationStrategy).toBe('SPOT_PRICE_CAPACITY_OPTIMIZED');
      const queues = ofType('AWS::Batch::JobQueue').map(([, r]) => r.Properties.ComputeEnvironmentOrder as { Order: number }[]);
      expect(queues.map((q) => q.map((o) => o.Order))).toEqual([[1, 2]]);
    });

    it('cancels a job stuck in RUNNABLE after the configured time, for each reason Batch can name', () => {
      const limits = (template: typeof built.template) => (Object.values(template.toJSON().Resources as Resources)
        .find((r) => r.Type === 'AWS::Batch::JobQueue')!.Properties.JobStateTimeLimitActions as Record<string, unknown>[]);
      expect(limits(built.template)).toEqual(['CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY', 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE', 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT']
        .map((reason) => ({ Action: 'CANCEL', State: 'RUNNABLE', MaxTimeSeconds: 3600, Reason: reason })));
      expect(limits(buildStack({ gpu: { runnableTimeoutMinutes: 20 } }).template).map((l) => l.MaxTimeSeconds)).toEqual([1200, 1200, 1200]);
      expect(() => buildStack({ gpu: { runnableTimeoutMinutes: 5 } })).toThrow(/gpu\.runnableTimeoutMinutes/);
      // Record Failure is told the limit, to name it in the manifest
      const record = (synthLocalDefinition({ gpu: { runnableTimeoutMinutes: 20 } }).definition.States as Record<string, { Parameters: Record<string, unknown> }>)[STATES.recordFailure]!;
      expect(record.Parameters).toEqual({ 'state.$': '$', runnableTimeoutMinutes: 20 });
    });

    it('builds the generator image for linux/amd64 from a context without tests, benchmarks or docs', () => {
      const outdir = built.app.synth().directory;
      const manifest = JSON.parse(readFileSync(join(outdir, `${built.stack.stackName}.assets.json`), 'utf8')) as { dockerImages: Record<string, { source: { directory: string; platform?: string } }> };
      const images = Object.values(manifest.dockerImages);
      expect(images).toHaveLength(1);
      const image = { platform: images[0]!.source.platform, path: images[0]!.source.directory };
      expect(image.platform).toBe('linux/amd64');
      for (const excluded of ['test', 'bench', 'infra', 'node_modules', '.git', '**/*.md']) expect(GENERATOR_CONTEXT_EXCLUDES).toContain(excluded);
      const staged = readdirSync(join(outdir, image.path));
      expect(staged).toEqual(expect.arrayContaining(['lambdas', 'containers', 'package.json', 'package-lock.json', 'tsconfig.json']));
      for (const excluded of ['test', 'bench', 'infra', 'node_modules', '.git']) expect(staged).not.toContain(excluded);
    });

    it('gives the instances a large encrypted gp3 root volume for the vLLM image and the weights', () => {
      built.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 200, VolumeType: 'gp3' } }],
          MetadataOptions: { HttpTokens: 'required' },
        }),
      });
    });
  });

  describe('results bucket', () => {
    it('is encrypted, versioned, private, and expires the judge cache', () => {
      built.template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'JudgeCache', Prefix: 'cache/judge/', ExpirationInDays: 90, Status: 'Enabled' })]) },
      });
    });

    it('sends its object events to EventBridge (checkpoint triggers)', () => {
      built.template.hasResourceProperties('Custom::S3BucketNotifications', { NotificationConfiguration: { EventBridgeConfiguration: {} } });
    });

    it('denies non-TLS access and lets CloudFront read reports/* only', () => {
      const policies = ofType('AWS::S3::BucketPolicy').map(([, r]) => JSON.stringify(r.Properties));
      const results = policies.find((p) => p.includes('CloudFrontReadsReportsOnly'))!;
      expect(results).toContain('"aws:SecureTransport":"false"');
      const statements = (JSON.parse(results).PolicyDocument.Statement as { Sid?: string; Principal?: { Service?: string }; Resource: unknown }[]);
      const cloudfront = statements.filter((s) => s.Principal?.Service === 'cloudfront.amazonaws.com');
      expect(cloudfront).toHaveLength(1);
      expect(JSON.stringify(cloudfront[0]!.Resource)).toContain('/reports/*');
    });
  });

  describe('report site', () => {
    it('serves reports/ through CloudFront with the index as default root object, honouring each object\'s Cache-Control', () => {
      built.template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({
          DefaultRootObject: 'index.html',
          Origins: [Match.objectLike({ OriginPath: '/reports' })],
          // CachingOptimized: min TTL 1 s, so a no-cache page is at most a second stale at the edge
          DefaultCacheBehavior: Match.objectLike({ CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6' }),
        }),
      });
      expect(SITE_INDEX_KEY).toBe('reports/index.html');
    });
  });

  describe('IAM scoping', () => {
    it('lets only the judge functions and Prepare (its judge preflight) read the OpenAI key, and creates no Hugging Face token by default', () => {
      const secretIds = ofType('AWS::SecretsManager::Secret').map(([id]) => id);
      expect(secretIds).toHaveLength(1);
      const readers = ofType('AWS::IAM::Policy')
        .filter(([, r]) => JSON.stringify(r.Properties.PolicyDocument).includes(`"Ref":"${secretIds[0]}"`))
        .map(([id]) => id.replace(/FunctionServiceRoleDefaultPolicy.*/, ''));
      expect(readers.sort()).toEqual(['JudgeBatch', 'JudgeChunk', 'PrepareRun']);
      const job = ofType('AWS::Batch::JobDefinition')[0]![1].Properties.ContainerProperties as Record<string, unknown>;
      expect(job.Secrets).toBeUndefined();
      const trigger = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('StartRun'))![1];
      expect(JSON.stringify(trigger.Properties.Environment)).not.toContain('HF_SECRET_ARN');
      expect(JSON.stringify(resources)).not.toMatch(/HuggingFace/);
    });

    it('has a GPU judge job on the generation queue: the judge bundle as command, the configured GPUs as tensor parallelism, retried on spot reclaim', () => {
      const { template } = buildStack({ judgeGpu: { gpus: 4, jobTimeoutMinutes: 240 } });
      const defs = Object.values(template.findResources('AWS::Batch::JobDefinition')) as { Properties: { ContainerProperties: Record<string, any>; Timeout?: { AttemptDurationSeconds: number }; RetryStrategy?: { Attempts: number; EvaluateOnExit: { Action: string; OnStatusReason?: string }[] } } }[];
      const judge = defs.find((d) => JSON.stringify(d.Properties.ContainerProperties.Command) === JSON.stringify(JUDGE_JOB_COMMAND))!;
      expect(judge).toBeDefined();
      const c = judge.Properties.ContainerProperties;
      expect(c.ResourceRequirements).toEqual(expect.arrayContaining([{ Type: 'GPU', Value: '4' }]));
      expect(c.Environment).toEqual(expect.arrayContaining([{ Name: 'JUDGE_TENSOR_PARALLEL', Value: '4' }]));
      expect(JSON.stringify(c.Environment)).toContain('RESULTS_URL');
      expect(judge.Properties.Timeout).toEqual({ AttemptDurationSeconds: 240 * 60 });
      expect(judge.Properties.RetryStrategy!.EvaluateOnExit[0]).toMatchObject({ Action: 'RETRY', OnStatusReason: 'Host EC2*' });
      // the same image as the generator (one image to build and pull)
      const generator = defs.find((d) => d !== judge)!;
      expect(c.Image).toEqual(generator.Properties.ContainerProperties.Image);
      const states = synthLocalDefinition().definition.States as Record<string, { Choices?: { StringEquals?: string; Next: string }[] }>;
      expect(states[STATES.judgeMode]!.Choices).toEqual(expect.arrayContaining([expect.objectContaining({ StringEquals: 'engine', Next: STATES.judgeOnGpu })]));
    });

    it('hands a configured Hugging Face secret (by ARN or name) to the generator and judge jobs and the trigger only', () => {
      const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf';
      const { template } = buildStack({ huggingFaceTokenSecret: arn });
      const res = template.toJSON().Resources as Resources;
      expect(Object.values(res).filter((r) => r.Type === 'AWS::SecretsManager::Secret')).toHaveLength(1);
      template.hasResourceProperties('AWS::Batch::JobDefinition', {
        ContainerProperties: Match.objectLike({ Secrets: [{ Name: 'HF_TOKEN', ValueFrom: arn }] }),
      });
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ HF_SECRET_ARN: arn }) } });
      const readers = Object.entries(res).filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.PolicyDocument).includes('secret:hf-token'))
        .map(([id]) => id.replace(/FunctionServiceRoleDefaultPolicy.*|DefaultPolicy.*/, ''));
      expect(readers.sort()).toEqual(['GenerationGeneratorExecutionRole', 'GenerationJudgeExecutionRole', 'StartRun']);
      // by name: the grant covers the name with Secrets Manager's random suffix
      const byName = JSON.stringify(buildStack({ huggingFaceTokenSecret: 'my/hf-token' }).template.toJSON());
      expect(byName).toContain('secret:my/hf-token-??????');
    });

    it('gives each function S3 rights on the prefixes it uses only, and no function or job a delete', () => {
      const policies = ofType('AWS::IAM::Policy');
      const s3Of = (prefix: string) => {
        const doc = policies.find(([id]) => id.startsWith(prefix))![1].Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] };
        const read = new Set<string>(); const write = new Set<string>();
        for (const st of doc.Statement) {
          const actions = [st.Action].flat();
          if (!actions.some((a) => a.startsWith('s3:'))) continue;
          const objects = JSON.stringify(st.Resource).match(/"\/[a-z/.]*\*"/g)?.map((m) => m.slice(2, -1)) ?? [];
          for (const o of objects) (actions.includes('s3:PutObject') ? write : read).add(o);
        }
        return { read: [...read].sort(), write: [...write].sort() };
      };
      expect(s3Of('PrepareRun')).toEqual({ read: ['*'], write: ['runs/*'] });
      expect(s3Of('JudgeChunk')).toEqual({ read: ['cache/judge/*', 'judging/*', 'runs/*'], write: ['cache/judge/*', 'judging/*', 'runs/*'] });
      expect(s3Of('JudgeBatch')).toEqual({ read: ['cache/judge/*', 'runs/*'], write: ['cache/judge/*', 'runs/*'] });
      expect(s3Of('Aggregate')).toEqual({ read: ['runs/*'], write: ['judging/*', 'runs/*'] });
      expect(s3Of('RenderReport')).toEqual({ read: ['reports/*', 'runs/*'], write: ['reports/*', 'runs/*'] });
      expect(s3Of('RecordFailure')).toEqual({ read: ['runs/*'], write: ['reports/index.html*', 'runs/*'] });
      expect(s3Of('StartRun')).toEqual({ read: ['checkpoints/*', 'runs/*'], write: ['runs/*'] });
      expect(s3Of('GenerationGeneratorJobRole')).toEqual({ read: ['*'], write: ['runs/*'] });
      expect(s3Of('GenerationJudgeJobRole')).toEqual({ read: ['cache/judge/*', 'judging/*', 'runs/*'], write: ['cache/judge/*', 'judging/*', 'runs/*'] });
      const all = JSON.stringify(policies.map(([, r]) => r.Properties.PolicyDocument));
      expect(all).not.toMatch(/s3:DeleteObject|s3:\*/);
    });

    it('lets the state machine start only the generator job and invoke only the pipeline functions', () => {
      const sm = ofType('AWS::IAM::Policy').find(([id]) => id.startsWith('WorkflowStateMachineRole'))!;
      const doc = JSON.stringify(sm[1].Properties.PolicyDocument);
      expect(doc).toContain('batch:SubmitJob');
      // what the .sync integration needs to poll the job and to stop it when the execution is stopped or times out
      const statements = (sm[1].Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement;
      const resourceOf = (action: string) => JSON.stringify(statements.find((st) => [st.Action].flat().includes(action))?.Resource);
      expect(resourceOf('batch:DescribeJobs')).toBe('"*"');
      expect(resourceOf('batch:TerminateJob')).toContain(':job/*');
      expect(resourceOf('events:PutRule')).toContain('rule/StepFunctionsGetEventsForBatchJobsRule');
      expect(doc).not.toContain('"Action":"*"');
      expect(doc).not.toMatch(/"Resource":"\*".*lambda:InvokeFunction/);
    });
  });

  describe('state machine', () => {
    it('has the readable states of the workflow, in JSONPath', () => {
      const { definition } = synthLocalDefinition();
      const states = definition.States as Record<string, Record<string, unknown>>;
      expect(definition.StartAt).toBe(STATES.prepare);
      expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      for (const name of [STATES.prepare, STATES.outputsGiven, STATES.generate, STATES.judgeMode, STATES.judgeChunks, STATES.submitBatch, STATES.waitBatch, STATES.checkBatch, STATES.batchDone, STATES.aggregate, STATES.report, STATES.recordFailure, STATES.failed, STATES.succeeded]) {
        expect(states[name], name).toBeDefined();
      }
    });

    it('notes the stage and records the failure of every task and of the Map before failing', () => {
      const states = synthLocalDefinition().definition.States as Record<string, { Type: string; Next?: string; Result?: string; ResultPath?: string; Catch?: { Next: string; ErrorEquals: string[]; ResultPath: string }[] }>;
      const catching = Object.entries(states).filter(([n, s]) => (s.Type === 'Task' || s.Type === 'Map') && n !== STATES.recordFailure);
      expect(catching.map(([n]) => n).sort()).toEqual([STATES.aggregate, STATES.checkBatch, STATES.generate, STATES.judgeChunks, STATES.judgeOnGpu, STATES.prepare, STATES.report, STATES.submitBatch].sort());
      const stageOf: Record<string, string> = {
        [STATES.prepare]: 'prepare', [STATES.generate]: 'generate', [STATES.judgeChunks]: 'judge', [STATES.judgeOnGpu]: 'judge', [STATES.submitBatch]: 'judge',
        [STATES.checkBatch]: 'judge', [STATES.aggregate]: 'aggregate', [STATES.report]: 'report',
      };
      for (const [name, s] of catching) {
        expect(s.Catch, name).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${name} Failed` }]);
        expect(states[`${name} Failed`], name).toMatchObject({ Type: 'Pass', Result: stageOf[name], ResultPath: '$.failedStage', Next: STATES.recordFailure });
      }
      expect(states[STATES.recordFailure]!.Next).toBe(STATES.failed);
    });

    it('runs generation as a Batch .sync job with the generator environment from Prepare', () => {
      const gen = (synthLocalDefinition().definition.States as Record<string, Record<string, unknown>>)[STATES.generate]!;
      expect(gen.Resource).toBe('arn:aws:states:::batch:submitJob.sync');
      const env = ((gen.Parameters as Record<string, unknown>).ContainerOverrides as { Environment: { Name: string; 'Value.$': string }[] }).Environment;
      expect(env.map((e) => e.Name)).toEqual([...GENERATION_ENV_KEYS]);
      expect(env[0]).toEqual({ Name: 'RUN_URL', 'Value.$': '$.run.generationEnv.RUN_URL' });
    });

    it('judges chunks in a Map bounded by the run\'s parallelChunks, whose task retries rows that still failed and loops until its chunk is done', () => {
      const map = (synthLocalDefinition().definition.States as Record<string, Record<string, unknown>>)[STATES.judgeChunks]!;
      expect(map.Type).toBe('Map');
      // the bound its chunks divide the rate limits by (schedulerOf): the run's own setting, not the stack's
      expect(map.MaxConcurrencyPath).toBe('$.run.config.judge.parallelChunks');
      expect(map.MaxConcurrency).toBeUndefined();
      const states = (map.ItemProcessor as { States: Record<string, Record<string, unknown>> }).States;
      expect(states[STATES.judgeChunk]!.Next).toBe(STATES.chunkDone);
      expect(states[STATES.chunkDone]).toEqual({ Type: 'Choice', Choices: [{ Variable: '$.result.done', BooleanEquals: false, Next: STATES.judgeChunk }], Default: STATES.chunkJudged });
      expect(map.ItemsPath).toBe('$.run.chunks');
      const task = ((map.ItemProcessor as { States: Record<string, { Retry: { ErrorEquals: string[]; MaxAttempts: number }[] }> }).States)[STATES.judgeChunk]!;
      expect(task.Retry).toEqual(expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['JudgeRowsFailedError', 'JudgeQuotaError'], MaxAttempts: 3 })]));
    });

    it('hands cdk.json\'s chunk parallelism to the runs it triggers (the Map reads it from the run)', () => {
      const fn = built.template.findResources('AWS::Lambda::Function');
      const trigger = Object.values(fn).find((r) => (r.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables?.AEP_STACK_CONFIG);
      const config = JSON.parse(String((trigger!.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables.AEP_STACK_CONFIG)) as { judge: { parallelChunks: number } };
      expect(config.judge.parallelChunks).toBe(4);
    });
  });

  describe('triggers', () => {
    it('starts runs from READY markers under checkpoints/ and on the configured schedule', () => {
      built.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [Match.anyValue()] }, object: { key: [{ wildcard: 'checkpoints/*/READY' }] } } },
      });
      built.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(6 hours)', Target: Match.objectLike({ Input: '{"source":"schedule"}' }) });
    });

    it('has no schedule when the config says null', () => {
      const { template } = buildStack({ schedule: null });
      template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no unacknowledged finding', () => {
      const report = new AwsSolutionsChecks(built.stack).validateScope(built.stack);
      expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    });

    it('acknowledges findings on the resource they concern, never stack-wide, each with a reason', () => {
      // imported AWS managed policies are detached constructs whose node cannot be read
      const metadataOf = (c: Construct) => { try { return c.node.metadata; } catch { return []; } };
      const acks = built.stack.node.findAll().flatMap((c) => metadataOf(c)
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, construct: c, id, reason }))))
        .filter((a) => a.id.includes('AwsSolutions-'));
      expect(acks.length).toBeGreaterThan(0);
      expect(acks.filter((a) => a.construct === built.stack).map((a) => a.id)).toEqual([]);
      for (const a of acks) expect(a.reason.length, a.id).toBeGreaterThan(20);
      // wildcard resources are acknowledged on one IAM role each (its default policy is the only one below it)
      for (const a of acks.filter((x) => x.id.includes('IAM5'))) {
        const policies = a.construct.node.findAll().filter((c) => c instanceof iam.Policy);
        expect(a.construct instanceof iam.Role || (a.construct.node.tryFindChild('ServiceRole') ?? a.construct.node.tryFindChild('Role')) !== undefined, `${a.path}: ${a.id}`).toBe(true);
        expect(policies.length, `${a.path}: ${a.id}`).toBeLessThanOrEqual(1);
      }
    });
  });

  describe('snapshot', () => {
    it('matches the stored template (content hashes normalised)', () => {
      expect(normalisedTemplate(built.template)).toMatchSnapshot();
    });
  });
});

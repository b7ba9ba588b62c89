/**
 * The alpaca-eval-pipeline stack: composition only. Bucket, secrets, GPU Batch, the Lambda functions, the
 * workflow, its triggers and report hosting.
 */
import { CfnOutput, Duration, Stack, Validations, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { canonicalJson } from '../lambdas/core/run/run-config.ts';
import { CHART_JS_FILE } from '../lambdas/services/report/chart-library.ts';
import { SITE_INDEX_KEY } from '../lambdas/services/report/publish-report.ts';
import type { StackConfig } from './config.ts';
import { EvalFunction, type BucketAccess } from './constructs/eval-function.ts';
import { EvalWorkflow } from './constructs/eval-workflow.ts';
import { GENERATOR_BUCKET_ACCESS, GenerationBatch, JUDGE_JOB_BUCKET_ACCESS } from './constructs/generation-batch.ts';
import { ReportHosting } from './constructs/report-hosting.ts';
import { BUCKET_PREFIXES, ResultsBucket } from './constructs/results-bucket.ts';
import { RunTriggers } from './constructs/run-triggers.ts';

export interface AlpacaEvalStackProps extends StackProps {
  config: StackConfig;
  /** The generator image (default: built from containers/generator); the local runner passes a placeholder. */
  generatorImage?: ecs.ContainerImage;
}

export class AlpacaEvalStack extends Stack {
  readonly workflow: EvalWorkflow;
  readonly results: ResultsBucket;

  constructor(scope: Construct, id: string, props: AlpacaEvalStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.results = new ResultsBucket(this, 'Results', { judgeCacheDays: config.judgeCacheDays });
    const bucket = this.results.bucket;

    const openAiKey = new secretsmanager.Secret(this, 'OpenAiApiKey', { description: 'OpenAI API key of the judge: set its value (plain text) after deploying' });
    Validations.of(openAiKey).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'A third-party API key cannot be rotated by a Lambda; it is replaced by hand.' });
    // No token unless the user names one: Hugging Face answers 401 to an invalid token even for public models.
    const hfToken = config.huggingFaceTokenSecret ? importSecret(this, 'HuggingFaceToken', config.huggingFaceTokenSecret) : undefined;

    const generation = new GenerationBatch(this, 'Generation', { gpu: config.gpu, judgeGpu: config.judgeGpu, bucket, hfTokenSecret: hfToken, image: props.generatorImage });

    const { runs, judgeCache, reports, checkpoints, judging } = BUCKET_PREFIXES;
    const fn = (id: string, handler: string, description: string, access: BucketAccess, opts: { timeout?: Duration; memorySize?: number; extraFiles?: string[]; tokenizers?: boolean } = {}) =>
      new EvalFunction(this, id, { handler, description, ...opts }).bindBucket(bucket, access);
    // Prepare reads the user's outputs or checkpoint wherever they are in the bucket; every step writes only its run folder.
    const prepare = fn('PrepareRun', 'prepare', 'Creates the run folder: config, assets, manifest, judge plan; checks the judge model', { read: 'bucket', write: [runs] }, { tokenizers: true }) // it counts prompt tokens for the budget check
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const judgeAccess = { read: [runs, judgeCache], write: [runs, judgeCache] };
    // a chunk turn writes its run's judging heartbeat and reads the others' (concurrent runs share the rate limits)
    const judgeChunk = fn('JudgeChunk', 'judge-chunk', 'Judges one chunk of rows with the OpenAI judge (cached, retried)', { read: [runs, judgeCache, judging], write: [runs, judgeCache, judging] }, { timeout: Duration.minutes(15) })
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const judgeBatch = fn('JudgeBatch', 'judge-batch', 'Submits and collects an OpenAI Batch API judge job', judgeAccess, { timeout: Duration.minutes(15) })
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const aggregate = fn('Aggregate', 'aggregate', 'Merges judge chunks; computes win rate, LC win rate and the leaderboard', { read: [runs], write: [runs, judging] }, { memorySize: 2048, timeout: Duration.minutes(5) }); // it ends its run's judging heartbeat
    const report = fn('RenderReport', 'report', 'Renders the HTML report and publishes it under reports/', { read: [runs, reports], write: [runs, reports] }, {
      memorySize: 1024, extraFiles: [`node_modules/chart.js/dist/${CHART_JS_FILE}`],
    });
    // Record Failure also rewrites the report site's front page, which lists the run and why it failed
    const recordFailure = fn('RecordFailure', 'record-failure', 'Records why a run failed in its manifest', { read: [runs], write: [runs, SITE_INDEX_KEY] }, { timeout: Duration.minutes(1) });

    this.workflow = new EvalWorkflow(this, 'Workflow', {
      functions: { prepare: prepare.fn, judgeChunk: judgeChunk.fn, judgeBatch: judgeBatch.fn, aggregate: aggregate.fn, report: report.fn, recordFailure: recordFailure.fn },
      jobQueue: generation.jobQueue,
      jobDefinition: generation.jobDefinition,
      judgeJobDefinition: generation.judgeJobDefinition,
      runnableTimeoutMinutes: config.gpu.runnableTimeoutMinutes,
    });

    const trigger = fn('StartRun', 'trigger', 'Starts a run for a new checkpoint or model revision, once per revision', { read: [runs, checkpoints], write: [runs] }, { timeout: Duration.minutes(1) }); // it marks runs whose execution ended
    if (hfToken) trigger.bindSecret(hfToken, 'HF_SECRET_ARN');
    trigger.fn.addEnvironment('STATE_MACHINE_ARN', this.workflow.stateMachine.stateMachineArn);
    trigger.fn.addEnvironment('AEP_STACK_CONFIG', canonicalJson(config));
    this.workflow.stateMachine.grantStartExecution(trigger.fn);
    const executions = `arn:${this.partition}:states:${this.region}:${this.account}:execution:${this.workflow.stateMachineName}:*`;
    trigger.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    // Prepare asks whether the execution holding a run's lease still runs (one execution at a time per run)
    prepare.fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }));
    const triggers = new RunTriggers(this, 'Triggers', { bucket, trigger: trigger.fn, schedule: config.schedule });
    if (triggers.schedule) {
      // the Scheduler target's role is a stack-level singleton named after the target
      const schedulerRole = this.node.children.find((c) => c.node.id.startsWith('SchedulerRoleForTarget'));
      if (schedulerRole) Validations.of(schedulerRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(trigger.fn.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason: 'EventBridge Scheduler invokes the trigger function\'s versions and aliases (FunctionArn:*).',
      });
    }

    const hosting = new ReportHosting(this, 'Reports', { bucket, logBucket: this.results.accessLogs });
    report.fn.addEnvironment('REPORTS_BASE_URL', `https://${hosting.distribution.distributionDomainName}`);

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'JobQueueArn', { value: generation.jobQueue.jobQueueArn });
    new CfnOutput(this, 'ReportsUrl', { value: `https://${hosting.distribution.distributionDomainName}` });
    new CfnOutput(this, 'OpenAiSecretArn', { value: openAiKey.secretArn });
    new CfnOutput(this, 'GeneratorLogGroup', { value: generation.logGroup.logGroupName });

    this.acknowledgeFindings([prepare, judgeChunk, judgeBatch, aggregate, report, recordFailure, trigger], generation);
  }

  /**
   * cdk-nag findings that are the chosen design, each acknowledged on the one resource it concerns (a function's
   * role, the state machine's role, the generator job role) by its exact id, with its reason.
   */
  private acknowledgeFindings(functions: EvalFunction[], generation: GenerationBatch): void {
    const ack = (scope: Construct, reason: string, ...ids: string[]) => {
      for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
    };
    const logicalId = (c: Construct) => this.getLogicalId(c.node.defaultChild as CfnElement);
    const bucketArn = `<${logicalId(this.results.bucket)}.Arn>`;
    // S3 object grants are per key prefix (runs/*, cache/judge/*, …): the wildcard is the prefix's, and the
    // actions are CDK's grantRead/grantPut sets (GetObject*, List*, Abort* of multipart uploads), never delete.
    const s3Findings = (access: BucketAccess) => {
      const objects = [...(access.read === 'bucket' ? [''] : access.read), ...access.write];
      return [
        ...['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((a) => `AwsSolutions-IAM5[Action::${a}]`),
        ...(access.write.length ? ['AwsSolutions-IAM5[Action::s3:Abort*]'] : []),
        ...[...new Set(objects)].map((prefix) => `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`),
      ];
    };
    for (const f of functions) {
      const role = f.fn.role!;
      ack(role, 'S3 access is granted per key prefix of the results bucket (objects under the prefix), reads and puts only.', ...s3Findings(f.bucketAccess!));
      ack(role, 'AWSLambdaBasicExecutionRole is the documented minimal policy for writing Lambda logs.',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]');
      ack(role, 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permission.', 'AwsSolutions-IAM5[Resource::*]');
    }
    const jobRole = generation.jobDefinition.container.jobRole!;
    ack(jobRole, 'The generator reads its model and inputs anywhere in the results bucket and writes its run folder (runs/*).', ...s3Findings(GENERATOR_BUCKET_ACCESS));
    ack(generation.judgeJobRole, 'The judge job reads and writes the run folders, the judge cache and the judging heartbeats (per key prefix), reads and puts only.', ...s3Findings(JUDGE_JOB_BUCKET_ACCESS));
    for (const env of generation.computeEnvironments) {
      ack(env, 'The ECS instance role of AWS Batch compute environments needs this AWS managed policy.',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]');
    }
    for (const executionRole of [generation.jobDefinition.container.executionRole, generation.judgeJobDefinition.container.executionRole]) {
      ack(executionRole, 'ecr:GetAuthorizationToken (pulling the generator image) supports no resource-level permission.', 'AwsSolutions-IAM5[Resource::*]');
    }
    // CDK's singleton that turns on the bucket's EventBridge notifications
    const notifications = this.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (notifications) ack(notifications, 'AWSLambdaBasicExecutionRole is the documented minimal policy for writing Lambda logs.',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]');
    const smRole = this.workflow.stateMachine.role;
    ack(smRole, 'X-Ray segments, Step Functions log delivery and batch:DescribeJobs (the .sync integration\'s poll) support no resource-level permission.',
      'AwsSolutions-IAM5[Resource::*]');
    ack(smRole, 'Step Functions invokes the functions\' versions and aliases (FunctionArn:*).',
      ...functions.map((f) => `AwsSolutions-IAM5[Resource::<${logicalId(f.fn)}.Arn>:*]`));
    ack(smRole, 'The Batch .sync integration submits to any revision of the generator job definition, and terminates the job it started (job ids are known only at run time).',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job-definition/*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*]');
    const executions = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${this.workflow.stateMachineName}:*]`;
    const roleOf = (id: string) => functions.find((f) => f.node.id === id)!.fn.role!;
    ack(roleOf('StartRun'), 'The trigger describes executions of this state machine only (execution names are not known in advance).', executions);
    ack(roleOf('PrepareRun'), 'Prepare describes the execution holding a run\'s lease, an execution of this state machine only (names are not known in advance).', executions);
  }
}

/** A user's existing secret: by name, or by the complete ARN the Secrets Manager console shows. */
function importSecret(scope: Construct, id: string, nameOrArn: string): secretsmanager.ISecret {
  return nameOrArn.startsWith('arn:')
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, nameOrArn)
    : secretsmanager.Secret.fromSecretNameV2(scope, id, nameOrArn);
}

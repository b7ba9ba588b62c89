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
import type { StackConfig } from './config.ts';
import { EvalFunction } from './constructs/eval-function.ts';
import { EvalWorkflow } from './constructs/eval-workflow.ts';
import { GenerationBatch } from './constructs/generation-batch.ts';
import { ReportHosting } from './constructs/report-hosting.ts';
import { ResultsBucket } from './constructs/results-bucket.ts';
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
    const hfToken = new secretsmanager.Secret(this, 'HuggingFaceToken', { description: 'Hugging Face token for gated or private models (plain text; any value if unused)' });
    for (const s of [openAiKey, hfToken]) {
      Validations.of(s).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'Third-party API tokens cannot be rotated by a Lambda; they are replaced by hand.' });
    }

    const generation = new GenerationBatch(this, 'Generation', { gpu: config.gpu, bucket, hfTokenSecret: hfToken, image: props.generatorImage });

    const fn = (id: string, handler: string, description: string, opts: { timeout?: Duration; memorySize?: number; extraFiles?: string[] } = {}) =>
      new EvalFunction(this, id, { handler, description, ...opts }).bindBucket(bucket, 'readWrite');
    const prepare = fn('PrepareRun', 'prepare', 'Creates the run folder: config, assets, manifest, judge plan; checks the judge model')
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const judgeChunk = fn('JudgeChunk', 'judge-chunk', 'Judges one chunk of rows with the OpenAI judge (cached, retried)', { timeout: Duration.minutes(15) })
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const judgeBatch = fn('JudgeBatch', 'judge-batch', 'Submits and collects an OpenAI Batch API judge job', { timeout: Duration.minutes(15) })
      .bindSecret(openAiKey, 'OPENAI_SECRET_ARN');
    const aggregate = fn('Aggregate', 'aggregate', 'Merges judge chunks; computes win rate, LC win rate and the leaderboard', { memorySize: 2048, timeout: Duration.minutes(5) });
    const report = fn('RenderReport', 'report', 'Renders the HTML report and publishes it under reports/', {
      memorySize: 1024, extraFiles: [`node_modules/chart.js/dist/${CHART_JS_FILE}`],
    });
    const recordFailure = fn('RecordFailure', 'record-failure', 'Records why a run failed in its manifest', { timeout: Duration.minutes(1) });

    this.workflow = new EvalWorkflow(this, 'Workflow', {
      functions: { prepare: prepare.fn, judgeChunk: judgeChunk.fn, judgeBatch: judgeBatch.fn, aggregate: aggregate.fn, report: report.fn, recordFailure: recordFailure.fn },
      jobQueue: generation.jobQueue,
      jobDefinition: generation.jobDefinition,
      parallelChunks: config.judge.parallelChunks,
    });

    const trigger = fn('StartRun', 'trigger', 'Starts a run for a new checkpoint or model revision, once per revision', { timeout: Duration.minutes(1) })
      .bindSecret(hfToken, 'HF_SECRET_ARN');
    trigger.fn.addEnvironment('STATE_MACHINE_ARN', this.workflow.stateMachine.stateMachineArn);
    trigger.fn.addEnvironment('AEP_STACK_CONFIG', canonicalJson(config));
    this.workflow.stateMachine.grantStartExecution(trigger.fn);
    trigger.fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['states:DescribeExecution'],
      resources: [`arn:${this.partition}:states:${this.region}:${this.account}:execution:${this.workflow.stateMachine.stateMachineName}:*`],
    }));
    new RunTriggers(this, 'Triggers', { bucket, trigger: trigger.fn, schedule: config.schedule });
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(trigger.fn.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: 'EventBridge Scheduler invokes the trigger function\'s versions and aliases (FunctionArn:*).',
    });

    const hosting = new ReportHosting(this, 'Reports', { bucket, logBucket: this.results.accessLogs });
    report.fn.addEnvironment('REPORTS_BASE_URL', `https://${hosting.distribution.distributionDomainName}`);

    new CfnOutput(this, 'BucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'JobQueueArn', { value: generation.jobQueue.jobQueueArn });
    new CfnOutput(this, 'ReportsUrl', { value: `https://${hosting.distribution.distributionDomainName}` });
    new CfnOutput(this, 'OpenAiSecretArn', { value: openAiKey.secretArn });

    this.acknowledgeFindings([prepare, judgeChunk, judgeBatch, aggregate, report, recordFailure, trigger]);
  }

  /** cdk-nag findings that are the chosen design, each acknowledged by its exact id with its reason. */
  private acknowledgeFindings(functions: EvalFunction[]): void {
    const ack = (scope: Construct, reason: string, ...ids: string[]) => {
      for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
    };
    const logicalId = (c: Construct) => this.getLogicalId(c.node.defaultChild as CfnElement);
    const bucketArn = `<${logicalId(this.results.bucket)}.Arn>`;
    ack(this, 'AWSLambdaBasicExecutionRole is the documented minimal policy for writing Lambda logs.',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]');
    ack(this, 'The ECS instance role of AWS Batch compute environments needs this AWS managed policy.',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]');
    ack(this, 'Functions and the generator job read and write run folders: objects of the results bucket only (grantReadWrite).',
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((a) => `AwsSolutions-IAM5[Action::${a}]`),
      `AwsSolutions-IAM5[Resource::${bucketArn}/*]`);
    ack(this, 'X-Ray trace segments and Step Functions log delivery cannot be scoped to a resource.', 'AwsSolutions-IAM5[Resource::*]');
    ack(this.workflow, 'Step Functions invokes the functions\' versions and aliases (FunctionArn:*).',
      ...functions.map((f) => `AwsSolutions-IAM5[Resource::<${logicalId(f.fn)}.Arn>:*]`));
    ack(this.workflow, 'The Batch .sync integration submits to any revision of the job definition.',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job-definition/*]');
    ack(this, 'The trigger describes executions of this state machine only (execution names are not known in advance).',
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${logicalId(this.workflow.stateMachine)}.Name>:*]`);
  }
}

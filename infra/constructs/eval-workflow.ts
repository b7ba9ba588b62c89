/**
 * The evaluation workflow (Step Functions, JSONPath so that `aep run` can execute the very same definition
 * locally): Prepare → generate on Batch unless outputs are given → judge in chunks (Map of Lambdas, each looping
 * until its rows are done; after the OpenAI Batch API loop when that mode is chosen) → aggregate → report. Every
 * failure is caught, recorded in the run manifest, then fails the run.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { GENERATION_ENV_KEYS } from '../../lambdas/core/run/generation-env.ts';
import { RUN_TIMEOUT_HOURS, type StageName } from '../../lambdas/core/run/manifest.ts';
import { RETRYABLE_JUDGE_ERRORS, STATES } from '../workflow-states.ts';

export { RETRYABLE_JUDGE_ERRORS, STATES } from '../workflow-states.ts';

export interface EvalWorkflowFunctions {
  prepare: lambda.IFunction;
  judgeChunk: lambda.IFunction;
  judgeBatch: lambda.IFunction;
  aggregate: lambda.IFunction;
  report: lambda.IFunction;
  recordFailure: lambda.IFunction;
}

export interface EvalWorkflowProps {
  functions: EvalWorkflowFunctions;
  jobQueue: batch.IJobQueue;
  jobDefinition: batch.IJobDefinition;
  /** The open-weights judge's GPU job (`containers/judge/`), for runs whose judge mode is `engine`. */
  judgeJobDefinition: batch.IJobDefinition;
  /** Minutes after which Batch cancels a generator job stuck in RUNNABLE (named in the recorded failure). */
  runnableTimeoutMinutes?: number;
  /** Seconds between polls of an OpenAI batch. */
  batchPollSeconds?: number;
}

export class EvalWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /**
   * The state machine's name, a plain string (`<stack>-Evaluation`): a step function's own policy can name the
   * executions (`execution:<name>:*`) without referring to the state machine, which refers to the function.
   */
  readonly stateMachineName: string;

  constructor(scope: Construct, id: string, props: EvalWorkflowProps) {
    super(scope, id);
    const f = props.functions;
    const invoke = (name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string) =>
      new tasks.LambdaInvoke(this, name, {
        stateName: name, lambdaFunction: fn, payloadResponseOnly: true, payload: sfn.TaskInput.fromObject(payload), resultPath,
      });

    // Prepare may be what failed, so nothing but the execution name and input is known here.
    const recordFailure = invoke(STATES.recordFailure, f.recordFailure, {
      'state.$': '$', ...(props.runnableTimeoutMinutes ? { runnableTimeoutMinutes: props.runnableTimeoutMinutes } : {}),
    }, '$.failureRecord');
    recordFailure.next(new sfn.Fail(this, STATES.failed, { stateName: STATES.failed, errorPath: '$.failureRecord.error', causePath: '$.failureRecord.cause' }));
    // Each catch notes which stage failed (a Pass state the console shows), then records the failure.
    const onFailure = <T extends sfn.TaskStateBase | sfn.Map>(state: T, stage: StageName): T => {
      const name = `${state.node.id} Failed`;
      const note = new sfn.Pass(this, name, { stateName: name, result: sfn.Result.fromString(stage), resultPath: '$.failedStage' });
      note.next(recordFailure);
      state.addCatch(note, { errors: ['States.ALL'], resultPath: '$.failure' });
      return state;
    };

    // The run id comes from the input (or is derived from the config), not from the execution name, so a run
    // started from the console under any name still lands in (and resumes) its one run folder.
    // Prepare records the execution in the manifest, so the trigger can ask Step Functions whether a run that the
    // manifest calls `running` still is.
    const prepare = onFailure(invoke(STATES.prepare, f.prepare, { 'input.$': '$', 'execution.$': '$$.Execution.Id' }, '$.run'), 'prepare');

    const generate = onFailure(new tasks.BatchSubmitJob(this, STATES.generate, {
      stateName: STATES.generate,
      jobName: sfn.JsonPath.stringAt('$.run.runId'),
      jobQueueArn: props.jobQueue.jobQueueArn,
      jobDefinitionArn: props.jobDefinition.jobDefinitionArn,
      containerOverrides: {
        environment: Object.fromEntries(GENERATION_ENV_KEYS.map((k) => [k, sfn.JsonPath.stringAt(`$.run.generationEnv.${k}`)])),
      },
      resultSelector: { 'jobId.$': '$.JobId', 'status.$': '$.Status' },
      resultPath: '$.generation',
    }), 'generate');

    // A chunk judges until its Lambda's time is nearly up, then hands back the rows left (`done: false`) and is
    // invoked again: every turn buys at least one row (else it throws), and finds the earlier turns' rows cached.
    const judgeChunk = invoke(STATES.judgeChunk, f.judgeChunk, { 'runPrefix.$': '$.runPrefix', 'chunk.$': '$.chunk' }, '$.result');
    judgeChunk.addRetry({ errors: RETRYABLE_JUDGE_ERRORS, interval: Duration.seconds(30), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL });
    const chunkDone = new sfn.Choice(this, STATES.chunkDone, { stateName: STATES.chunkDone })
      .when(sfn.Condition.booleanEquals('$.result.done', false), judgeChunk)
      .otherwise(new sfn.Pass(this, STATES.chunkJudged, { stateName: STATES.chunkJudged }));
    const judgeChunks = onFailure(new sfn.Map(this, STATES.judgeChunks, {
      stateName: STATES.judgeChunks,
      itemsPath: '$.run.chunks',
      // the run's own setting: its chunks divide the judge's rate limits by it (`schedulerOf`)
      maxConcurrencyPath: sfn.JsonPath.stringAt('$.run.config.judge.parallelChunks'),
      itemSelector: { 'runPrefix.$': '$.run.runPrefix', 'chunk.$': '$$.Map.Item.Value' },
      resultSelector: { 'chunks.$': '$[*].result' },
      resultPath: '$.judge',
    }), 'judge');
    judgeChunks.itemProcessor(judgeChunk.next(chunkDone));

    // An open-weights judge without an endpoint of its own: one GPU job judges every chunk (the plan Prepare wrote),
    // with the same chunk files and judge cache as the Lambdas; a spot interruption restarts it from the cache.
    const judgeOnGpu = onFailure(new tasks.BatchSubmitJob(this, STATES.judgeOnGpu, {
      stateName: STATES.judgeOnGpu,
      jobName: sfn.JsonPath.format('{}-judge', sfn.JsonPath.stringAt('$.run.runId')),
      jobQueueArn: props.jobQueue.jobQueueArn,
      jobDefinitionArn: props.judgeJobDefinition.jobDefinitionArn,
      containerOverrides: { environment: { RUN_ID: sfn.JsonPath.stringAt('$.run.runId') } },
      resultSelector: { 'jobId.$': '$.JobId', 'status.$': '$.Status' },
      resultPath: '$.judgeJob',
    }), 'judge');

    const submitBatch = onFailure(invoke(STATES.submitBatch, f.judgeBatch, { action: 'submit', 'runPrefix.$': '$.run.runPrefix' }, '$.batch'), 'judge');
    const waitBatch = new sfn.Wait(this, STATES.waitBatch, { stateName: STATES.waitBatch, time: sfn.WaitTime.secondsPath('$.batch.waitSeconds') });
    const checkBatch = onFailure(invoke(STATES.checkBatch, f.judgeBatch, { action: 'check', 'runPrefix.$': '$.run.runPrefix', 'batch.$': '$.batch' }, '$.batch'), 'judge');
    const batchDone = new sfn.Choice(this, STATES.batchDone, { stateName: STATES.batchDone });

    const aggregate = onFailure(invoke(STATES.aggregate, f.aggregate, { 'runPrefix.$': '$.run.runPrefix' }, '$.metrics'), 'aggregate');
    const report = onFailure(invoke(STATES.report, f.report, { 'runPrefix.$': '$.run.runPrefix' }, '$.report'), 'report');
    aggregate.next(report).next(new sfn.Succeed(this, STATES.succeeded, { stateName: STATES.succeeded }));

    submitBatch.next(waitBatch).next(checkBatch).next(batchDone);
    // what the batch left unanswered is judged by the same chunks as the real-time branch (they find the rest cached)
    batchDone.when(sfn.Condition.booleanEquals('$.batch.done', true), judgeChunks).otherwise(waitBatch);
    judgeChunks.next(aggregate);
    judgeOnGpu.next(aggregate);

    const judgeMode = new sfn.Choice(this, STATES.judgeMode, { stateName: STATES.judgeMode })
      .when(sfn.Condition.stringEquals('$.run.judgeMode', 'batch-api'), submitBatch)
      .when(sfn.Condition.stringEquals('$.run.judgeMode', 'engine'), judgeOnGpu)
      .otherwise(judgeChunks);
    generate.next(judgeMode);
    const outputsGiven = new sfn.Choice(this, STATES.outputsGiven, { stateName: STATES.outputsGiven })
      .when(sfn.Condition.booleanEquals('$.run.needGeneration', true), generate)
      .otherwise(judgeMode);

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stateMachineName = `${Stack.of(this).stackName}-Evaluation`;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(prepare.next(outputsGiven)),
      timeout: Duration.hours(RUN_TIMEOUT_HOURS),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The .sync integration polls the job (DescribeJobs, which has no resource-level permission) and terminates it
    // when the execution is stopped or times out; CDK's BatchSubmitJob grants only SubmitJob and the events rule.
    const { partition, region, account } = Stack.of(this);
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }));
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [`arn:${partition}:batch:${region}:${account}:job/*`] }));
  }
}

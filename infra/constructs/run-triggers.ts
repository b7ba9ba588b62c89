/**
 * What starts runs besides a person: a `READY` object under `checkpoints/<name>/` (S3 → EventBridge → trigger
 * Lambda), and an EventBridge Scheduler schedule that asks the configured model source for its latest revision.
 * Both go through the same trigger function, which derives the execution name from model + revision + config, so
 * the same checkpoint is never evaluated (or paid for) twice.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { BUCKET_PREFIXES } from './results-bucket.ts';

export interface RunTriggersProps {
  bucket: s3.IBucket;
  trigger: lambda.IFunction;
  /** EventBridge Scheduler expression (`rate(6 hours)`, `cron(…)`), or null for no schedule. */
  schedule: string | null;
}

export class RunTriggers extends Construct {
  readonly checkpointRule: events.Rule;
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: RunTriggersProps) {
    super(scope, id);
    this.checkpointRule = new events.Rule(this, 'CheckpointReady', {
      description: 'A checkpoint folder is complete (its READY marker was written): evaluate it',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: events.Match.wildcard(`${BUCKET_PREFIXES.checkpoints}*/READY`) },
        },
      },
      targets: [new eventTargets.LambdaFunction(props.trigger, { retryAttempts: 4 })],
    });
    if (props.schedule) {
      this.schedule = new scheduler.Schedule(this, 'WatchModelSource', {
        description: 'Evaluate the newest revision of the model source if it has not been evaluated yet',
        schedule: scheduler.ScheduleExpression.expression(props.schedule),
        target: new schedulerTargets.LambdaInvoke(props.trigger, {
          input: scheduler.ScheduleTargetInput.fromObject({ source: 'schedule' }),
          retryAttempts: 2,
        }),
      });
    }
  }
}

/**
 * Lambda "Start Run": EventBridge (a checkpoint's READY marker) or the Scheduler (watch the model source) →
 * StartExecution under a name derived from model + revision + config, at most once per revision; DescribeExecution
 * to tell a run in progress from one whose execution ended without recording it (then the run is taken over).
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { parseStackConfig } from '../../infra/config.ts';
import { handleTrigger, type CheckpointEvent, type ExecutionStatus, type TriggerDeps, type TriggerSettings } from '../services/workflow/start-run.ts';
import { cloudDeps, logger, secretValue } from './runtime.ts';

const sfn = new SFNClient({});

/** The newest commit of a Hugging Face model repo branch (public API; the token is sent for private repos). */
async function huggingFaceRevision(repo: string, branch: string): Promise<string> {
  const token = await secretValue('HF_SECRET_ARN');
  const url = `https://huggingface.co/api/models/${repo}/revision/${encodeURIComponent(branch)}`;
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(20_000) });
  if (!res.ok) throw new Error(`Hugging Face answered HTTP ${res.status} for ${repo}@${branch}`);
  const body = (await res.json()) as { sha?: string };
  if (!body.sha) throw new Error(`Hugging Face gave no commit sha for ${repo}@${branch}`);
  return body.sha;
}

function settings(): TriggerSettings {
  const c = parseStackConfig(process.env.AEP_STACK_CONFIG ?? '{}');
  return { modelSource: c.modelSource, modelName: c.modelName, base: { generation: c.generation, judge: c.judge, budgetUsd: c.budgets.maxJudgeCostUsd, ...(c.calibration ? { calibration: c.calibration } : {}) } };
}

export async function handler(event: CheckpointEvent | { source: 'schedule' }) {
  const base = cloudDeps();
  const stateMachineArn = process.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('environment variable STATE_MACHINE_ARN is not set');
  const deps: TriggerDeps = {
    store: base.store,
    bucket: process.env.RESULTS_BUCKET ?? '',
    log: base.log,
    huggingFaceRevision,
    starter: {
      async start(name, input) {
        try {
          await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
          return true;
        } catch (err) {
          if (err instanceof ExecutionAlreadyExists) return false;
          throw err;
        }
      },
      executionArn: (name) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      async status(executionArn) {
        try {
          return (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status as ExecutionStatus | undefined;
        } catch (err) {
          if (err instanceof ExecutionDoesNotExist) return undefined;
          throw err;
        }
      },
    },
  };
  const outcome = await handleTrigger(deps, settings(), event);
  logger.info('trigger handled', { outcome });
  return outcome;
}

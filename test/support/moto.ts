/**
 * An S3-protocol server for tests: the one `.ci/run` started (`AEP_TEST_S3_ENDPOINT`), else a `moto_server` this
 * module starts on a free loopback port, else nothing — then tests skip with the reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface MotoServer {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  /** Environment that points the AWS SDK (and child processes) at this server. */
  env: Record<string, string>;
  /** Stops the server if this module started it. */
  stop(): Promise<void>;
}

export type MotoAvailability = { available: true } | { available: false; reason: string };

/** Whether S3 tests can run here (synchronous, for `describe.skipIf`). */
export function motoAvailability(): MotoAvailability {
  if (process.env.AEP_TEST_S3_ENDPOINT) return { available: true };
  const found = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return { available: true };
  return {
    available: false,
    reason: 'S3 tests skipped: AEP_TEST_S3_ENDPOINT is not set and moto_server is not on PATH (pip install "moto[server]")',
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function envFor(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1',
  };
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}: ${log()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms: ${log()}`);
}

/** The shared server of `.ci/run`, or a new `moto_server -H 127.0.0.1 -p <free port>`. */
export async function startMoto({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<MotoServer> {
  const shared = process.env.AEP_TEST_S3_ENDPOINT;
  if (shared) return { endpoint: shared, env: envFor(shared), stop: async () => {} };
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-2000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    await waitUntilUp(endpoint, child, timeoutMs, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    endpoint,
    env: envFor(endpoint),
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** An S3 client for the test server (path-style, dummy credentials). */
export function motoClient(server: MotoServer): S3Client {
  return new S3Client({
    endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

/** Creates a bucket with a unique name and returns the name. */
export async function createTestBucket(client: S3Client, stem = 'aep-test'): Promise<string> {
  const name = `${stem}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/**
 * A stand-in for the `vllm` executable in tests: `vllm serve MODEL --host H --port P … --served-model-name NAME`
 * serves the fake OpenAI-compatible engine (test/support/fake-engine.ts) on that port.
 *
 * Environment:
 * - STANDIN_MODE: `ok` (default); `crash` (write an error and exit 3 before listening); `hang` (never listen);
 *   `ignore-term` (serve, but ignore SIGTERM); `die-after:N` (exit 1 after N generation requests).
 * - STANDIN_RECORD: file that receives `{ argv, hfToken, pid }` as JSON at start.
 * - STANDIN_STARTUP_MS: delay before listening (model loading).
 * - STANDIN_NO_CHAT_TEMPLATE=1: answer chat requests like a tokenizer without chat template.
 * - STANDIN_PER_TOKEN_MS: per-token latency of the fake engine (default 0.01).
 */
import { writeFileSync } from 'node:fs';
import { startFakeEngine } from '../support/fake-engine.ts';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const mode = process.env.STANDIN_MODE ?? 'ok';
if (process.env.STANDIN_RECORD) {
  writeFileSync(process.env.STANDIN_RECORD, JSON.stringify({ argv, hfToken: process.env.HF_TOKEN ?? null, pid: process.pid }));
}
process.stdout.write(`INFO stand-in vllm ${argv.join(' ')}\n`);
if (argv[0] !== 'serve' || !flag('--port')) {
  process.stderr.write('stand-in vllm: usage: vllm serve MODEL --port P\n');
  process.exit(2);
}
if (mode === 'crash') {
  process.stderr.write('ERROR torch.OutOfMemoryError: CUDA out of memory (stand-in)\n');
  process.exit(3);
}
if (mode === 'hang') {
  process.stderr.write('INFO loading weights forever (stand-in)\n');
  setInterval(() => undefined, 60_000);
} else {
  if (mode === 'ignore-term') process.on('SIGTERM', () => process.stderr.write('stand-in: ignoring SIGTERM\n'));
  const dieAfter = mode.startsWith('die-after:') ? Number(mode.slice('die-after:'.length)) : Infinity;
  await new Promise((r) => setTimeout(r, Number(process.env.STANDIN_STARTUP_MS ?? 0)));
  const engine = await startFakeEngine({
    port: Number(flag('--port')),
    models: [flag('--served-model-name') ?? argv[1]!],
    capacityTokensPerSecond: 1_000_000,
    perTokenLatencyMs: Number(process.env.STANDIN_PER_TOKEN_MS ?? 0.01),
    noChatTemplate: process.env.STANDIN_NO_CHAT_TEMPLATE === '1',
    fault: (_req, n) => {
      if (n + 1 >= dieAfter) {
        process.stderr.write('ERROR EngineCore died unexpectedly (stand-in)\n');
        process.exit(1);
      }
      return undefined;
    },
  });
  process.stdout.write(`INFO Uvicorn running on ${engine.baseUrl}\n`);
  if (mode !== 'ignore-term') {
    process.on('SIGTERM', () => {
      process.stdout.write('INFO stand-in: SIGTERM, shutting down\n');
      void engine.close().then(() => process.exit(0));
    });
  }
}

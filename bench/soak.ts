/**
 * Soak: at least 200,000 mixed good and bad RunFunction calls at full speed against the built
 * function on loopback, counting transport errors and watching the server's RSS.
 * Passes (exit 0) only with zero transport errors and RSS drift under 10 %.
 *
 *   npm run soak                  # 200,000 calls
 *   npm run soak -- --calls=20000 # a shorter run
 *
 * Writes bench/results/soak.json and bench/results/soak.md.
 */
import { spawn } from 'node:child_process';
import { imageNodeOptions } from './servers.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import {
  FunctionRunnerServiceService,
  Severity,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';
import { parse } from 'yaml';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '200000' }, concurrency: { type: 'string', default: '32' } } });
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);

type Obj = Record<string, unknown>;
const wrap = (resource: Obj) => ({ resource, connectionDetails: {}, ready: 0 });
const yamlOf = (path: string): Obj => parse(readFileSync(path, 'utf8')) as Obj;
const observedSet = (dir: string): Record<string, ReturnType<typeof wrap>> =>
  Object.fromEntries(
    ['route', 'backup', 'filestore'].map((f) => {
      const o = yamlOf(`${dir}/${f}.yaml`);
      return [((o['metadata'] as Obj)['annotations'] as Record<string, string>)['crossplane.io/composition-resource-name']!, wrap(o)];
    }),
  );

function request(xr: Obj, observed: Record<string, ReturnType<typeof wrap>> = {}, input?: Obj): RunFunctionRequest {
  return {
    meta: { tag: 'soak', capabilities: [] },
    observed: { composite: wrap(xr), resources: observed },
    desired: { composite: undefined, resources: {} },
    input,
    context: undefined,
    extraResources: {},
    credentials: {},
    requiredResources: {},
    requiredSchemas: {},
  };
}

const acme = yamlOf('examples/xr.yaml');
const mix: Array<{ name: string; req: RunFunctionRequest; fatal: boolean }> = [
  { name: 'first reconcile', req: request(acme), fatal: false },
  { name: 'ready', req: request(acme, observedSet('examples/observed/ready')), fatal: false },
  { name: 'degraded', req: request(acme, observedSet('examples/observed/degraded')), fatal: false },
  { name: 'alias', req: request(yamlOf('examples/xr-v19-alias.yaml')), fatal: false },
  { name: 'hostile subdomain', req: request(yamlOf('examples/xr-invalid.yaml')), fatal: true },
  {
    name: 'bad input',
    req: request(acme, {}, { apiVersion: 'tenant.fn.planapulse.com/v1beta1', kind: 'Input', backup: { windowStartHour: 99 } }),
    fatal: true,
  },
  { name: 'large spec', req: request({ ...acme, spec: { ...(acme['spec'] as Obj), notes: 'x'.repeat(256 * 1024) } }), fatal: false },
];

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// With the heap flags the image ships, as a pod runs it.
const child = spawn(process.execPath, ['dist/function.mjs', '--insecure', '--address=127.0.0.1:0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: imageNodeOptions('.') },
});
const port = await new Promise<number>((resolve, reject) => {
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const m = /"port":(\d+)/.exec(buffered);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (code) => reject(new Error(`the function exited with ${code} before serving`)));
});
child.stdout.resume();

const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
});
const def = FunctionRunnerServiceService.runFunction;
const call = (req: RunFunctionRequest): Promise<RunFunctionResponse> =>
  new Promise((resolve, reject) =>
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, { deadline: Date.now() + 30_000 }, (err, res) =>
      err ? reject(err) : resolve(res!),
    ),
  );

const samples: Array<{ done: number; rss: number }> = [];
let done = 0;
let transportErrors = 0;
let wrongAnswers = 0;
const firstErrors: string[] = [];
const sampler = setInterval(() => samples.push({ done, rss: rssOf(child.pid!) }), 250);
const started = performance.now();

let next = 0;
async function worker(): Promise<void> {
  while (next < CALLS) {
    const i = next++;
    const item = mix[i % mix.length]!;
    try {
      const res = await call(item.req);
      const fatal = res.results.some((r) => r.severity === Severity.SEVERITY_FATAL);
      if (fatal !== item.fatal) wrongAnswers++;
    } catch (err) {
      transportErrors++;
      if (firstErrors.length < 5) firstErrors.push(`${item.name}: ${String(err)}`);
    }
    done++;
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
samples.push({ done, rss: rssOf(child.pid!) });
client.close();
child.kill('SIGTERM');
const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));

// Baseline after warm-up (calls 10–20 %), against the last 10 % of the run.
const window = (from: number, to: number) => samples.filter((s) => s.done >= from * CALLS && s.done <= to * CALLS).map((s) => s.rss);
const baseline = median(window(0.1, 0.2));
const final = median(window(0.9, 1));
const drift = baseline === 0 ? 0 : (final - baseline) / baseline;
const peak = Math.max(...samples.map((s) => s.rss));

const result = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}, node ${process.version}`,
  calls: CALLS,
  concurrency: CONCURRENCY,
  mix: mix.map((m) => m.name),
  seconds: Number(seconds.toFixed(1)),
  callsPerSecond: Math.round(CALLS / seconds),
  transportErrors,
  wrongAnswers,
  firstErrors,
  rssBaselineMiB: Number((baseline / 2 ** 20).toFixed(1)),
  rssFinalMiB: Number((final / 2 ** 20).toFixed(1)),
  rssPeakMiB: Number((peak / 2 ** 20).toFixed(1)),
  rssDriftPercent: Number((drift * 100).toFixed(1)),
  exitCodeAfterSigterm: exitCode,
};
const pass = transportErrors === 0 && wrongAnswers === 0 && Math.abs(drift) < 0.1 && exitCode === 0;
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/soak.json', `${JSON.stringify({ ...result, pass }, null, 2)}\n`);
writeFileSync(
  'bench/results/soak.md',
  `# Soak (${result.date})\n\n${result.machine}\n\n| calls | concurrency | seconds | calls/s | transport errors | wrong answers | RSS baseline → final (peak) | drift | exit after SIGTERM |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n| ${CALLS} | ${CONCURRENCY} | ${result.seconds} | ${result.callsPerSecond} | ${transportErrors} | ${wrongAnswers} | ${result.rssBaselineMiB} → ${result.rssFinalMiB} MiB (${result.rssPeakMiB}) | ${result.rssDriftPercent} % | ${exitCode} |\n\nMix, in rotation: ${result.mix.join(', ')}.\n`,
);
console.log(JSON.stringify({ ...result, pass }, null, 2));
process.exit(pass ? 0 : 1);

/**
 * The benchmark (issue 5): function-plana-tenant against function-go-templating doing the same
 * work, and against a no-op on our own Node stack. Not a test: a command that measures and
 * writes bench/results/{results.json,results.md,scaling.svg}. See bench/README.md.
 *
 *   node dist/bench/run.js                 full run (about 12 minutes)
 *   node dist/bench/run.js --quick         smoke run (under a minute; writes .cache/bench/quick/)
 *   node dist/bench/run.js --profile       CPU profiles of ours under load → profile.md
 *   node dist/bench/run.js --write-composition   regenerate bench/go-templating-composition.yaml
 *   node dist/bench/run.js --rerender    results.md, scaling.svg and the goals again from results.json
 *
 * Options: --out=DIR, --reps=N, --duration=SECONDS, --warmup=SECONDS, --skip-fairness.
 * Expects `npm run build`, scripts/install-bench-tools.sh and (for the fairness check)
 * scripts/install-tools.sh crossplane core to have run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { renderChart, type Panel, type Series } from './chart.js';
import { GO_TEMPLATING_COMPOSITION, checkFairness, goTemplatingComposition, type FairnessReport } from './fairness.js';
import { LoadGen, call, checkResponse, newClient, type OpenWindow, type Window } from './loadgen.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import {
  judgeGoals,
  renderMarkdown,
  renderProfileMarkdown,
  type Cell,
  type CellRep,
  type ColdStart,
  type OpenLoopResult,
  type Results,
  type RunConfig,
  type SizePoint,
} from './report.js';
import { EARLIER_DESIRED_RESOURCES, Requests, SCENARIOS, SCENARIO_TITLES, type InputKind, type ScenarioId } from './requests.js';
import type { Hiccups } from './hiccup.js';
import {
  COMPETITORS,
  competitors,
  coreBusySeconds,
  cpuSeconds,
  currentRss,
  peakRss,
  resetPeakRss,
  start,
  stop,
  waitForPort,
  type Competitor,
  type CompetitorId,
  type Running,
} from './servers.js';
import { round, spread, summarize } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER_CORE = 1;
const CLIENT_CORE = 0;
const KiB = 1024;
/**
 * A closed-loop window lasts until each caller completed this many calls on average: at 1 MiB
 * and concurrency 64 a call can take longer than the nominal window.
 */
const MIN_COMPLETED_PER_CALLER = 2;

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const known = ['quick', 'profile', 'write-composition', 'rerender', 'skip-fairness', 'out', 'reps', 'duration', 'warmup', 'help'];
for (const a of argv) {
  const name = a.replace(/^--/, '').replace(/=.*$/, '');
  if (!a.startsWith('--') || !known.includes(name)) {
    process.stderr.write(`bench: unknown argument ${a}\n`);
    process.exit(2);
  }
}
if (flag('help')) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] ?? '');
  process.exit(0);
}
const quick = flag('quick');
const num = (name: string, fallback: number): number => {
  const v = option(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`bench: --${name}=${v} is not a positive number\n`);
    process.exit(2);
  }
  return n;
};

const config: RunConfig = {
  quick,
  reps: num('reps', quick ? 1 : 5),
  durationMs: num('duration', quick ? 0.5 : 2) * 1000,
  warmupMs: num('warmup', quick ? 0.3 : 1) * 1000,
  concurrency: quick ? [1, 16] : [1, 16, 64],
  serverCore: SERVER_CORE,
  clientCore: CLIENT_CORE,
  openLoopRate: 1000,
  openLoopDurationMs: quick ? 700 : 5000,
  openLoopReps: quick ? 1 : 3,
  coldStartReps: quick ? 2 : 10,
  sizes: quick ? [0, 1024 * KiB] : [0, 16 * KiB, 64 * KiB, 256 * KiB, 1024 * KiB],
};
const outDir = resolve(root, option('out') ?? (quick ? '.cache/bench/quick' : 'bench/results'));
const work = join(root, '.cache/bench');
const logs = join(work, 'logs');

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

// ---------------------------------------------------------------- tools
function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (m !== null) out[m[1] as string] = (m[2] as string).replace(/^'(.*)'$/, '$1');
  }
  return out;
}
const toolEnv = { ...readEnvFile(join(root, '.cache/tools/env.sh')), ...readEnvFile(join(root, '.cache/tools/bench-env.sh')) };
const tool = (name: string): string | undefined => process.env[name] ?? toolEnv[name];

// ---------------------------------------------------------------- the load generator's own core
function pinSelf(): void {
  const r = spawnSync('taskset', ['-pc', String(CLIENT_CORE), String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -pc ${CLIENT_CORE} ${process.pid} failed: ${r.stderr}`);
  // Worker threads (libuv pool) inherit the affinity of the thread that creates them; grpc-js
  // and the load generator run on the main thread.
}

const rotate = <T>(list: readonly T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length] as T);

function expectedResources(id: CompetitorId, scenario: ScenarioId): number {
  const earlier = scenario === 'pipeline100' ? EARLIER_DESIRED_RESOURCES : 0;
  return id === 'noop' ? earlier : earlier + 3;
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  if (flag('write-composition')) {
    writeFileSync(join(root, GO_TEMPLATING_COMPOSITION), goTemplatingComposition(root));
    log(`wrote ${GO_TEMPLATING_COMPOSITION}`);
    return;
  }
  if (flag('rerender')) {
    // The markdown, the chart and the goals again from results.json (after a report change).
    const saved = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
    const { goals: _old, ...rest } = saved;
    void _old;
    const results: Results = { ...rest, goals: judgeGoals(rest) };
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(outDir, 'results.md'), renderMarkdown(results));
    writeFileSync(join(outDir, 'scaling.svg'), chart(results));
    log(`rewrote ${join(outDir, 'results.md')} and scaling.svg from results.json`);
    return;
  }
  const gtBin = tool('FUNCTION_GO_TEMPLATING_BIN');
  if (gtBin === undefined || !existsSync(gtBin)) throw new Error('function-go-templating is not built: run scripts/install-bench-tools.sh');
  const loadgenBin = tool('BENCH_LOADGEN_BIN');
  if (loadgenBin === undefined || !existsSync(loadgenBin)) throw new Error('the load generator is not built: run scripts/install-bench-tools.sh');
  for (const f of ['dist/src/main.js', 'dist/bench/noop.js']) if (!existsSync(join(root, f))) throw new Error(`${f} missing: run npm run build`);
  mkdirSync(logs, { recursive: true });
  mkdirSync(outDir, { recursive: true });
  machineInfo = machine(); // before pinning: nproc counts the CPUs this process may use
  pinSelf();
  source = sourceState();
  for (const w of source.warnings) log(`warning: ${w}`);
  const oursEntry = existsSync(join(root, 'dist/function.mjs')) ? join(root, 'dist/function.mjs') : join(root, 'dist/src/main.js');
  const all = competitors({ root, goTemplatingBin: gtBin, oursEntry, noopEntry: await bundleNoop() });
  log(`ours: ${oursEntry.replace(`${root}/`, '')}; no-op: ${all.noop.args[0]?.replace(`${root}/`, '')}`);
  const lg = new LoadGen(loadgenBin, CLIENT_CORE);
  ours[CLIENT_CORE]?.add(lg.pid);
  try {
    if (flag('profile')) await profileMode(all.ours, lg);
    else await benchmark(all, lg, gtBin);
  } finally {
    await lg.stop();
  }
}

async function benchmark(all: Record<CompetitorId, Competitor>, lg: LoadGen, gtBin: string): Promise<void> {
  const t0 = Date.now();
  const requests = new Requests(root);
  const notes: string[] = [...(source?.warnings ?? [])];

  const hiccups: Record<string, Hiccups> = {};
  await waitForQuiet('start');
  hiccups['before'] = hiccupProbe(quick ? 1 : 3);
  log(`machine steadiness on core ${SERVER_CORE}: ${describeHiccups(hiccups['before'])}`);

  // ---- fairness first: a template that does not produce our objects makes the rest moot
  let fairness: FairnessReport | undefined;
  const crossplaneBin = tool('CROSSPLANE_BIN');
  const crossplaneCoreBin = tool('CROSSPLANE_CORE_BIN');
  if (flag('skip-fairness')) notes.push('Fairness check skipped (--skip-fairness).');
  else if (crossplaneBin === undefined || crossplaneCoreBin === undefined || !existsSync(crossplaneBin) || !existsSync(crossplaneCoreBin)) {
    notes.push('Fairness check skipped: the Crossplane CLI and core are not built (scripts/install-tools.sh crossplane core).');
  } else {
    log('fairness: crossplane render of every example through both functions');
    const a = await start(all.ours, { core: SERVER_CORE, logFile: join(logs, 'fairness-ours.log') });
    const b = await start(all.gotemplating, { core: SERVER_CORE, logFile: join(logs, 'fairness-go-templating.log') });
    try {
      await waitForPort(a);
      await waitForPort(b);
      fairness = checkFairness(root, { crossplaneBin, crossplaneCoreBin }, a.target, b.target, join(work, 'fairness'));
    } finally {
      await stop(a);
      await stop(b);
    }
    for (const s of fairness.scenarios) {
      log(
        `  ${s.name}: exit ${s.exitCodes.ours}/${s.exitCodes.goTemplating}, objects ${s.objects.filter((o) => o.identical).length}/${s.objects.length} identical, ${s.xrDiffs.length} XR and ${s.resultDiffs.length} result differences`,
      );
      for (const d of s.objectDiffs) log(`    ${d.path}: ours ${JSON.stringify(d.ours)} go-templating ${JSON.stringify(d.goTemplating)}`);
    }
    if (!fairness.objectsIdentical) notes.push('The fairness check found differing object fields: see the Fairness section.');
  }

  // ---- request bytes per competitor, and files for the load generator
  const requestDir = join(work, 'requests');
  mkdirSync(requestDir, { recursive: true });
  const requestFile = (name: string, id: CompetitorId, b: Buffer): string => {
    const file = join(requestDir, `${name}-${id}.bin`);
    writeFileSync(file, b);
    return file;
  };
  const bytes = {} as Record<ScenarioId, Record<CompetitorId, Buffer>>;
  const files = {} as Record<ScenarioId, Record<CompetitorId, string>>;
  for (const s of SCENARIOS) {
    const byInput = new Map<InputKind, Buffer>();
    const get = (k: InputKind): Buffer => {
      let b = byInput.get(k);
      if (b === undefined) byInput.set(k, (b = requests.build(s, k).bytes));
      return b;
    };
    bytes[s] = { ours: get(all.ours.input), gotemplating: get(all.gotemplating.input), noop: get(all.noop.input) };
    files[s] = { ours: requestFile(s, 'ours', bytes[s].ours), gotemplating: requestFile(s, 'gotemplating', bytes[s].gotemplating), noop: requestFile(s, 'noop', bytes[s].noop) };
  }

  // ---- start the three servers on the server core
  log(`starting ${COMPETITORS.join(', ')} on core ${SERVER_CORE}`);
  const running = {} as Record<CompetitorId, Running>;
  for (const id of COMPETITORS) {
    running[id] = await start(all[id], { core: SERVER_CORE, logFile: join(logs, `${id}.log`) });
    ours[SERVER_CORE]?.add(running[id].pid);
  }
  const idleRss = {} as Record<CompetitorId, number>;
  const peakByPhase: Record<CompetitorId, Record<string, number>> = { ours: {}, gotemplating: {}, noop: {} };
  const clients = new Map<string, grpc.Client>();
  const client = (id: CompetitorId, key: string | number): grpc.Client => {
    const k = `${id}:${key}`;
    let c = clients.get(k);
    if (c === undefined) clients.set(k, (c = newClient(running[id].target)));
    return c;
  };
  const responseBytes = {} as Record<ScenarioId, Partial<Record<CompetitorId, number>>>;
  const closed: Cell[] = [];
  const sizes: SizePoint[] = [];
  const openLoopResults: OpenLoopResult[] = [];
  try {
    for (const id of COMPETITORS) {
      await waitForPort(running[id]);
      await call(client(id, 'probe'), bytes.first[id]);
      idleRss[id] = currentRss(running[id].pid);
    }
    const phase = async (name: string, body: () => Promise<void>): Promise<void> => {
      for (const id of COMPETITORS) resetPeakRss(running[id].pid);
      await body();
      for (const id of COMPETITORS) peakByPhase[id][name] = peakRss(running[id].pid);
    };

    // ---- closed loop: scenarios × concurrency, competitors alternated
    for (const scenario of SCENARIOS) {
      await phase(scenario, async () => {
        responseBytes[scenario] = {};
        for (const id of COMPETITORS) {
          const check = checkResponse(await call(client(id, 'probe'), bytes[scenario][id]));
          if (check.fatal !== undefined) throw new Error(`${id} answered ${scenario} with a Fatal result: ${check.fatal}`);
          if (check.desiredResources !== expectedResources(id, scenario)) {
            throw new Error(`${id} answered ${scenario} with ${check.desiredResources} desired resources, want ${expectedResources(id, scenario)}`);
          }
          responseBytes[scenario][id] = check.bytes;
        }
        for (const c of config.concurrency) {
          log(`closed loop: ${scenario}, concurrency ${c}`);
          await waitForQuiet(`${scenario}@${c}`);
          for (const id of COMPETITORS) await lg.closed(`${id}:${c}`, running[id].target, files[scenario][id], c, config.warmupMs);
          const reps: Record<CompetitorId, CellRep[]> = { ours: [], gotemplating: [], noop: [] };
          const errors: Partial<Record<CompetitorId, string>> = {};
          for (let rep = 0; rep < config.reps; rep++) {
            for (const id of rotate(COMPETITORS, rep)) {
              const m = await guarded(running[id].pid, `${id} ${scenario}@${c}`, () =>
                lg.closed(`${id}:${c}`, running[id].target, files[scenario][id], c, config.durationMs, MIN_COMPLETED_PER_CALLER * c),
              );
              if (m.window.firstError !== undefined) errors[id] ??= m.window.firstError;
              reps[id].push(repOf(m.window, m.serverCpu, m.foreignCpu));
            }
          }
          for (const id of COMPETITORS) closed.push(cellFrom(scenario, c, id, reps[id], errors[id]));
          const o = closed.at(-3);
          const g = closed.at(-2);
          const n = closed.at(-1);
          if (o !== undefined && g !== undefined && n !== undefined) {
            log(
              `  req/s ours ${o.throughput.median.toFixed(0)}, go-templating ${g.throughput.median.toFixed(0)}, no-op ${n.throughput.median.toFixed(0)}; p99 ms ${o.p99.median.toFixed(2)} / ${g.p99.median.toFixed(2)} / ${n.p99.median.toFixed(2)}`,
            );
          }
        }
      });
    }

    // ---- latency against request size (steady state + spec.extra), concurrency 1
    await phase('size sweep', async () => {
      for (const extra of config.sizes) {
        log(`size sweep: ${extra / KiB} KiB of spec.extra`);
        const b: Record<CompetitorId, Buffer> = {
          ours: requests.build('steady', all.ours.input, extra).bytes,
          gotemplating: requests.build('steady', all.gotemplating.input, extra).bytes,
          noop: requests.build('steady', all.noop.input, extra).bytes,
        };
        const f: Record<CompetitorId, string> = {
          ours: requestFile(`size-${extra}`, 'ours', b.ours),
          gotemplating: requestFile(`size-${extra}`, 'gotemplating', b.gotemplating),
          noop: requestFile(`size-${extra}`, 'noop', b.noop),
        };
        for (const id of COMPETITORS) await lg.closed(`${id}:1`, running[id].target, f[id], 1, Math.min(config.warmupMs, 500));
        const reps: Record<CompetitorId, CellRep[]> = { ours: [], gotemplating: [], noop: [] };
        const sweepReps = quick ? 1 : 3;
        for (let rep = 0; rep < sweepReps; rep++) {
          for (const id of rotate(COMPETITORS, rep)) {
            const m = await guarded(running[id].pid, `${id} size ${extra}`, () => lg.closed(`${id}:1`, running[id].target, f[id], 1, quick ? 400 : 1500, 3));
            reps[id].push(repOf(m.window, m.serverCpu, m.foreignCpu));
          }
        }
        for (const id of COMPETITORS) {
          sizes.push({
            extraBytes: extra,
            requestBytes: b[id].length,
            competitor: id,
            throughput: spread(reps[id].map((r) => r.throughput)),
            p50: spread(reps[id].map((r) => r.p50)),
            p99: spread(reps[id].map((r) => r.p99)),
          });
        }
      }
    });

    // ---- open loop at 1,000 req/s: steady state and first reconcile
    await phase('open loop', async () => {
      for (const scenario of quick ? (['steady'] as const) : (['steady', 'first'] as const)) {
        // A server whose closed-loop capacity is below the rate only builds a queue: the answer
        // is "it cannot", and measuring it would take minutes of draining.
        const capacity = (id: CompetitorId): number =>
          Math.max(...closed.filter((x) => x.scenario === scenario && x.competitor === id).map((x) => x.throughput.median));
        const able = COMPETITORS.filter((id) => capacity(id) >= 1.1 * config.openLoopRate);
        for (const id of COMPETITORS.filter((x) => !able.includes(x))) {
          notes.push(
            `Open loop at ${config.openLoopRate} req/s (${scenario}) not run for ${id}: its closed-loop capacity is ${capacity(id).toFixed(0)} req/s, so it can only build a queue.`,
          );
        }
        for (const id of able) await lg.closed(`${id}:open`, running[id].target, files[scenario][id], 1, Math.min(config.warmupMs, 500));
        const windows: Partial<Record<CompetitorId, OpenWindow[]>> = {};
        for (let rep = 0; rep < config.openLoopReps; rep++) {
          for (const id of rotate(able, rep)) {
            log(`open loop: ${id} at ${config.openLoopRate} req/s, ${scenario}, repetition ${rep + 1}`);
            const m = await guarded(running[id].pid, `${id} open loop ${scenario}`, () =>
              lg.open(`${id}:open`, running[id].target, files[scenario][id], config.openLoopRate, config.openLoopDurationMs),
            );
            (windows[id] ??= []).push(m.window);
          }
        }
        for (const id of able) {
          const ws = windows[id] ?? [];
          const lat = ws.map((w) => summarize(w.latenciesMs));
          openLoopResults.push({
            competitor: id,
            scenario,
            rate: config.openLoopRate,
            achievedRate: spread(ws.map((w) => w.completed / w.wallSeconds)),
            p50: spread(lat.map((l) => l.p50)),
            p99: spread(lat.map((l) => l.p99)),
            p999: spread(lat.map((l) => l.p999)),
            max: spread(lat.map((l) => l.max)),
            serviceP99: spread(ws.map((w) => summarize(w.serviceLatenciesMs).p99)),
            maxSendLagMs: round(Math.max(...ws.map((w) => w.maxSendLagMs)), 3),
            errors: ws.reduce((n, w) => n + w.errors, 0),
          });
        }
      }
    });
  } finally {
    for (const c of clients.values()) c.close();
    for (const id of COMPETITORS) await stop(running[id]);
  }
  const rss = Object.fromEntries(
    COMPETITORS.map((id) => [id, { idle: idleRss[id] ?? Number.NaN, peak: Math.max(...Object.values(peakByPhase[id])), peakByPhase: peakByPhase[id] }]),
  ) as Results['rss'];

  await waitForQuiet('after load');
  hiccups['after load'] = hiccupProbe(quick ? 1 : 3);
  log(`machine steadiness on core ${SERVER_CORE}: ${describeHiccups(hiccups['after load'])}`);

  // ---- cold start
  const coldStart = await coldStarts(all, bytes.first);

  // ---- bytes allocated per request (Node servers)
  const allocPerRequest: Results['allocPerRequest'] = {
    ours: await allocation(all.ours, bytes, 'ours'),
    noop: await allocation(all.noop, bytes, 'noop'),
  };

  // ---- notes the figures need
  const saturated = closed.filter((c) => c.clientCpu.max > 0.85);
  if (saturated.length > 0) {
    notes.push(
      `The load generator used more than 85 % of its core in ${saturated.map((c) => `${c.competitor} ${c.scenario}@${c.concurrency}`).join(', ')}: there the client, not the server, may limit throughput.`,
    );
  }
  const unsaturated = closed.filter((c) => c.concurrency > 1 && c.serverCpu.median < 0.85);
  if (unsaturated.length > 0) {
    notes.push(
      `Server below 85 % of its core at concurrency > 1 in ${unsaturated.map((c) => `${c.competitor} ${c.scenario}@${c.concurrency} (${(c.serverCpu.median * 100).toFixed(0)} %)`).join(', ')}.`,
    );
  }
  if (quiet.waitedSeconds > 0 || quiet.retried.length > 0) {
    notes.push(
      `Other processes were busy on this shared machine: the run waited ${quiet.waitedSeconds.toFixed(0)} s in all for both cores to be quiet (< ${QUIET_BUSY * 100} % busy) and measured ${quiet.retried.length} window(s) again because others took more than ${FOREIGN_LIMIT * 100} % of the server core during them (${[...new Set(quiet.retried)].join(', ')}).`,
    );
  }
  const noisy = closed.filter((c) => c.reps.some((r) => r.foreignCpu > FOREIGN_LIMIT));
  if (noisy.length > 0) {
    notes.push(
      `Other processes still used more than ${FOREIGN_LIMIT * 100} % of the server core (after retries) during some repetitions of ${noisy.map((c) => `${c.competitor} ${c.scenario}@${c.concurrency}`).join(', ')} (foreignCpu in results.json): those figures are less trustworthy.`,
    );
  }
  const failed = closed.filter((c) => c.firstError !== undefined);
  for (const c of failed) notes.push(`Errors in ${c.competitor} ${c.scenario}@${c.concurrency}: ${c.firstError}`);

  const partial: Omit<Results, 'goals'> = {
    date: new Date().toISOString(),
    machine: machineInfo ?? machine(),
    config,
    versions: {
      ours: `function-plana-tenant ${packageVersion()} (${source?.describe ?? gitDescribe()}; ${all.ours.args[0]?.replace(`${root}/`, '')}), Node ${process.version}, @grpc/grpc-js ${depVersion('@grpc/grpc-js')}, SDK ${depVersion('@crossplane-org/function-sdk-typescript')}`,
      gotemplating: goTemplatingVersion(gtBin),
      noop: `bench/noop.ts on src/server.ts (${all.noop.args[0]?.replace(`${root}/`, '')}), Node ${process.version}`,
    },
    requestBytes: Object.fromEntries(SCENARIOS.map((s) => [s, { ours: bytes[s].ours.length, gotemplating: bytes[s].gotemplating.length, noop: bytes[s].noop.length }])) as Results['requestBytes'],
    responseBytes,
    closed,
    sizes,
    openLoop: openLoopResults,
    rss,
    coldStart,
    allocPerRequest,
    fairness,
    hiccups,
    notes,
  };
  const results: Results = { ...partial, goals: judgeGoals(partial) };
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'results.md'), renderMarkdown(results));
  writeFileSync(join(outDir, 'scaling.svg'), chart(results));
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${join(outDir, 'results.md')}`);
  for (const g of results.goals) log(`  goal ${g.holds ? 'holds' : 'FAILS'}: ${g.goal}: ${g.detail}`);
}

// ---------------------------------------------------------------- a shared machine
/** A core counts as quiet when busy less than this while our servers and load generator idle. */
const QUIET_BUSY = 0.1;
/** A window is measured again when other processes took more than this of the server core. */
const FOREIGN_LIMIT = 0.1;
const MAX_RETRIES = 2;
const MAX_WAIT_SECONDS = 180;
const quiet = { waitedSeconds: 0, retried: [] as string[] };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Our processes on each core (servers on the server core; load generator and this one on the other). */
const ours: Record<number, Set<number>> = { [SERVER_CORE]: new Set(), [CLIENT_CORE]: new Set([process.pid]) };

const safeCpu = (pid: number): number => {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0; // gone
  }
};

/**
 * Waits until no other process is busy on either core (up to MAX_WAIT_SECONDS), and until our
 * own idle servers have settled (a V8 or Go collection after the last window; up to 10 s).
 */
async function waitForQuiet(why: string): Promise<void> {
  const start = Date.now();
  let saidForeign = false;
  let foreignWait = 0;
  for (;;) {
    const cores = [CLIENT_CORE, SERVER_CORE];
    const busy0 = cores.map(coreBusySeconds);
    const own0 = cores.map((c) => [...(ours[c] ?? [])].reduce((a, pid) => a + safeCpu(pid), 0));
    await sleep(500);
    const busy = cores.map((c, i) => (coreBusySeconds(c) - (busy0[i] ?? 0)) / 0.5);
    const own = cores.map((c, i) => ([...(ours[c] ?? [])].reduce((a, pid) => a + safeCpu(pid), 0) - (own0[i] ?? 0)) / 0.5);
    const foreign = busy.map((b, i) => Math.max(0, b - (own[i] ?? 0)));
    const foreignBusy = foreign.some((f) => f >= QUIET_BUSY);
    const ownBusy = own.some((o, i) => o >= QUIET_BUSY && cores[i] === SERVER_CORE);
    if (!foreignBusy && !ownBusy) break;
    const waited = (Date.now() - start) / 1000;
    if (foreignBusy) {
      foreignWait += 2;
      if (!saidForeign) {
        log(`  ${why}: other processes are busy (core 0 ${(100 * (foreign[0] ?? 0)).toFixed(0)} %, core 1 ${(100 * (foreign[1] ?? 0)).toFixed(0)} %); waiting for quiet`);
        saidForeign = true;
      }
    } else if (waited > 10) break; // our own servers still busy: measure anyway
    if (waited > MAX_WAIT_SECONDS) {
      log(`  still busy after ${MAX_WAIT_SECONDS} s: measuring anyway`);
      break;
    }
    await sleep(1500);
  }
  quiet.waitedSeconds += foreignWait;
}

interface Guarded<W extends Window> {
  readonly window: W;
  /** The server's CPU time over the window (until the last call returned), fraction of its core. */
  readonly serverCpu: number;
  /** CPU other processes took on the server core meanwhile, fraction of the core. */
  readonly foreignCpu: number;
}

/**
 * One measured window, with the server's CPU and what else ran on its core; measured again
 * (after waiting for quiet) when another process took more than FOREIGN_LIMIT of the core.
 */
async function guarded<W extends Window>(pid: number, what: string, run: () => Promise<W>): Promise<Guarded<W>> {
  for (let attempt = 0; ; attempt++) {
    const cpu0 = cpuSeconds(pid);
    const busy0 = coreBusySeconds(SERVER_CORE);
    const window = await run();
    const cpu1 = cpuSeconds(pid);
    const busy1 = coreBusySeconds(SERVER_CORE);
    // Loopback networking's softirq time also lands here: a few per cent at most.
    const foreignCpu = Math.max(0, (busy1 - busy0 - (cpu1 - cpu0)) / window.elapsedSeconds);
    const result = { window, serverCpu: (cpu1 - cpu0) / window.elapsedSeconds, foreignCpu };
    if (foreignCpu <= FOREIGN_LIMIT || attempt >= MAX_RETRIES) return result;
    quiet.retried.push(what);
    log(`  ${what}: others took ${(foreignCpu * 100).toFixed(0)} % of the server core; measuring again`);
    await waitForQuiet(what);
  }
}

function hiccupProbe(seconds: number): Hiccups {
  const r = spawnSync('taskset', ['-c', String(SERVER_CORE), process.execPath, join(root, 'dist/bench/hiccup.js'), String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hiccup probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Hiccups;
}

function describeHiccups(h: Hiccups): string {
  return `${(h.stalledFraction * 100).toFixed(2)} % of ${h.seconds} s stalled, ${h.over1ms} gaps > 1 ms, ${h.over5ms} > 5 ms, longest ${h.maxGapMs.toFixed(1)} ms`;
}

function repOf(w: Window, serverCpu: number, foreignCpu = Number.NaN): CellRep {
  const l = summarize(w.latenciesMs);
  return {
    throughput: round(w.completed / w.wallSeconds, 1),
    p50: round(l.p50, 3),
    p99: round(l.p99, 3),
    completed: w.completed,
    errors: w.errors,
    clientCpu: round(w.clientCpu, 3),
    serverCpu: round(serverCpu, 3),
    foreignCpu: round(foreignCpu, 3),
  };
}

function cellFrom(scenario: ScenarioId, concurrency: number, competitor: CompetitorId, reps: CellRep[], firstError: string | undefined): Cell {
  return {
    scenario,
    concurrency,
    competitor,
    reps,
    throughput: spread(reps.map((r) => r.throughput)),
    p50: spread(reps.map((r) => r.p50)),
    p99: spread(reps.map((r) => r.p99)),
    serverCpu: spread(reps.map((r) => r.serverCpu)),
    clientCpu: spread(reps.map((r) => r.clientCpu)),
    firstError,
  };
}

/** Spawn → first successful RunFunction, each competitor in turn, on the server core. */
async function coldStarts(all: Record<CompetitorId, Competitor>, first: Record<CompetitorId, Buffer>): Promise<Results['coldStart']> {
  log(`cold start: ${config.coldStartReps} starts each`);
  await waitForQuiet('cold start');
  const samples: Record<CompetitorId, { total: number[]; listen: number[] }> = {
    ours: { total: [], listen: [] },
    gotemplating: { total: [], listen: [] },
    noop: { total: [], listen: [] },
  };
  for (let rep = 0; rep < config.coldStartReps; rep++) {
    for (const id of rotate(COMPETITORS, rep)) {
      const r = await start(all[id], { core: SERVER_CORE, logFile: join(logs, `cold-${id}.log`) });
      try {
        await waitForPort(r);
        const listening = process.hrtime.bigint();
        const c = newClient(r.target);
        try {
          for (let attempt = 0; ; attempt++) {
            try {
              await call(c, first[id], 5000);
              break;
            } catch (err) {
              if (attempt > 200) throw err;
              await new Promise((res) => setTimeout(res, 2));
            }
          }
        } finally {
          c.close();
        }
        const answered = process.hrtime.bigint();
        samples[id].total.push(round(Number(answered - r.spawnedAt) / 1e6, 1));
        samples[id].listen.push(round(Number(listening - r.spawnedAt) / 1e6, 1));
      } finally {
        await stop(r, 'SIGKILL');
      }
    }
  }
  return Object.fromEntries(
    COMPETITORS.map((id): [CompetitorId, ColdStart] => [
      id,
      { samplesMs: samples[id].total, listenMs: samples[id].listen, total: spread(samples[id].total), listen: spread(samples[id].listen) },
    ]),
  ) as Results['coldStart'];
}

/** Bytes allocated on the JS heap per request: a separate instance with V8's GC trace. */
async function allocation(competitor: Competitor, bytes: Record<ScenarioId, Record<CompetitorId, Buffer>>, id: CompetitorId): Promise<Partial<Record<ScenarioId, number>>> {
  log(`allocation per request: ${id}`);
  const probe = pathToFileURL(join(root, 'dist/bench/alloc-probe.js')).href;
  const r = await start(competitor, {
    core: SERVER_CORE,
    logFile: join(logs, `alloc-${id}.log`),
    nodeFlags: ['--expose-gc', '--trace-gc-nvp', `--import=${probe}`],
    pipeStdout: true,
  });
  let sum = 0;
  let buffered = '';
  const waiting: Array<(n: number) => void> = [];
  r.child.stdout?.setEncoding('utf8');
  r.child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === 'ALLOC-MARK') {
        const n = sum;
        sum = 0;
        waiting.shift()?.(n);
      } else {
        const m = / allocated=(\d+)/.exec(line);
        if (m !== null) sum += Number(m[1]);
      }
    }
  });
  const mark = (): Promise<number> =>
    new Promise((res) => {
      waiting.push(res);
      r.child.kill('SIGUSR2');
    });
  const out: Partial<Record<ScenarioId, number>> = {};
  const c = newClient(r.target);
  try {
    await waitForPort(r);
    await call(c, bytes.first[id]);
    for (const scenario of SCENARIOS) {
      const large = scenario === 'large';
      const warm = quick ? (large ? 10 : 50) : large ? 50 : 500;
      const n = quick ? (large ? 20 : 200) : large ? 200 : 3000;
      for (let i = 0; i < warm; i++) await call(c, bytes[scenario][id]);
      await mark();
      for (let i = 0; i < n; i++) await call(c, bytes[scenario][id]);
      out[scenario] = Math.round((await mark()) / n);
    }
  } finally {
    c.close();
    await stop(r, 'SIGKILL');
  }
  return out;
}

// ---------------------------------------------------------------- profile mode
async function profileMode(bundled: Competitor, lg: LoadGen): Promise<void> {
  // The unbundled build: frames then name their files (dist/src/fn.js, ...), which the summary's
  // categories rely on; after warm-up the JIT runs the same code either way.
  const ours: Competitor = { ...bundled, args: [join(root, 'dist/src/main.js'), ...bundled.args.slice(1)] };
  const seconds = num('duration', quick ? 2 : 10);
  const requests = new Requests(root);
  const summaries: Record<string, ProfileSummary> = {};
  const concurrency = 16;
  for (const scenario of SCENARIOS) {
    const dir = join(work, 'profile', scenario);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const r = await start(ours, {
      core: SERVER_CORE,
      logFile: join(logs, `profile-${scenario}.log`),
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
    });
    const b = requests.build(scenario, ours.input).bytes;
    const file = join(work, 'requests', `profile-${scenario}.bin`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, b);
    const c = newClient(r.target);
    let w: Window;
    try {
      await waitForPort(r);
      await call(c, b);
      log(`profile: ${scenario}, concurrency ${concurrency}, ${seconds} s`);
      w = await lg.closed(`profile-${scenario}`, r.target, file, concurrency, seconds * 1000);
      await lg.closeConn(`profile-${scenario}`);
    } finally {
      c.close();
      await stop(r, 'SIGTERM', 30_000); // drains, exits 0: node writes the profile on exit
    }
    const profile = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0];
    if (profile === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
    summaries[`${scenario}: ${SCENARIO_TITLES[scenario]} — ${(w.completed / w.wallSeconds).toFixed(0)} req/s at concurrency ${concurrency} (${profile.replace(`${root}/`, '')})`] =
      summarizeProfile(profile);
  }
  const command = `taskset -c ${SERVER_CORE} node --cpu-prof --cpu-prof-dir=.cache/bench/profile/SCENARIO --cpu-prof-interval=100 dist/src/main.js --insecure --address=127.0.0.1:PORT, loaded at concurrency ${concurrency} for ${seconds} s, then SIGTERM (node dist/bench/run.js --profile)`;
  writeFileSync(join(outDir, 'profile.md'), renderProfileMarkdown(summaries, command));
  log(`wrote ${join(outDir, 'profile.md')}`);
}

// ---------------------------------------------------------------- machine and versions
let machineInfo: Results['machine'] | undefined;

function machine(): Results['machine'] {
  const lscpu = spawnSync('lscpu', { encoding: 'utf8' }).stdout ?? '';
  const model = /^Model name:\s+(.*)$/m.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const nproc = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim());
  return { nproc, cpuModel: model, node: process.version, kernel: release(), memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

function depVersion(name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

let source: { describe: string; warnings: string[] } | undefined;

/** The commit measured, whether src/ had uncommitted changes, whether dist/ is older than src/. */
function sourceState(): { describe: string; warnings: string[] } {
  const warnings: string[] = [];
  const newest = (dir: string, ext: string): number => {
    let t = 0;
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(ext)) t = Math.max(t, statSync(p).mtimeMs);
      }
    };
    walk(join(root, dir));
    return t;
  };
  const src = newest('src', '.ts');
  for (const built of ['dist/function.mjs', 'dist/src/main.js']) {
    const f = join(root, built);
    if (existsSync(f) && statSync(f).mtimeMs < src) warnings.push(`${built} is older than src/: run npm run build (the figures are for an older build)`);
  }
  return { describe: gitDescribe(), warnings };
}

/** bench/noop.ts bundled like dist/function.mjs (scripts/bundle.mjs), so both load alike. */
async function bundleNoop(): Promise<string> {
  const out = join(work, 'noop.mjs');
  try {
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    await esbuild.build({
      entryPoints: [join(root, 'bench/noop.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    return out;
  } catch (err) {
    log(`cannot bundle bench/noop.ts (${String(err)}): using dist/bench/noop.js`);
    return join(root, 'dist/bench/noop.js');
  }
}

function gitDescribe(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).stdout.trim() !== '';
  return `${head}${dirty ? ' + uncommitted src changes' : ''}`;
}

function goTemplatingVersion(bin: string): string {
  const source = join(dirname(bin), 'SOURCE');
  return existsSync(source) ? readFileSync(source, 'utf8').trim().replace(/\n/g, ', ') : bin;
}

// ---------------------------------------------------------------- chart
const COLORS: Readonly<Record<CompetitorId, { color: string; dash?: string; name: string }>> = {
  ours: { color: '#1f6fb4', name: 'function-plana-tenant' },
  gotemplating: { color: '#e8710a', name: 'function-go-templating' },
  noop: { color: '#777777', dash: '5,4', name: 'no-op (same Node stack)' },
};

function chart(r: Results): string {
  const concurrencies = [...new Set(r.closed.map((c) => c.concurrency))].sort((a, b) => a - b);
  const throughputPanels: Panel[] = SCENARIOS.map((s) => ({
    title: `${s}: throughput`,
    xLabel: 'concurrency (log)',
    yLabel: 'req/s',
    xLog: true,
    yLog: false,
    xTicks: concurrencies.map((c) => [c, String(c)] as const),
    series: COMPETITORS.map(
      (id): Series => ({
        ...COLORS[id],
        points: concurrencies.flatMap((c) => {
          const cell = r.closed.find((x) => x.scenario === s && x.concurrency === c && x.competitor === id);
          return cell === undefined ? [] : [{ x: c, y: cell.throughput.median, lo: cell.throughput.min, hi: cell.throughput.max }];
        }),
      }),
    ),
  }));
  const sizeTicks = [...new Set(r.sizes.filter((x) => x.competitor === 'ours').map((x) => x.requestBytes))].map(
    (b) => [b, b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)}M` : `${Math.round(b / 1024)}K`] as const,
  );
  const latencyPanel = (which: 'p50' | 'p99'): Panel => ({
    title: `steady state + spec.extra, concurrency 1: ${which} latency vs request size`,
    xLabel: 'request bytes (log; ours)',
    yLabel: `${which} ms (log)`,
    xLog: true,
    yLog: true,
    xTicks: sizeTicks.length > 0 ? sizeTicks : [[1, '1']],
    series: COMPETITORS.map(
      (id): Series => ({
        ...COLORS[id],
        points: r.sizes
          .filter((x) => x.competitor === id)
          .map((x) => {
            // Plot against our request size so the three line up (go-templating's Input is larger).
            const oursBytes = r.sizes.find((y) => y.competitor === 'ours' && y.extraBytes === x.extraBytes)?.requestBytes ?? x.requestBytes;
            return { x: oursBytes, y: x[which].median, lo: x[which].min, hi: x[which].max };
          }),
      }),
    ),
  });
  return renderChart({
    title: 'function-plana-tenant vs function-go-templating vs no-op — scaling',
    subtitle: `${r.date.slice(0, 10)} · ${r.machine.cpuModel}, ${r.machine.nproc} cores · server on core ${r.config.serverCore}, load generator on core ${r.config.clientCore} · Node ${r.machine.node}${r.config.quick ? ' · QUICK SMOKE RUN' : ''}`,
    rows: [throughputPanels, [latencyPanel('p50'), latencyPanel('p99')]],
  });
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});

/**
 * The benchmark's phases, each a function of one run's context: the fairness check, the closed
 * loop (scenarios × concurrency), latency against request size, the open loop at a fixed rate,
 * cold starts and bytes allocated per request. bench/run.ts calls them in that order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import {
  GO_TEMPLATING_COMPOSITION,
  checkFairness,
  describePeer,
  type FairnessPeer,
  type FairnessReport,
  type RenderTools,
} from './fairness.js';
import type { Guard } from './guard.js';
import { call, checkResponse, newClient, type LoadGen, type OpenWindow, type Window } from './loadgen.js';
import type { Cell, CellRep, ColdStart, OpenLoopResult, RunConfig, SizePoint } from './report.js';
import { EARLIER_DESIRED_RESOURCES, type InputKind, type Requests, type ScenarioId } from './requests.js';
import {
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

const KiB = 1024;
/**
 * A closed-loop window lasts until each caller completed this many calls on average: at 1 MiB
 * and concurrency 64 a call can take longer than the nominal window.
 */
const MIN_COMPLETED_PER_CALLER = 2;

/** What every phase of one run shares. */
export interface RunContext {
  readonly root: string;
  readonly config: RunConfig;
  readonly guard: Guard;
  readonly lg: LoadGen;
  readonly log: (msg: string) => void;
  /** .cache/bench: logs, request files, fairness renders. */
  readonly work: string;
  readonly requests: Requests;
  /** The competitors measured, ours first. */
  readonly ids: readonly CompetitorId[];
  readonly scenarios: readonly ScenarioId[];
  readonly all: Readonly<Record<CompetitorId, Competitor>>;
  /** Notes for results.md, added by any phase. */
  readonly notes: string[];
}

const logFile = (ctx: RunContext, name: string): string => join(ctx.work, 'logs', `${name}.log`);

/** Rotates a list: repetition `by` starts with another competitor. */
export const rotate = <T>(list: readonly T[], by: number): T[] => list.map((_, i) => list[(i + by) % list.length] as T);

// ---------------------------------------------------------------- fairness
/** Where the fairness check finds each competitor's Composition and Function (ours: examples/). */
const FAIRNESS_FILES: Partial<Record<CompetitorId, { readonly composition: string; readonly functions: string }>> = {
  // The Go SDK peer reads the same pipeline step as ours: same Composition, same Function file,
  // only the Development runtime's target differs.
  gosdk: { composition: 'examples/composition.yaml', functions: 'examples/functions.yaml' },
  gotemplating: { composition: GO_TEMPLATING_COMPOSITION, functions: 'bench/go-templating-functions.yaml' },
};

/** Renders every example through ours and each competitor with the real `crossplane render`. */
export async function fairnessPhase(ctx: RunContext, tools: RenderTools): Promise<FairnessReport> {
  const peers = ctx.ids.filter((id) => FAIRNESS_FILES[id] !== undefined);
  ctx.log(`fairness: crossplane render of every example through ours and ${peers.join(', ')}`);
  const started: Running[] = [];
  try {
    for (const id of ['ours' as const, ...peers])
      started.push(await start(ctx.all[id], { core: ctx.config.serverCore, logFile: logFile(ctx, `fairness-${id}`) }));
    for (const r of started) await waitForPort(r);
    const target = (id: CompetitorId): string => started.find((r) => r.competitor.id === id)?.target ?? '';
    const fairnessPeers: FairnessPeer[] = peers.map((id) => ({ id, label: ctx.all[id].label, ...FAIRNESS_FILES[id]!, target: target(id) }));
    const report = checkFairness(ctx.root, tools, target('ours'), fairnessPeers, join(ctx.work, 'fairness'));
    for (const p of report.peers) {
      ctx.log(`  ${describePeer(p)}`);
      // The first few differences, shortened: the whole list is in results.json and results.md.
      const diffs = p.scenarios.flatMap((s) => [...s.objectDiffs, ...s.xrDiffs, ...s.resultDiffs].map((d) => ({ ...d, scenario: s.name })));
      const short = (v: unknown): string => {
        const t = JSON.stringify(v) ?? 'undefined';
        return t.length > 100 ? `${t.slice(0, 100)}…` : t;
      };
      for (const d of diffs.slice(0, 8)) ctx.log(`    ${d.scenario}: ${d.path}: ours ${short(d.ours)}, ${p.id} ${short(d.theirs)}`);
      if (diffs.length > 8) ctx.log(`    … and ${diffs.length - 8} more (results.md: Fairness)`);
      if (!p.objectsIdentical) ctx.notes.push(`The fairness check found differing object fields for ${p.label}: see the Fairness section.`);
    }
    return report;
  } finally {
    for (const r of started) await stop(r);
  }
}

// ---------------------------------------------------------------- requests
export type RequestBytes = Record<ScenarioId, Partial<Record<CompetitorId, Buffer>>>;
export type RequestFiles = Record<ScenarioId, Partial<Record<CompetitorId, string>>>;

function writeRequest(ctx: RunContext, name: string, id: CompetitorId, b: Buffer): string {
  const dir = join(ctx.work, 'requests');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${id}.bin`);
  writeFileSync(file, b);
  return file;
}

/** Each scenario's request per competitor (by the Input it reads), and a file of it for the load generator. */
export function prepareRequests(ctx: RunContext, extraBytes?: number, name?: string): { bytes: RequestBytes; files: RequestFiles } {
  const bytes = {} as RequestBytes;
  const files = {} as RequestFiles;
  for (const s of ctx.scenarios) {
    const byInput = new Map<InputKind, Buffer>();
    bytes[s] = {};
    files[s] = {};
    for (const id of ctx.ids) {
      const kind = ctx.all[id].input;
      let b = byInput.get(kind);
      if (b === undefined) byInput.set(kind, (b = ctx.requests.build(s, kind, extraBytes).bytes));
      bytes[s][id] = b;
      files[s][id] = writeRequest(ctx, name ?? s, id, b);
    }
  }
  return { bytes, files };
}

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
};

// ---------------------------------------------------------------- the servers under load
/** The competitors' servers for the load phases, with their peak RSS per phase. */
export class Servers {
  readonly running = {} as Record<CompetitorId, Running>;
  readonly idleRss: Partial<Record<CompetitorId, number>> = {};
  readonly peakByPhase: Partial<Record<CompetitorId, Record<string, number>>> = {};
  private readonly clients = new Map<string, grpc.Client>();

  private constructor(private readonly ctx: RunContext) {}

  static async start(ctx: RunContext, first: Partial<Record<CompetitorId, Buffer>>): Promise<Servers> {
    const s = new Servers(ctx);
    ctx.log(`starting ${ctx.ids.join(', ')} on core ${ctx.config.serverCore}`);
    try {
      for (const id of ctx.ids) {
        s.running[id] = await start(ctx.all[id], { core: ctx.config.serverCore, logFile: logFile(ctx, id) });
        ctx.guard.own(ctx.config.serverCore, s.running[id].pid);
      }
      for (const id of ctx.ids) {
        await waitForPort(s.running[id]);
        await call(s.client(id, 'probe'), need(first[id], `${id} request`));
        s.idleRss[id] = currentRss(s.running[id].pid);
        s.peakByPhase[id] = {};
      }
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  client(id: CompetitorId, key: string): grpc.Client {
    const k = `${id}:${key}`;
    let c = this.clients.get(k);
    if (c === undefined) this.clients.set(k, (c = newClient(this.running[id].target)));
    return c;
  }

  /** Runs `body` with every server's peak RSS reset first, and records the peak under `name`. */
  async phase<T>(name: string, body: () => Promise<T>): Promise<T> {
    for (const id of this.ctx.ids) resetPeakRss(this.running[id].pid);
    const out = await body();
    for (const id of this.ctx.ids) (this.peakByPhase[id] ??= {})[name] = peakRss(this.running[id].pid);
    return out;
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    for (const id of this.ctx.ids) if (this.running[id] !== undefined) await stop(this.running[id]);
  }
}

function expectedResources(id: CompetitorId, scenario: ScenarioId): number {
  const earlier = scenario === 'pipeline100' ? EARLIER_DESIRED_RESOURCES : 0;
  return id === 'noop' ? earlier : earlier + 3;
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

function cellFrom(
  scenario: ScenarioId,
  concurrency: number,
  competitor: CompetitorId,
  reps: CellRep[],
  firstError: string | undefined,
): Cell {
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

// ---------------------------------------------------------------- closed loop
export interface ClosedLoop {
  readonly cells: Cell[];
  readonly responseBytes: Record<ScenarioId, Partial<Record<CompetitorId, number>>>;
}

/** Scenarios × concurrency, the competitors alternated in a rotating order within each cell. */
export async function closedLoop(ctx: RunContext, servers: Servers, bytes: RequestBytes, files: RequestFiles): Promise<ClosedLoop> {
  const { config, lg, guard } = ctx;
  const cells: Cell[] = [];
  const responseBytes = {} as ClosedLoop['responseBytes'];
  for (const scenario of ctx.scenarios) {
    await servers.phase(scenario, async () => {
      responseBytes[scenario] = {};
      for (const id of ctx.ids) {
        const check = checkResponse(await call(servers.client(id, 'probe'), need(bytes[scenario][id], `${id} request`)));
        if (check.fatal !== undefined) throw new Error(`${id} answered ${scenario} with a Fatal result: ${check.fatal}`);
        if (check.desiredResources !== expectedResources(id, scenario)) {
          throw new Error(
            `${id} answered ${scenario} with ${check.desiredResources} desired resources, want ${expectedResources(id, scenario)}`,
          );
        }
        responseBytes[scenario][id] = check.bytes;
      }
      for (const c of config.concurrency) {
        ctx.log(`closed loop: ${scenario}, concurrency ${c}`);
        await guard.waitForQuiet(`${scenario}@${c}`);
        const target = (id: CompetitorId): string => servers.running[id].target;
        const file = (id: CompetitorId): string => need(files[scenario][id], `${id} request file`);
        for (const id of ctx.ids) await lg.closed(`${id}:${c}`, target(id), file(id), c, config.warmupMs);
        const reps = new Map<CompetitorId, CellRep[]>(ctx.ids.map((id) => [id, []]));
        const errors: Partial<Record<CompetitorId, string>> = {};
        for (let rep = 0; rep < config.reps; rep++) {
          for (const id of rotate(ctx.ids, rep)) {
            const m = await guard.guarded(servers.running[id].pid, `${id} ${scenario}@${c}`, () =>
              lg.closed(`${id}:${c}`, target(id), file(id), c, config.durationMs, MIN_COMPLETED_PER_CALLER * c),
            );
            if (m.window.firstError !== undefined) errors[id] ??= m.window.firstError;
            reps.get(id)?.push(repOf(m.window, m.serverCpu, m.foreignCpu));
          }
        }
        const row = ctx.ids.map((id) => cellFrom(scenario, c, id, reps.get(id) ?? [], errors[id]));
        cells.push(...row);
        ctx.log(
          `  req/s ${row.map((x) => `${x.competitor} ${x.throughput.median.toFixed(0)}`).join(', ')}; p99 ms ${row.map((x) => x.p99.median.toFixed(2)).join(' / ')}`,
        );
      }
    });
  }
  return { cells, responseBytes };
}

// ---------------------------------------------------------------- request size
/** Steady state plus growing spec.extra, concurrency 1. */
export async function sizeSweep(ctx: RunContext, servers: Servers): Promise<SizePoint[]> {
  const { config, lg, guard } = ctx;
  const points: SizePoint[] = [];
  await servers.phase('size sweep', async () => {
    for (const extra of config.sizes) {
      ctx.log(`size sweep: ${extra / KiB} KiB of spec.extra`);
      const b: Partial<Record<CompetitorId, Buffer>> = {};
      const f: Partial<Record<CompetitorId, string>> = {};
      for (const id of ctx.ids) {
        b[id] = ctx.requests.build('steady', ctx.all[id].input, extra).bytes;
        f[id] = writeRequest(ctx, `size-${extra}`, id, b[id]);
      }
      for (const id of ctx.ids)
        await lg.closed(`${id}:1`, servers.running[id].target, need(f[id], 'file'), 1, Math.min(config.warmupMs, 500));
      const reps = new Map<CompetitorId, CellRep[]>(ctx.ids.map((id) => [id, []]));
      const sweepReps = config.quick ? 1 : 3;
      for (let rep = 0; rep < sweepReps; rep++) {
        for (const id of rotate(ctx.ids, rep)) {
          const m = await guard.guarded(servers.running[id].pid, `${id} size ${extra}`, () =>
            lg.closed(`${id}:1`, servers.running[id].target, need(f[id], 'file'), 1, config.quick ? 400 : 1500, 3),
          );
          reps.get(id)?.push(repOf(m.window, m.serverCpu, m.foreignCpu));
        }
      }
      for (const id of ctx.ids) {
        const r = reps.get(id) ?? [];
        points.push({
          extraBytes: extra,
          requestBytes: need(b[id], 'bytes').length,
          competitor: id,
          throughput: spread(r.map((x) => x.throughput)),
          p50: spread(r.map((x) => x.p50)),
          p99: spread(r.map((x) => x.p99)),
        });
      }
    }
  });
  return points;
}

// ---------------------------------------------------------------- open loop
/** 1,000 req/s from the scheduled send time, for each competitor whose capacity allows it. */
export async function openLoop(ctx: RunContext, servers: Servers, files: RequestFiles, closed: readonly Cell[]): Promise<OpenLoopResult[]> {
  const { config, lg, guard } = ctx;
  const results: OpenLoopResult[] = [];
  await servers.phase('open loop', async () => {
    const wanted = config.quick ? (['steady'] as const) : (['steady', 'first'] as const);
    for (const scenario of wanted.filter((s) => ctx.scenarios.includes(s))) {
      // A server whose closed-loop capacity is below the rate only builds a queue: the answer
      // is "it cannot", and measuring it would take minutes of draining.
      const capacity = (id: CompetitorId): number =>
        Math.max(...closed.filter((x) => x.scenario === scenario && x.competitor === id).map((x) => x.throughput.median));
      const able = ctx.ids.filter((id) => capacity(id) >= 1.1 * config.openLoopRate);
      for (const id of ctx.ids.filter((x) => !able.includes(x))) {
        ctx.notes.push(
          `Open loop at ${config.openLoopRate} req/s (${scenario}) not run for ${id}: its closed-loop capacity is ${capacity(id).toFixed(0)} req/s, so it can only build a queue.`,
        );
      }
      const file = (id: CompetitorId): string => need(files[scenario][id], 'file');
      for (const id of able) await lg.closed(`${id}:open`, servers.running[id].target, file(id), 1, Math.min(config.warmupMs, 500));
      const windows: Partial<Record<CompetitorId, OpenWindow[]>> = {};
      for (let rep = 0; rep < config.openLoopReps; rep++) {
        for (const id of rotate(able, rep)) {
          ctx.log(`open loop: ${id} at ${config.openLoopRate} req/s, ${scenario}, repetition ${rep + 1}`);
          const m = await guard.guarded(servers.running[id].pid, `${id} open loop ${scenario}`, () =>
            lg.open(`${id}:open`, servers.running[id].target, file(id), config.openLoopRate, config.openLoopDurationMs),
          );
          (windows[id] ??= []).push(m.window);
        }
      }
      for (const id of able) {
        const ws = windows[id] ?? [];
        const lat = ws.map((w) => summarize(w.latenciesMs));
        results.push({
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
  return results;
}

// ---------------------------------------------------------------- cold start
/** Spawn → first successful RunFunction, each competitor in turn, on the server core. */
export async function coldStarts(
  ctx: RunContext,
  first: Partial<Record<CompetitorId, Buffer>>,
): Promise<Partial<Record<CompetitorId, ColdStart>>> {
  ctx.log(`cold start: ${ctx.config.coldStartReps} starts each`);
  await ctx.guard.waitForQuiet('cold start');
  const samples = new Map<CompetitorId, { total: number[]; listen: number[] }>(ctx.ids.map((id) => [id, { total: [], listen: [] }]));
  for (let rep = 0; rep < ctx.config.coldStartReps; rep++) {
    for (const id of rotate(ctx.ids, rep)) {
      const r = await start(ctx.all[id], { core: ctx.config.serverCore, logFile: logFile(ctx, `cold-${id}`) });
      try {
        await waitForPort(r);
        const listening = process.hrtime.bigint();
        const c = newClient(r.target);
        try {
          for (let attempt = 0; ; attempt++) {
            try {
              await call(c, need(first[id], 'request'), 5000);
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
        samples.get(id)?.total.push(round(Number(answered - r.spawnedAt) / 1e6, 1));
        samples.get(id)?.listen.push(round(Number(listening - r.spawnedAt) / 1e6, 1));
      } finally {
        await stop(r, 'SIGKILL');
      }
    }
  }
  return Object.fromEntries(
    [...samples].map(([id, s]): [CompetitorId, ColdStart] => [
      id,
      { samplesMs: s.total, listenMs: s.listen, total: spread(s.total), listen: spread(s.listen) },
    ]),
  );
}

// ---------------------------------------------------------------- allocation
/** Bytes allocated on the JS heap per request (a Node server): a separate instance with V8's GC trace. */
export async function allocation(ctx: RunContext, id: CompetitorId, bytes: RequestBytes): Promise<Partial<Record<ScenarioId, number>>> {
  ctx.log(`allocation per request: ${id}`);
  const probe = pathToFileURL(join(ctx.root, 'dist/bench/alloc-probe.js')).href;
  const r = await start(ctx.all[id], {
    core: ctx.config.serverCore,
    logFile: logFile(ctx, `alloc-${id}`),
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
  const quick = ctx.config.quick;
  try {
    await waitForPort(r);
    const first = ctx.scenarios[0];
    if (first !== undefined) await call(c, need(bytes[first][id], 'request'));
    for (const scenario of ctx.scenarios) {
      const b = need(bytes[scenario][id], 'request');
      const large = scenario === 'large';
      const warm = quick ? (large ? 10 : 50) : large ? 50 : 500;
      const n = quick ? (large ? 20 : 200) : large ? 200 : 3000;
      for (let i = 0; i < warm; i++) await call(c, b);
      await mark();
      for (let i = 0; i < n; i++) await call(c, b);
      out[scenario] = Math.round((await mark()) / n);
    }
  } finally {
    c.close();
    await stop(r, 'SIGKILL');
  }
  return out;
}

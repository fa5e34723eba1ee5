/**
 * The benchmark's results: their JSON shape (bench/results/results.json), the markdown report
 * (results.md) and the goals they are judged against.
 */
import { describePeer, type FairnessReport } from './fairness.js';
import type { Hiccups } from './hiccup.js';
import type { ProfileSummary } from './profile.js';
import type { ScenarioId } from './requests.js';
import { SCENARIOS, SCENARIO_TITLES } from './requests.js';
import { COMPETITORS, type CompetitorId } from './servers.js';
import { spread, type Spread } from './stats.js';

export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly kernel: string;
  readonly memoryGiB: number;
}

export interface RunConfig {
  readonly quick: boolean;
  readonly reps: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly concurrency: readonly number[];
  readonly serverCore: number;
  readonly clientCore: number;
  readonly openLoopRate: number;
  readonly openLoopDurationMs: number;
  readonly openLoopReps: number;
  readonly coldStartReps: number;
  readonly sizes: readonly number[];
}

export interface CellRep {
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly completed: number;
  readonly errors: number;
  readonly clientCpu: number;
  readonly serverCpu: number;
  /** CPU other processes used on the server core during the window (fraction of the core). */
  readonly foreignCpu: number;
}

export interface Cell {
  readonly scenario: ScenarioId;
  readonly concurrency: number;
  readonly competitor: CompetitorId;
  readonly reps: readonly CellRep[];
  readonly throughput: Spread;
  readonly p50: Spread;
  readonly p99: Spread;
  readonly serverCpu: Spread;
  readonly clientCpu: Spread;
  readonly firstError: string | undefined;
}

export interface SizePoint {
  readonly extraBytes: number;
  readonly requestBytes: number;
  readonly competitor: CompetitorId;
  readonly throughput: Spread;
  readonly p50: Spread;
  readonly p99: Spread;
}

export interface OpenLoopResult {
  readonly competitor: CompetitorId;
  readonly scenario: ScenarioId;
  readonly rate: number;
  readonly achievedRate: Spread;
  /** From the scheduled send time (queueing included). */
  readonly p50: Spread;
  readonly p99: Spread;
  readonly p999: Spread;
  readonly max: Spread;
  /** From the actual send. */
  readonly serviceP99: Spread;
  readonly maxSendLagMs: number;
  readonly errors: number;
}

export interface ColdStart {
  readonly samplesMs: readonly number[];
  readonly listenMs: readonly number[];
  readonly total: Spread;
  readonly listen: Spread;
}

export interface Results {
  readonly date: string;
  readonly machine: Machine;
  readonly config: RunConfig;
  /** The competitors measured, ours first (a run of some cells may leave some out). */
  readonly competitors?: readonly CompetitorId[];
  readonly versions: Readonly<Partial<Record<CompetitorId, string>>>;
  readonly requestBytes: Readonly<Partial<Record<ScenarioId, Readonly<Partial<Record<CompetitorId, number>>>>>>;
  readonly responseBytes: Readonly<Partial<Record<ScenarioId, Readonly<Partial<Record<CompetitorId, number>>>>>>;
  readonly closed: readonly Cell[];
  readonly sizes: readonly SizePoint[];
  readonly openLoop: readonly OpenLoopResult[];
  readonly rss: Readonly<
    Partial<Record<CompetitorId, { readonly idle: number; readonly peak: number; readonly peakByPhase: Readonly<Record<string, number>> }>>
  >;
  readonly coldStart: Readonly<Partial<Record<CompetitorId, ColdStart>>>;
  /** Bytes allocated on the JS heap per request (Node servers). */
  readonly allocPerRequest: Readonly<Partial<Record<CompetitorId, Readonly<Partial<Record<ScenarioId, number>>>>>>;
  readonly fairness: FairnessReport | undefined;
  /** Scheduling gaps on the server core, measured before and after the load phases. */
  readonly hiccups: Readonly<Record<string, Hiccups>>;
  readonly goals: readonly Goal[];
  readonly notes: readonly string[];
}

export interface Goal {
  readonly goal: string;
  readonly holds: boolean;
  readonly detail: string;
}

const MB = 1e6;
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const fmtMs = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : 'n/a');
const kib = (b: number): string => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const range = (s: Spread, f: (n: number) => string): string => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

export function cellOf(
  results: Pick<Results, 'closed'>,
  scenario: ScenarioId,
  concurrency: number,
  competitor: CompetitorId,
): Cell | undefined {
  return results.closed.find((c) => c.scenario === scenario && c.concurrency === concurrency && c.competitor === competitor);
}

/** The competitors present in a run (results of older runs name none: all that have cells). */
export function competitorsOf(r: Pick<Results, 'closed' | 'competitors' | 'versions'>): CompetitorId[] {
  const present = new Set<CompetitorId>([
    ...(r.competitors ?? []),
    ...(Object.keys(r.versions) as CompetitorId[]),
    ...r.closed.map((c) => c.competitor),
  ]);
  return COMPETITORS.filter((id) => present.has(id));
}

/**
 * ours ÷ other for one cell: the ratio of the medians, and its spread over the repetitions
 * paired by index (each repetition measures every competitor back to back, in a rotated order).
 */
export function ratioOf(r: Pick<Results, 'closed'>, s: ScenarioId, c: number, other: CompetitorId): Spread | undefined {
  const o = cellOf(r, s, c, 'ours');
  const x = cellOf(r, s, c, other);
  if (o === undefined || x === undefined) return undefined;
  const paired = o.reps.flatMap((rep, i) => {
    const t = x.reps[i]?.throughput;
    return t === undefined || t <= 0 ? [] : [rep.throughput / t];
  });
  const sp = spread(paired.length > 0 ? paired : [Number.NaN]);
  return { ...sp, median: o.throughput.median / x.throughput.median };
}

/** The cells issue 14 judges the Go SDK peer on: first and steady reconciles, and the pipeline case. */
const PEER_SCENARIOS: readonly ScenarioId[] = ['first', 'steady', 'pipeline100'];

/** The goals of issues 5 and 14, judged on this run (a goal whose competitor was not run is left out). */
export function judgeGoals(r: Omit<Results, 'goals'>): Goal[] {
  const goals: Goal[] = [];
  const ids = competitorsOf(r);
  const scenarios = [...new Set(r.closed.map((c) => c.scenario))];
  const concurrencies = [...new Set(r.closed.map((c) => c.concurrency))];
  const cells = scenarios.flatMap((s) => concurrencies.map((c) => [s, c] as const));
  const ratios = (other: CompetitorId, only?: readonly ScenarioId[]): Array<[string, number]> =>
    cells
      .filter(([s]) => only === undefined || only.includes(s))
      .map(([s, c]) => [
        `${s}@${c}`,
        (cellOf(r, s, c, 'ours')?.throughput.median ?? Number.NaN) / (cellOf(r, s, c, other)?.throughput.median ?? Number.NaN),
      ]);
  const judge = (name: string, list: Array<[string, number]>, min: number): void => {
    if (list.length === 0) return;
    const failing = list.filter(([, v]) => !(v >= min));
    const worst = list.reduce((w, x) => (x[1] < w[1] ? x : w), ['', Number.POSITIVE_INFINITY] as [string, number]);
    goals.push({
      goal: name,
      holds: failing.length === 0,
      detail:
        failing.length === 0
          ? `every cell; lowest ${worst[1].toFixed(2)}× (${worst[0]})`
          : `fails in ${failing.length} of ${list.length}: ${failing.map(([k, v]) => `${k} ${v.toFixed(2)}×`).join(', ')}`,
    });
  };
  if (ids.includes('gosdk')) judge('throughput ≥ 1.0× the Go SDK peer (first, steady, pipeline100)', ratios('gosdk', PEER_SCENARIOS), 1.0);
  if (ids.includes('gotemplating')) judge('throughput ≥ 1.5× function-go-templating', ratios('gotemplating'), 1.5);
  if (ids.includes('noop')) {
    const noopRatios = ratios('noop');
    judge('throughput ≥ 70 % of the no-op floor', noopRatios, 0.7);
    const goal = goals[goals.length - 1];
    const failing = noopRatios
      .filter(([, v]) => !(v >= 0.7))
      .map(([k]) => cells.find(([s, c]) => `${s}@${c}` === k))
      .filter((x) => x !== undefined);
    if (goal !== undefined && !goal.holds && ids.includes('replay'))
      goals[goals.length - 1] = { ...goal, detail: `${goal.detail}; ${whyNotNoop(r, failing)}` };
  }
  for (const o of r.openLoop.filter((x) => x.competitor === 'ours')) {
    const over = o.p99.values.filter((v) => v > 5).length;
    const floor = r.openLoop
      .filter((x) => x.competitor !== 'ours' && x.scenario === o.scenario && x.rate === o.rate)
      .map((x) => `${LABEL[x.competitor]} ${fmtMs(x.p99.median)} ms`);
    goals.push({
      goal: `p99 ≤ 5 ms at ${o.rate} req/s open loop (${o.scenario})`,
      holds: o.p99.median <= 5,
      detail: `median of ${o.p99.values.length} windows ${fmtMs(o.p99.median)} ms (each: ${o.p99.values.map(fmtMs).join(', ')} ms${over > 0 ? `; ${over} over 5 ms` : ''}); p50 ${fmtMs(o.p50.median)} ms, p99.9 ${fmtMs(o.p999.median)} ms, worst call ${fmtMs(o.max.max)} ms; the load generator sent up to ${fmtMs(o.maxSendLagMs)} ms late${floor.length > 0 ? `; p99 at the same rate: ${floor.join(', ')}` : ''}`,
    });
  }
  const rss = r.rss.ours;
  if (rss !== undefined && Object.keys(rss.peakByPhase).length > 0) {
    const worstPhase = Object.entries(rss.peakByPhase).reduce((w, x) => (x[1] > w[1] ? x : w), ['', 0] as [string, number]);
    goals.push({
      goal: 'peak RSS ≤ 80 MB',
      holds: rss.peak <= 80 * MB,
      detail: `peak ${fmt(rss.peak / MB, 1)} MB (highest in ${worstPhase[0]}); idle after start ${fmt(rss.idle / MB, 1)} MB; per phase: ${Object.entries(
        rss.peakByPhase,
      )
        .map(([k, v]) => `${k} ${fmt(v / MB, 1)}`)
        .join(', ')}${rss.peak <= 80 * MB ? '' : rssFloor(r)}`,
    });
  }
  const cold = r.coldStart.ours;
  if (cold !== undefined) {
    goals.push({
      goal: 'cold start ≤ 300 ms',
      holds: cold.total.max <= 300,
      detail: `spawn → first RunFunction answered: median ${fmtMs(cold.total.median)} ms, worst ${fmtMs(cold.total.max)} ms over ${cold.samplesMs.length} starts (listening after ${fmtMs(cold.listen.median)} ms)`,
    });
  }
  return goals;
}

/**
 * Why ours stays under 70 % of the no-op in the failing cells, from the replay diagnostic: per
 * call, ours' extra time over the no-op is carrying its response (replay − no-op) plus composing
 * it (ours − replay).
 */
function whyNotNoop(r: Omit<Results, 'goals'>, cells: ReadonlyArray<readonly [ScenarioId, number]>): string {
  const perCall = (s: ScenarioId, c: number, id: CompetitorId): number => 1 / (cellOf(r, s, c, id)?.throughput.median ?? Number.NaN);
  const rows = cells
    .map(([s, c]) => {
      const noop = perCall(s, c, 'noop');
      const replay = perCall(s, c, 'replay');
      const ours = perCall(s, c, 'ours');
      return { replayOfNoop: noop / replay, carrying: (replay - noop) / (ours - noop) };
    })
    .filter((x) => Number.isFinite(x.replayOfNoop) && Number.isFinite(x.carrying));
  if (rows.length === 0) return 'no replay figures to say why';
  const span = (xs: number[], f: (n: number) => string, unit: string): string => {
    const lo = f(Math.min(...xs));
    const hi = f(Math.max(...xs));
    return lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`;
  };
  const below = rows.filter((x) => x.replayOfNoop < 0.7).length;
  return (
    `why: our edge sending ours' response without composing it (replay) reaches ${span(
      rows.map((x) => x.replayOfNoop),
      (n) => n.toFixed(2),
      '×',
    )} of the no-op in those cells (below 0.70× in ${below} of ${rows.length}); of ours' extra time per call over the no-op there, ` +
    `${span(
      rows.map((x) => x.carrying),
      (n) => (100 * n).toFixed(0),
      ' %',
    )} is carrying the response (replay) and the rest composing it, so where the replay is below 0.70× no change to the composition reaches the goal: only a smaller response or a cheaper stack would`
  );
}

/** The memory floor of the stack: the no-op's (and the replay's) peak in the same phases. */
function rssFloor(r: Omit<Results, 'goals'>): string {
  const of = (id: CompetitorId): string | undefined => {
    const x = r.rss[id];
    if (x === undefined) return undefined;
    const phases = ['first', 'steady'].filter((p) => x.peakByPhase[p] !== undefined);
    return `${LABEL[id]} ${phases.map((p) => `${p} ${fmt((x.peakByPhase[p] ?? 0) / MB, 1)}`).join(', ')} (idle ${fmt(x.idle / MB, 1)})`;
  };
  const floors = (['noop', 'replay'] as const).map(of).filter((x) => x !== undefined);
  const noop = r.rss.noop;
  const above =
    noop !== undefined && Math.min(...['first', 'steady'].map((p) => noop.peakByPhase[p] ?? Number.POSITIVE_INFINITY)) > 80 * MB;
  return floors.length === 0
    ? ''
    : `; the same stack without our composition peaks at: ${floors.join('; ')}${above ? ': the no-op alone is above 80 MB, so no change to the function reaches it on this stack' : ''}`;
}

const LABEL: Readonly<Record<CompetitorId, string>> = {
  ours: 'ours',
  gosdk: 'Go SDK',
  gotemplating: 'go-templating',
  noop: 'no-op',
  replay: 'replay',
};

const ratioCell = (x: Spread | undefined): string =>
  x === undefined || !Number.isFinite(x.median)
    ? 'n/a'
    : `**${x.median.toFixed(2)}×** (${Number.isFinite(x.min) ? `${x.min.toFixed(2)}–${x.max.toFixed(2)}` : 'n/a'})`;

export function renderMarkdown(r: Results, profile?: Readonly<Record<string, ProfileSummary>>): string {
  const L: string[] = [];
  const ids = competitorsOf(r);
  const scenarios = SCENARIOS.filter((s) => r.closed.some((c) => c.scenario === s) || r.requestBytes[s] !== undefined);
  const concurrencies = [...new Set(r.closed.map((c) => c.concurrency))].sort((a, b) => a - b);
  L.push(
    `# Benchmark: function-plana-tenant vs ${ids
      .filter((id) => id !== 'ours')
      .map((id) => LABEL[id])
      .join(' vs ')}`,
  );
  L.push('');
  L.push(`- Date: ${r.date}${r.config.quick ? ' — **--quick smoke run: too short to quote**' : ''}`);
  L.push(
    `- Machine: ${r.machine.nproc} cores (\`nproc\`), ${r.machine.cpuModel} (\`lscpu\` model name), ${r.machine.memoryGiB} GiB, Linux ${r.machine.kernel}, Node ${r.machine.node}`,
  );
  L.push(
    `- Each server pinned to core ${r.config.serverCore} (\`taskset -c ${r.config.serverCore}\`), one at a time under load, the load generator (bench/loadgen, Go, grpc-go as in Crossplane, one HTTP/2 connection per competitor and concurrency) to core ${r.config.clientCore}; plaintext gRPC on 127.0.0.1.`,
  );
  L.push(
    `- Closed loop: ${r.config.reps} × ${r.config.durationMs / 1000} s per cell after ${r.config.warmupMs / 1000} s warm-up, competitors alternated (rotated each repetition); figures are the median of the repetitions with (min–max); a ratio is the ratio of the medians with (min–max) of the ratios of the repetitions paired by index.`,
  );
  for (const [when, h] of Object.entries(r.hiccups)) {
    L.push(
      `- Machine steadiness (${when}, ${h.seconds} s spinning on the server core): ${(h.stalledFraction * 100).toFixed(2)} % of the time stalled, ${h.over1ms} gaps > 1 ms, ${h.over5ms} > 5 ms, longest ${h.maxGapMs.toFixed(1)} ms; ${(h.delayedOver5msFraction * 100).toFixed(2)} % of instants see a > 5 ms stall.`,
    );
  }
  L.push(`- Competitors: ${ids.map((k) => `${LABEL[k]} = ${r.versions[k] ?? 'unknown'}`).join('; ')}.`);
  L.push('');
  if (r.closed.length > 0) {
    const others = ids.filter((id) => id !== 'ours');
    const ratioIds = (['gosdk', 'noop', 'replay', 'gotemplating'] as const).filter((id) => ids.includes(id));
    L.push('## Throughput (req/s) and ratios');
    L.push('');
    L.push(
      `| scenario | conc. | ours | ${others.map((id) => LABEL[id]).join(' | ')} | ${ratioIds.map((id) => `ours ÷ ${LABEL[id]}`).join(' | ')} |`,
    );
    L.push(`| --- | ---: | ---: | ${others.map(() => '---:').join(' | ')} | ${ratioIds.map(() => '---:').join(' | ')} |`);
    for (const s of scenarios) {
      for (const c of concurrencies) {
        const row = ids.map((id) => cellOf(r, s, c, id));
        if (row[0] === undefined) continue;
        L.push(
          `| ${s} | ${c} | ${row.map((x) => (x === undefined ? 'n/a' : range(x.throughput, (v) => fmt(v)))).join(' | ')} | ${ratioIds.map((id) => ratioCell(ratioOf(r, s, c, id))).join(' | ')} |`,
        );
      }
    }
    L.push('');
    if (r.fairness !== undefined) {
      L.push(
        'Fairness check (`crossplane render` of every example through ours and each competitor, compared field for field; section Fairness below):',
      );
      L.push('');
      for (const p of r.fairness.peers ?? []) L.push(`- ${describePeer(p)}.`);
      L.push('');
    }
    L.push('## Latency (ms): p50 / p99, closed loop');
    L.push('');
    L.push(`| scenario | conc. | ${ids.map((id) => `${LABEL[id]} p50 | ${LABEL[id]} p99`).join(' | ')} |`);
    L.push(`| --- | ---: | ${ids.map(() => '---: | ---:').join(' | ')} |`);
    for (const s of scenarios) {
      for (const c of concurrencies) {
        const row = ids.map((k) => cellOf(r, s, c, k));
        if (row.every((x) => x === undefined)) continue;
        L.push(
          `| ${s} | ${c} | ${row.map((x) => (x === undefined ? 'n/a | n/a' : `${range(x.p50, fmtMs)} | ${range(x.p99, fmtMs)}`)).join(' | ')} |`,
        );
      }
    }
    L.push('');
    L.push('Server CPU (fraction of its one core, median) and load-generator CPU at the highest concurrency:');
    L.push('');
    L.push(`| scenario | ${ids.map((id) => `${LABEL[id]} server`).join(' | ')} | load generator (max) |`);
    L.push(`| --- | ${ids.map(() => '---:').join(' | ')} | ---: |`);
    const cmax = concurrencies[concurrencies.length - 1] ?? 1;
    for (const s of scenarios) {
      const row = ids.map((k) => cellOf(r, s, cmax, k));
      if (row.every((x) => x === undefined)) continue;
      L.push(
        `| ${s}@${cmax} | ${row.map((x) => (x === undefined ? 'n/a' : `${fmt(x.serverCpu.median * 100)} %`)).join(' | ')} | ${fmt(Math.max(...row.map((x) => x?.clientCpu.max ?? 0)) * 100)} % |`,
      );
    }
    L.push('');
  }
  L.push('## Requests');
  L.push('');
  L.push(
    `| scenario | request bytes (${ids.map((id) => LABEL[id]).join(' / ')}) | response bytes (${ids.map((id) => LABEL[id]).join(' / ')}) |`,
  );
  L.push('| --- | --- | --- |');
  for (const s of scenarios) {
    const q = r.requestBytes[s] ?? {};
    const p = r.responseBytes[s] ?? {};
    L.push(
      `| ${s}: ${SCENARIO_TITLES[s]} | ${ids.map((id) => kib(q[id] ?? Number.NaN)).join(' / ')} | ${ids.map((id) => kib(p[id] ?? Number.NaN)).join(' / ')} |`,
    );
  }
  L.push('');
  if (r.openLoop.length > 0) {
    L.push(`## Open loop at a fixed rate (latency from the scheduled send time, ms)`);
    L.push('');
    L.push('| competitor | scenario | rate | achieved req/s | p50 | p99 | p99.9 | max | p99 from actual send | errors |');
    L.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const o of r.openLoop) {
      L.push(
        `| ${LABEL[o.competitor]} | ${o.scenario} | ${o.rate} | ${fmt(o.achievedRate.median)} | ${range(o.p50, fmtMs)} | ${range(o.p99, fmtMs)} | ${range(o.p999, fmtMs)} | ${range(o.max, fmtMs)} | ${range(o.serviceP99, fmtMs)} | ${o.errors} |`,
      );
    }
    L.push('');
  }
  if (r.sizes.length > 0) {
    const sizeIds = ids.filter((id) => r.sizes.some((x) => x.competitor === id));
    L.push('## Latency against request size (steady state + spec.extra, concurrency 1, ms)');
    L.push('');
    L.push(
      `| extra spec data | request bytes (ours) | ${sizeIds.map((id) => `${LABEL[id]} p50`).join(' | ')} | ${sizeIds.map((id) => `${LABEL[id]} p99`).join(' | ')} |`,
    );
    L.push(`| ---: | ---: | ${sizeIds.map(() => '---:').join(' | ')} | ${sizeIds.map(() => '---:').join(' | ')} |`);
    for (const size of [...new Set(r.sizes.map((x) => x.extraBytes))]) {
      const row = sizeIds.map((k) => r.sizes.find((x) => x.extraBytes === size && x.competitor === k));
      L.push(
        `| ${kib(size)} | ${kib(row[0]?.requestBytes ?? Number.NaN)} | ${row.map((x) => fmtMs(x?.p50.median ?? Number.NaN)).join(' | ')} | ${row.map((x) => fmtMs(x?.p99.median ?? Number.NaN)).join(' | ')} |`,
      );
    }
    L.push('');
  }
  const rssIds = ids.filter((id) => r.rss[id] !== undefined);
  if (rssIds.length > 0) {
    L.push('## Memory and start-up');
    L.push('');
    L.push(
      '| competitor | RSS idle after start (MB) | peak RSS, whole run (MB) | cold start: spawn → first answer, median (min–max) ms | listening after (ms) |',
    );
    L.push('| --- | ---: | ---: | ---: | ---: |');
    for (const k of rssIds) {
      const m = r.rss[k];
      const cs = r.coldStart[k];
      L.push(
        `| ${LABEL[k]} | ${fmt((m?.idle ?? Number.NaN) / MB, 1)} | ${fmt((m?.peak ?? Number.NaN) / MB, 1)} | ${cs === undefined ? 'n/a' : range(cs.total, fmtMs)} | ${cs === undefined ? 'n/a' : fmtMs(cs.listen.median)} |`,
      );
    }
    L.push('');
    L.push('Peak RSS by phase (MB; VmHWM reset at the start of each phase):');
    L.push('');
    const phases = Object.keys(r.rss.ours?.peakByPhase ?? {});
    L.push(`| competitor | ${phases.join(' | ')} |`);
    L.push(`| --- | ${phases.map(() => '---:').join(' | ')} |`);
    for (const k of rssIds)
      L.push(`| ${LABEL[k]} | ${phases.map((p) => fmt((r.rss[k]?.peakByPhase[p] ?? Number.NaN) / MB, 1)).join(' | ')} |`);
    L.push('');
  }
  const allocRows = ids.filter((k) => r.allocPerRequest[k] !== undefined);
  if (allocRows.length > 0) {
    L.push('Bytes allocated on the JS heap per request (V8 --trace-gc-nvp, sum of `allocated` between two forced GCs / requests):');
    L.push('');
    L.push(`| competitor | ${scenarios.join(' | ')} |`);
    L.push(`| --- | ${scenarios.map(() => '---:').join(' | ')} |`);
    for (const k of allocRows)
      L.push(`| ${LABEL[k]} | ${scenarios.map((s) => kib(r.allocPerRequest[k]?.[s] ?? Number.NaN)).join(' | ')} |`);
    L.push('');
  }
  L.push('## Goals');
  L.push('');
  L.push('| goal | holds | detail |');
  L.push('| --- | --- | --- |');
  for (const g of r.goals) L.push(`| ${g.goal} | ${g.holds ? 'yes' : '**no**'} | ${g.detail} |`);
  L.push('');
  if (r.fairness !== undefined) {
    L.push('## Fairness: the same objects through `crossplane render`');
    L.push('');
    L.push(`${r.fairness.crossplane.replace(/\n/g, '; ')}.`);
    L.push('');
    for (const p of r.fairness.peers ?? []) {
      L.push(`### ${p.label}`);
      L.push('');
      L.push(`${describePeer(p)}.`);
      L.push('');
      L.push(
        `| scenario | exit codes (ours / ${LABEL[p.id as CompetitorId] ?? p.id}) | objects identical | XR status/conditions differences | result and fatal-error differences |`,
      );
      L.push('| --- | --- | --- | --- | --- |');
      for (const s of p.scenarios) {
        L.push(
          `| ${s.name} | ${s.exitCodes.ours} / ${s.exitCodes.theirs} | ${s.objects.length === 0 ? 'none composed' : `${s.objects.filter((o) => o.identical).length} of ${s.objects.length}`} | ${s.xrDiffs.length === 0 ? 'none' : s.xrDiffs.map((d) => `\`${d.path}\``).join(', ')} | ${s.resultDiffs.length === 0 ? 'none' : s.resultDiffs.map((d) => `\`${d.path}\``).join(', ')} |`,
        );
      }
      const objectDiffs = p.scenarios.flatMap((s) => s.objectDiffs.map((d) => ({ ...d, scenario: s.name })));
      if (objectDiffs.length > 0) {
        L.push('');
        L.push('Differing object fields:');
        L.push('');
        for (const d of objectDiffs)
          L.push(`- ${d.scenario}: \`${d.path}\`: ours ${JSON.stringify(d.ours)}, ${p.id} ${JSON.stringify(d.theirs)}`);
      }
      L.push('');
    }
  }
  if (profile !== undefined) {
    L.push('## CPU profile of ours (see profile.md)');
    L.push('');
  }
  if (r.notes.length > 0) {
    L.push('## Notes');
    L.push('');
    for (const n of r.notes) L.push(`- ${n}`);
    L.push('');
  }
  L.push('Chart: [scaling.svg](scaling.svg). Raw figures: [results.json](results.json).');
  L.push('');
  return L.join('\n');
}

export function renderProfileMarkdown(summaries: Readonly<Record<string, ProfileSummary>>, command: string): string {
  const L: string[] = [];
  L.push('# CPU profile of function-plana-tenant under load');
  L.push('');
  L.push(`Command (per scenario): \`${command}\``);
  L.push('');
  for (const [name, s] of Object.entries(summaries)) {
    L.push(`## ${name}`);
    L.push('');
    L.push(`Busy ${(s.busyMs / 1000).toFixed(1)} s of ${(s.totalMs / 1000).toFixed(1)} s sampled.`);
    L.push('');
    L.push('| where the busy time went (exclusive: adds up to 100 %) | ms | % of busy |');
    L.push('| --- | ---: | ---: |');
    for (const b of s.categories) L.push(`| ${b.frame} | ${b.ms.toFixed(0)} | ${b.percent.toFixed(1)} |`);
    L.push('');
    L.push('| inclusive time of | ms | % of busy |');
    L.push('| --- | ---: | ---: |');
    for (const b of s.inclusive) L.push(`| ${b.frame} | ${b.ms.toFixed(0)} | ${b.percent.toFixed(1)} |`);
    L.push('');
    L.push('| hottest frames (self time) | ms | % of busy |');
    L.push('| --- | ---: | ---: |');
    for (const f of s.topSelf) L.push(`| \`${f.frame}\` | ${f.ms.toFixed(0)} | ${f.percent.toFixed(1)} |`);
    L.push('');
    L.push('| inclusive (self + callees) | ms | % of busy |');
    L.push('| --- | ---: | ---: |');
    for (const f of s.topInclusive) L.push(`| \`${f.frame}\` | ${f.ms.toFixed(0)} | ${f.percent.toFixed(1)} |`);
    L.push('');
  }
  return L.join('\n');
}

/** The README's Benchmarks figures sit between these markers; a full run rewrites them. */
export const README_BEGIN = '<!-- BEGIN GENERATED BENCHMARK SUMMARY (npm run bench) -->';
export const README_END = '<!-- END GENERATED BENCHMARK SUMMARY -->';

const README_SCENARIOS: Readonly<Record<ScenarioId, string>> = {
  first: 'first reconcile',
  steady: 'steady state (3 observed resources)',
  large: 'large XR (1 MiB of spec)',
  pipeline100: '100 desired resources from earlier steps',
};

/** The README's summary of one full run: ratios per scenario and the goals with their reasons. */
export function readmeSummary(r: Results): string {
  const ids = competitorsOf(r);
  const concurrencies = [...new Set(r.closed.map((c) => c.concurrency))].sort((a, b) => a - b);
  const scenarios = SCENARIOS.filter((s) => r.closed.some((c) => c.scenario === s));
  const others = (['gosdk', 'gotemplating', 'noop', 'replay'] as const).filter((id) => ids.includes(id));
  const title: Readonly<Record<(typeof others)[number], string>> = {
    gosdk: 'ours ÷ Go SDK peer',
    gotemplating: 'ours ÷ go-templating',
    noop: 'ours ÷ no-op',
    replay: 'ours ÷ replay',
  };
  const L: string[] = [];
  const busy = r.notes.some((n) => n.startsWith('Other processes'));
  L.push(
    `Measured ${r.date.slice(0, 10)} by \`npm run bench\` (bench/results/results.md): ${r.machine.nproc} × ${r.machine.cpuModel} cores, Node ${r.machine.node} with the image's \`NODE_OPTIONS\`, median of ${r.config.reps} × ${r.config.durationMs / 1000} s windows per cell, competitors alternated${busy ? '; other jobs shared the machine during some windows (results.md, Notes)' : ''}. Concurrency ${concurrencies.join(' / ')}:`,
  );
  L.push('');
  L.push(`| scenario | ${others.map((id) => title[id]).join(' | ')} |`);
  L.push(`| --- | ${others.map(() => '---').join(' | ')} |`);
  for (const s of scenarios) {
    const cells = others.map((id) =>
      concurrencies
        .map((c) => {
          const x = ratioOf(r, s, c, id);
          return x === undefined || !Number.isFinite(x.median) ? 'n/a' : `${x.median.toFixed(2)}×`;
        })
        .join(' / '),
    );
    L.push(`| ${README_SCENARIOS[s]} | ${cells.join(' | ')} |`);
  }
  L.push('');
  for (const p of r.fairness?.peers ?? []) L.push(`- Fairness: ${describePeer(p)}.`);
  if ((r.fairness?.peers ?? []).length > 0) L.push('');
  L.push('| goal | holds | detail |');
  L.push('| --- | --- | --- |');
  for (const g of r.goals) L.push(`| ${g.goal} | ${g.holds ? 'yes' : '**no**'} | ${g.detail.replace(/\|/g, '\\|')} |`);
  return L.join('\n');
}

/** README text with the benchmark summary replaced by this run's. */
export function withReadmeSummary(readme: string, r: Results): string {
  const start = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_BEGIN} ... ${README_END} block`);
  return `${readme.slice(0, start + README_BEGIN.length)}\n${readmeSummary(r)}\n${readme.slice(end)}`;
}

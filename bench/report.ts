/**
 * The benchmark's results: their JSON shape (bench/results/results.json), the markdown report
 * (results.md) and the goals they are judged against.
 */
import type { FairnessReport } from './fairness.js';
import type { Hiccups } from './hiccup.js';
import type { ProfileSummary } from './profile.js';
import type { ScenarioId } from './requests.js';
import { SCENARIO_TITLES } from './requests.js';
import type { CompetitorId } from './servers.js';
import type { Spread } from './stats.js';

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
  readonly versions: Readonly<Record<CompetitorId, string>>;
  readonly requestBytes: Readonly<Record<ScenarioId, Readonly<Record<CompetitorId, number>>>>;
  readonly responseBytes: Readonly<Record<ScenarioId, Readonly<Partial<Record<CompetitorId, number>>>>>;
  readonly closed: readonly Cell[];
  readonly sizes: readonly SizePoint[];
  readonly openLoop: readonly OpenLoopResult[];
  readonly rss: Readonly<Record<CompetitorId, { readonly idle: number; readonly peak: number; readonly peakByPhase: Readonly<Record<string, number>> }>>;
  readonly coldStart: Readonly<Record<CompetitorId, ColdStart>>;
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
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
const kib = (b: number): string => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const range = (s: Spread, f: (n: number) => string): string => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;

export function cellOf(results: Pick<Results, 'closed'>, scenario: ScenarioId, concurrency: number, competitor: CompetitorId): Cell | undefined {
  return results.closed.find((c) => c.scenario === scenario && c.concurrency === concurrency && c.competitor === competitor);
}

/** The goals of issue 5, judged on this run. */
export function judgeGoals(r: Omit<Results, 'goals'>): Goal[] {
  const goals: Goal[] = [];
  const scenarios = [...new Set(r.closed.map((c) => c.scenario))];
  const concurrencies = [...new Set(r.closed.map((c) => c.concurrency))];
  const cells = scenarios.flatMap((s) => concurrencies.map((c) => [s, c] as const));
  const ratios = (other: CompetitorId): Array<[string, number]> =>
    cells.map(([s, c]) => [
      `${s}@${c}`,
      (cellOf(r, s, c, 'ours')?.throughput.median ?? Number.NaN) / (cellOf(r, s, c, other)?.throughput.median ?? Number.NaN),
    ]);
  const judge = (name: string, list: Array<[string, number]>, min: number): void => {
    const failing = list.filter(([, v]) => !(v >= min));
    const worst = list.reduce((w, x) => (x[1] < w[1] ? x : w), ['', Number.POSITIVE_INFINITY] as [string, number]);
    goals.push({
      goal: name,
      holds: failing.length === 0,
      detail:
        failing.length === 0
          ? `every scenario × concurrency; lowest ${worst[1].toFixed(2)}× (${worst[0]})`
          : `fails in ${failing.length} of ${list.length}: ${failing.map(([k, v]) => `${k} ${v.toFixed(2)}×`).join(', ')}`,
    });
  };
  judge('throughput ≥ 1.5× function-go-templating', ratios('gotemplating'), 1.5);
  judge('throughput ≥ 70 % of the no-op floor', ratios('noop'), 0.7);
  for (const o of r.openLoop.filter((x) => x.competitor === 'ours')) {
    const over = o.p99.values.filter((v) => v > 5).length;
    goals.push({
      goal: `p99 ≤ 5 ms at ${o.rate} req/s open loop (${o.scenario})`,
      holds: o.p99.median <= 5,
      detail: `median of ${o.p99.values.length} windows ${fmtMs(o.p99.median)} ms (each: ${o.p99.values.map(fmtMs).join(', ')} ms${over > 0 ? `; ${over} over 5 ms` : ''}); p50 ${fmtMs(o.p50.median)} ms, p99.9 ${fmtMs(o.p999.median)} ms, worst call ${fmtMs(o.max.max)} ms; the load generator sent up to ${fmtMs(o.maxSendLagMs)} ms late`,
    });
  }
  const rss = r.rss.ours;
  const worstPhase = Object.entries(rss.peakByPhase).reduce((w, x) => (x[1] > w[1] ? x : w), ['', 0] as [string, number]);
  goals.push({
    goal: 'peak RSS ≤ 80 MB',
    holds: rss.peak <= 80 * MB,
    detail: `peak ${fmt(rss.peak / MB, 1)} MB (highest in ${worstPhase[0]}); idle after start ${fmt(rss.idle / MB, 1)} MB; per phase: ${Object.entries(rss.peakByPhase)
      .map(([k, v]) => `${k} ${fmt(v / MB, 1)}`)
      .join(', ')}`,
  });
  const cold = r.coldStart.ours;
  goals.push({
    goal: 'cold start ≤ 300 ms',
    holds: cold.total.max <= 300,
    detail: `spawn → first RunFunction answered: median ${fmtMs(cold.total.median)} ms, worst ${fmtMs(cold.total.max)} ms over ${cold.samplesMs.length} starts (listening after ${fmtMs(cold.listen.median)} ms)`,
  });
  return goals;
}

const LABEL: Readonly<Record<CompetitorId, string>> = { ours: 'ours', gotemplating: 'go-templating', noop: 'no-op' };

export function renderMarkdown(r: Results, profile?: Readonly<Record<string, ProfileSummary>>): string {
  const L: string[] = [];
  const scenarios = [...new Set(r.closed.map((c) => c.scenario))];
  const concurrencies = [...new Set(r.closed.map((c) => c.concurrency))].sort((a, b) => a - b);
  L.push(`# Benchmark: function-plana-tenant vs function-go-templating vs a no-op`);
  L.push('');
  L.push(`- Date: ${r.date}${r.config.quick ? ' — **--quick smoke run: too short to quote**' : ''}`);
  L.push(
    `- Machine: ${r.machine.nproc} cores (\`nproc\`), ${r.machine.cpuModel} (\`lscpu\` model name), ${r.machine.memoryGiB} GiB, Linux ${r.machine.kernel}, Node ${r.machine.node}`,
  );
  L.push(
    `- Each server pinned to core ${r.config.serverCore} (\`taskset -c ${r.config.serverCore}\`), the load generator (bench/loadgen, Go, grpc-go as in Crossplane, one HTTP/2 connection per competitor and concurrency) to core ${r.config.clientCore}; plaintext gRPC on 127.0.0.1.`,
  );
  L.push(
    `- Closed loop: ${r.config.reps} × ${r.config.durationMs / 1000} s per cell after ${r.config.warmupMs / 1000} s warm-up, competitors alternated (rotated each repetition); figures are the median of the repetitions with (min–max).`,
  );
  for (const [when, h] of Object.entries(r.hiccups)) {
    L.push(
      `- Machine steadiness (${when}, ${h.seconds} s spinning on the server core): ${(h.stalledFraction * 100).toFixed(2)} % of the time stalled, ${h.over1ms} gaps > 1 ms, ${h.over5ms} > 5 ms, longest ${h.maxGapMs.toFixed(1)} ms; ${(h.delayedOver5msFraction * 100).toFixed(2)} % of instants see a > 5 ms stall.`,
    );
  }
  L.push(`- Competitors: ${(Object.keys(r.versions) as CompetitorId[]).map((k) => `${LABEL[k]} = ${r.versions[k]}`).join('; ')}.`);
  L.push('');
  L.push('## Requests');
  L.push('');
  L.push('| scenario | request bytes (ours / go-templating) | response bytes (ours / go-templating / no-op) |');
  L.push('| --- | --- | --- |');
  for (const s of scenarios) {
    const q = r.requestBytes[s];
    const p = r.responseBytes[s];
    L.push(`| ${s}: ${SCENARIO_TITLES[s]} | ${kib(q.ours)} / ${kib(q.gotemplating)} | ${kib(p.ours ?? Number.NaN)} / ${kib(p.gotemplating ?? Number.NaN)} / ${kib(p.noop ?? Number.NaN)} |`);
  }
  L.push('');
  L.push('## Throughput (req/s) and ratios');
  L.push('');
  L.push('| scenario | conc. | ours | go-templating | no-op | ours / go-templating | ours / no-op |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of scenarios) {
    for (const c of concurrencies) {
      const o = cellOf(r, s, c, 'ours');
      const g = cellOf(r, s, c, 'gotemplating');
      const n = cellOf(r, s, c, 'noop');
      if (o === undefined || g === undefined || n === undefined) continue;
      L.push(
        `| ${s} | ${c} | ${range(o.throughput, (x) => fmt(x))} | ${range(g.throughput, (x) => fmt(x))} | ${range(n.throughput, (x) => fmt(x))} | **${ratio(o.throughput.median, g.throughput.median)}** | **${ratio(o.throughput.median, n.throughput.median)}** |`,
      );
    }
  }
  L.push('');
  L.push('## Latency (ms): p50 / p99, closed loop');
  L.push('');
  L.push('| scenario | conc. | ours p50 | ours p99 | go-templating p50 | go-templating p99 | no-op p50 | no-op p99 |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of scenarios) {
    for (const c of concurrencies) {
      const row = (['ours', 'gotemplating', 'noop'] as const).map((k) => cellOf(r, s, c, k));
      if (row.some((x) => x === undefined)) continue;
      L.push(`| ${s} | ${c} | ${row.map((x) => `${range(x!.p50, fmtMs)} | ${range(x!.p99, fmtMs)}`).join(' | ')} |`);
    }
  }
  L.push('');
  L.push('Server CPU (fraction of its one core, median) and load-generator CPU at the highest concurrency:');
  L.push('');
  L.push('| scenario | ours server | go-templating server | no-op server | load generator (max) |');
  L.push('| --- | ---: | ---: | ---: | ---: |');
  const cmax = concurrencies[concurrencies.length - 1] ?? 1;
  for (const s of scenarios) {
    const row = (['ours', 'gotemplating', 'noop'] as const).map((k) => cellOf(r, s, cmax, k));
    if (row.some((x) => x === undefined)) continue;
    L.push(`| ${s}@${cmax} | ${row.map((x) => fmt(x!.serverCpu.median * 100) + ' %').join(' | ')} | ${fmt(Math.max(...row.map((x) => x!.clientCpu.max)) * 100)} % |`);
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
    L.push('## Latency against request size (steady state + spec.extra, concurrency 1, ms)');
    L.push('');
    L.push('| extra spec data | request bytes | ours p50 | go-templating p50 | no-op p50 | ours p99 | go-templating p99 | no-op p99 |');
    L.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const size of [...new Set(r.sizes.map((x) => x.extraBytes))]) {
      const row = (['ours', 'gotemplating', 'noop'] as const).map((k) => r.sizes.find((x) => x.extraBytes === size && x.competitor === k));
      if (row.some((x) => x === undefined)) continue;
      L.push(
        `| ${kib(size)} | ${kib(row[0]!.requestBytes)} | ${row.map((x) => fmtMs(x!.p50.median)).join(' | ')} | ${row.map((x) => fmtMs(x!.p99.median)).join(' | ')} |`,
      );
    }
    L.push('');
  }
  L.push('## Memory and start-up');
  L.push('');
  L.push('| competitor | RSS idle after start (MB) | peak RSS, whole run (MB) | cold start: spawn → first answer, median (min–max) ms | listening after (ms) |');
  L.push('| --- | ---: | ---: | ---: | ---: |');
  for (const k of ['ours', 'gotemplating', 'noop'] as const) {
    const m = r.rss[k];
    const cs = r.coldStart[k];
    L.push(`| ${LABEL[k]} | ${fmt(m.idle / MB, 1)} | ${fmt(m.peak / MB, 1)} | ${range(cs.total, fmtMs)} | ${fmtMs(cs.listen.median)} |`);
  }
  L.push('');
  L.push('Peak RSS by phase (MB; VmHWM reset at the start of each phase):');
  L.push('');
  const phases = Object.keys(r.rss.ours.peakByPhase);
  L.push(`| competitor | ${phases.join(' | ')} |`);
  L.push(`| --- | ${phases.map(() => '---:').join(' | ')} |`);
  for (const k of ['ours', 'gotemplating', 'noop'] as const) L.push(`| ${LABEL[k]} | ${phases.map((p) => fmt((r.rss[k].peakByPhase[p] ?? Number.NaN) / MB, 1)).join(' | ')} |`);
  L.push('');
  const allocRows = (['ours', 'noop'] as const).filter((k) => r.allocPerRequest[k] !== undefined);
  if (allocRows.length > 0) {
    L.push('Bytes allocated on the JS heap per request (V8 --trace-gc-nvp, sum of `allocated` between two forced GCs / requests):');
    L.push('');
    L.push(`| competitor | ${scenarios.join(' | ')} |`);
    L.push(`| --- | ${scenarios.map(() => '---:').join(' | ')} |`);
    for (const k of allocRows) L.push(`| ${LABEL[k]} | ${scenarios.map((s) => kib(r.allocPerRequest[k]?.[s] ?? Number.NaN)).join(' | ')} |`);
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
    L.push(`${r.fairness.crossplane.replace(/\n/g, '; ')}. Three composed objects identical field for field in every scenario: **${r.fairness.objectsIdentical ? 'yes' : 'no'}**.`);
    L.push('');
    L.push('| scenario | exit codes (ours / go-templating) | objects identical | XR status/conditions differences | result differences |');
    L.push('| --- | --- | --- | --- | --- |');
    for (const s of r.fairness.scenarios) {
      L.push(
        `| ${s.name} | ${s.exitCodes.ours} / ${s.exitCodes.goTemplating} | ${s.objects.length === 0 ? 'none composed' : `${s.objects.filter((o) => o.identical).length} of ${s.objects.length}`} | ${s.xrDiffs.length === 0 ? 'none' : s.xrDiffs.map((d) => `\`${d.path}\``).join(', ')} | ${s.resultDiffs.length === 0 ? 'none' : `${s.resultDiffs.length} (Warnings only ours emits)`} |`,
      );
    }
    const objectDiffs = r.fairness.scenarios.flatMap((s) => s.objectDiffs.map((d) => ({ ...d, scenario: s.name })));
    if (objectDiffs.length > 0) {
      L.push('');
      L.push('Differing object fields:');
      L.push('');
      for (const d of objectDiffs) L.push(`- ${d.scenario}: \`${d.path}\`: ours ${JSON.stringify(d.ours)}, go-templating ${JSON.stringify(d.goTemplating)}`);
    }
    L.push('');
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

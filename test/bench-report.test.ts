import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README_BEGIN, README_END, judgeGoals, withReadmeSummary, type Cell, type Results } from '../bench/report.js';
import { parseOptions } from '../bench/options.js';
import { competitors } from '../bench/servers.js';
import type { CompetitorId } from '../bench/servers.js';
import { spread } from '../bench/stats.js';
import { replayKey } from '../bench/replay.js';
import { Requests } from '../bench/requests.js';
import { decodeRequest } from '../src/grpc/request.js';

// The bench report must say why a goal is missed, from the run's own figures (issue 14).
const cell = (competitor: CompetitorId, scenario: 'first' | 'steady', throughput: number): Cell => {
  const s = spread([throughput]);
  return {
    scenario,
    concurrency: 16,
    competitor,
    reps: [],
    throughput: s,
    p50: s,
    p99: s,
    serverCpu: s,
    clientCpu: s,
    firstError: undefined,
  };
};
const MB = 1e6;

function results(closed: Cell[], rss: Results['rss']): Omit<Results, 'goals'> {
  return {
    date: '2026-12-02T00:00:00Z',
    machine: { nproc: 2, cpuModel: 'x', node: 'v24', kernel: 'k', memoryGiB: 24 },
    config: {
      quick: false,
      reps: 1,
      durationMs: 2000,
      warmupMs: 1000,
      concurrency: [16],
      serverCore: 1,
      clientCore: 0,
      openLoopRate: 1000,
      openLoopDurationMs: 5000,
      openLoopReps: 3,
      coldStartReps: 10,
      sizes: [],
    },
    competitors: ['ours', 'noop', 'replay'],
    versions: {},
    requestBytes: {},
    responseBytes: {},
    closed,
    sizes: [],
    openLoop: [],
    rss,
    coldStart: {},
    allocPerRequest: {},
    fairness: undefined,
    hiccups: {},
    notes: [],
  };
}

describe('bench report: why a goal is missed', () => {
  it("splits ours' extra time per call over the no-op into carrying the response and composing it", () => {
    // Per call: no-op 0.25 ms, replay 0.5 ms, ours 0.75 ms → half carrying, half composing.
    const r = results([cell('ours', 'first', 1333.33), cell('noop', 'first', 4000), cell('replay', 'first', 2000)], {});
    const goal = judgeGoals(r).find((g) => g.goal.startsWith('throughput ≥ 70 % of the no-op'));
    expect(goal?.holds).toBe(false);
    expect(goal?.detail).toContain('fails in 1 of 1: first@16 0.33×');
    expect(goal?.detail).toContain(
      "our edge sending ours' response without composing it (replay) reaches 0.50× of the no-op in those cells (below 0.70× in 1 of 1)",
    );
    expect(goal?.detail).toContain('50 % is carrying the response (replay) and the rest composing it');
  });

  it("names the no-op's own peak RSS as the floor when it is above 80 MB", () => {
    const rss = {
      ours: { idle: 70 * MB, peak: 120 * MB, peakByPhase: { first: 120 * MB, steady: 118 * MB } },
      noop: { idle: 68 * MB, peak: 107 * MB, peakByPhase: { first: 106 * MB, steady: 107 * MB } },
    };
    const goal = judgeGoals(results([cell('ours', 'first', 1000)], rss)).find((g) => g.goal === 'peak RSS ≤ 80 MB');
    expect(goal?.holds).toBe(false);
    expect(goal?.detail).toContain('no-op first 106.0, steady 107.0 (idle 68.0)');
    expect(goal?.detail).toContain('the no-op alone is above 80 MB, so no change to the function reaches it on this stack');
  });
});

describe('bench/replay.ts', () => {
  it('tells the benchmark scenarios apart, so each is answered with its own response', () => {
    const requests = new Requests(process.cwd());
    const keys = (['first', 'steady', 'large', 'pipeline100'] as const).map((s) =>
      replayKey(decodeRequest(requests.build(s, 'tenant').bytes)),
    );
    expect(new Set(keys).size).toBe(4);
  });
});

describe('bench: the README summary and --node-options', () => {
  it("rewrites only the generated block of the README with the run's ratios and goals", () => {
    const base = results([cell('ours', 'first', 1333.33), cell('noop', 'first', 4000), cell('replay', 'first', 2000)], {});
    const r: Results = { ...base, goals: judgeGoals(base) };
    const readme = `# Title\n\nbefore\n${README_BEGIN}\nold figures\n${README_END}\nafter\n`;
    const out = withReadmeSummary(readme, r);
    expect(out.startsWith(`# Title\n\nbefore\n${README_BEGIN}\nMeasured 2026-12-02 by \`npm run bench\``)).toBe(true);
    expect(out).not.toContain('old figures');
    expect(out).toContain('| scenario | ours ÷ no-op | ours ÷ replay |');
    expect(out).toContain('| first reconcile | 0.33× | 0.67× |');
    expect(out).toContain('| throughput ≥ 70 % of the no-op floor | **no** | fails in 1 of 1: first@16 0.33×; why:');
    expect(out.endsWith(`${README_END}\nafter\n`)).toBe(true);
    expect(() => withReadmeSummary('# no markers\n', r)).toThrow(/README.md has no/);
  });

  it("runs the Node servers with --node-options instead of the image's NODE_OPTIONS", () => {
    const o = parseOptions(['--node-options=--max-semi-space-size=16 --single-threaded-gc'], 1, 0);
    expect(o.nodeOptions).toBe('--max-semi-space-size=16 --single-threaded-gc');
    const paths = { root: process.cwd(), goTemplatingBin: '', goSdkBin: '', oursEntry: 'o', noopEntry: 'n', replayEntry: 'r' };
    const flagged = competitors({ ...paths, nodeOptions: o.nodeOptions });
    expect([flagged.ours, flagged.noop, flagged.replay].map((c) => c.env['NODE_OPTIONS'])).toEqual(Array(3).fill(o.nodeOptions));
    const image = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(competitors(paths).ours.env['NODE_OPTIONS']).toBe(image);
    expect(parseOptions([], 1, 0).nodeOptions).toBeUndefined();
  });
});

/**
 * The benchmark's command line (bench/README.md): argv in, one typed Options out, or a usage
 * error naming the argument. Nothing else in bench/ reads argv.
 */
import { COMPETITORS, type CompetitorId } from './servers.js';
import type { RunConfig } from './report.js';
import { SCENARIOS, type ScenarioId } from './requests.js';

const KiB = 1024;

/** What a full run measures; --phases picks some (single cells: --phases=closed). */
export const PHASES = ['closed', 'sizes', 'open', 'cold', 'alloc'] as const;
export type Phase = (typeof PHASES)[number];

export type Mode = 'benchmark' | 'profile' | 'write-composition' | 'rerender' | 'help';

export interface Options {
  readonly mode: Mode;
  readonly config: RunConfig;
  /** Where results.{json,md} and scaling.svg go (relative to the repository root unless absolute). */
  readonly out: string | undefined;
  readonly skipFairness: boolean;
  readonly competitors: readonly CompetitorId[];
  readonly scenarios: readonly ScenarioId[];
  readonly phases: readonly Phase[];
  /** Longest wait for a quiet machine before a cell, seconds (--max-wait; a smoke run on a busy machine may say 0). */
  readonly maxWaitSeconds: number;
  /** Profile mode: seconds of load per scenario. */
  readonly profileSeconds: number;
  /**
   * NODE_OPTIONS for the Node servers instead of the image's (--node-options; to measure a flag's
   * cost in memory, throughput and tail latency; such a run is partial).
   */
  readonly nodeOptions: string | undefined;
}

export class UsageError extends Error {}

const KNOWN = [
  'quick',
  'profile',
  'write-composition',
  'rerender',
  'skip-fairness',
  'out',
  'reps',
  'duration',
  'warmup',
  'help',
  'competitors',
  'scenarios',
  'concurrency',
  'phases',
  'max-wait',
  'node-options',
];

export function parseOptions(argv: readonly string[], serverCore: number, clientCore: number): Options {
  for (const a of argv) {
    const name = a.replace(/^--/, '').replace(/=.*$/, '');
    if (!a.startsWith('--') || !KNOWN.includes(name)) throw new UsageError(`unknown argument ${a}`);
  }
  const flag = (name: string): boolean => argv.includes(`--${name}`);
  const option = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const num = (name: string, fallback: number): number => {
    const v = option(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name}=${v} is not a positive number`);
    return n;
  };
  const list = <T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] => {
    const v = option(name);
    if (v === undefined) return [...fallback];
    const items = v.split(',').filter((x) => x !== '');
    for (const x of items)
      if (!(allowed as readonly string[]).includes(x))
        throw new UsageError(`--${name}=${v}: ${JSON.stringify(x)} is not one of ${allowed.join(', ')}`);
    if (items.length === 0) throw new UsageError(`--${name}= is empty`);
    return allowed.filter((x) => items.includes(x));
  };

  const quick = flag('quick');
  const mode: Mode = flag('help')
    ? 'help'
    : flag('write-composition')
      ? 'write-composition'
      : flag('rerender')
        ? 'rerender'
        : flag('profile')
          ? 'profile'
          : 'benchmark';
  const concurrencyOption = option('concurrency');
  const concurrency =
    concurrencyOption === undefined
      ? quick
        ? [1, 16]
        : [1, 16, 64]
      : concurrencyOption.split(',').map((c) => {
          const n = Number(c);
          if (!Number.isSafeInteger(n) || n < 1 || n > 1024)
            throw new UsageError(`--concurrency=${concurrencyOption}: ${JSON.stringify(c)} is not an integer from 1 to 1024`);
          return n;
        });
  // Ours is what every ratio is about: always measured.
  const competitors = list('competitors', COMPETITORS, COMPETITORS);
  if (!competitors.includes('ours')) competitors.unshift('ours');
  return {
    mode,
    config: {
      quick,
      reps: num('reps', quick ? 1 : 5),
      durationMs: num('duration', quick ? 0.5 : 2) * 1000,
      warmupMs: num('warmup', quick ? 0.3 : 1) * 1000,
      concurrency,
      serverCore,
      clientCore,
      openLoopRate: 1000,
      openLoopDurationMs: quick ? 700 : 5000,
      openLoopReps: quick ? 1 : 3,
      coldStartReps: quick ? 2 : 10,
      sizes: quick ? [0, 1024 * KiB] : [0, 16 * KiB, 64 * KiB, 256 * KiB, 1024 * KiB],
    },
    out: option('out'),
    skipFairness: flag('skip-fairness'),
    competitors,
    scenarios: list('scenarios', SCENARIOS, SCENARIOS),
    phases: list('phases', PHASES, PHASES),
    maxWaitSeconds: option('max-wait') === '0' ? 0 : num('max-wait', 180),
    profileSeconds: num('duration', quick ? 2 : 10),
    nodeOptions: option('node-options'),
  };
}

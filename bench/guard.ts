/**
 * Measuring on a shared machine: wait until both cores are quiet before a cell, measure what
 * other processes took from the server core during each window (and measure it again when that
 * was too much), and probe the server core's scheduling stalls. The state (our own pids per
 * core, the time waited, the windows measured again) lives in one Guard per run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Hiccups } from './hiccup.js';
import type { Window } from './loadgen.js';
import { coreBusySeconds, cpuSeconds } from './servers.js';

/** A core counts as quiet when busy less than this while our servers and load generator idle. */
export const QUIET_BUSY = 0.1;
/** A window is measured again when other processes took more than this of the server core. */
export const FOREIGN_LIMIT = 0.1;
const MAX_RETRIES = 2;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const safeCpu = (pid: number): number => {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0; // gone
  }
};

export interface Guarded<W extends Window> {
  readonly window: W;
  /** The server's CPU time over the window (until the last call returned), fraction of its core. */
  readonly serverCpu: number;
  /** CPU other processes took on the server core meanwhile, fraction of the core. */
  readonly foreignCpu: number;
}

export class Guard {
  /** Seconds waited in all for other processes to quiet down. */
  waitedSeconds = 0;
  /** Windows measured again because others took too much of the server core. */
  readonly retried: string[] = [];
  /** Our processes on each core (servers on the server core; load generator and this one on the other). */
  private readonly ours: Record<number, Set<number>>;

  constructor(
    private readonly root: string,
    readonly serverCore: number,
    readonly clientCore: number,
    private readonly log: (msg: string) => void,
    /** How long to wait for quiet at most, each time (--max-wait; 180 s by default). */
    private readonly maxWaitSeconds: number,
  ) {
    this.ours = { [serverCore]: new Set(), [clientCore]: new Set([process.pid]) };
  }

  /** Counts `pid`'s CPU as ours, not as another process's, on `core`. */
  own(core: number, pid: number): void {
    (this.ours[core] ??= new Set()).add(pid);
  }

  private ownCpu(core: number): number {
    return [...(this.ours[core] ?? [])].reduce((a, pid) => a + safeCpu(pid), 0);
  }

  /**
   * Waits until no other process is busy on either core (up to maxWaitSeconds), and until our
   * own idle servers have settled (a V8 or Go collection after the last window; up to 10 s).
   */
  async waitForQuiet(why: string): Promise<void> {
    const start = Date.now();
    const cores = [this.clientCore, this.serverCore];
    let saidForeign = false;
    let foreignWait = 0;
    for (;;) {
      const busy0 = cores.map(coreBusySeconds);
      const own0 = cores.map((c) => this.ownCpu(c));
      await sleep(500);
      const busy = cores.map((c, i) => (coreBusySeconds(c) - (busy0[i] ?? 0)) / 0.5);
      const own = cores.map((c, i) => (this.ownCpu(c) - (own0[i] ?? 0)) / 0.5);
      const foreign = busy.map((b, i) => Math.max(0, b - (own[i] ?? 0)));
      const foreignBusy = foreign.some((f) => f >= QUIET_BUSY);
      const ownBusy = own.some((o, i) => o >= QUIET_BUSY && cores[i] === this.serverCore);
      if (!foreignBusy && !ownBusy) break;
      const waited = (Date.now() - start) / 1000;
      if (foreignBusy) {
        foreignWait += 2;
        if (!saidForeign) {
          this.log(
            `  ${why}: other processes are busy (core 0 ${(100 * (foreign[0] ?? 0)).toFixed(0)} %, core 1 ${(100 * (foreign[1] ?? 0)).toFixed(0)} %); waiting for quiet`,
          );
          saidForeign = true;
        }
      } else if (waited > Math.min(10, this.maxWaitSeconds)) break; // our own servers still busy: measure anyway
      if (waited > this.maxWaitSeconds) {
        this.log(`  still busy after ${this.maxWaitSeconds} s: measuring anyway`);
        break;
      }
      await sleep(1500);
    }
    this.waitedSeconds += foreignWait;
  }

  /**
   * One measured window, with the server's CPU and what else ran on its core; measured again
   * (after waiting for quiet) when another process took more than FOREIGN_LIMIT of the core.
   */
  async guarded<W extends Window>(pid: number, what: string, run: () => Promise<W>): Promise<Guarded<W>> {
    for (let attempt = 0; ; attempt++) {
      const cpu0 = cpuSeconds(pid);
      const busy0 = coreBusySeconds(this.serverCore);
      const window = await run();
      const cpu1 = cpuSeconds(pid);
      const busy1 = coreBusySeconds(this.serverCore);
      // Loopback networking's softirq time also lands here: a few per cent at most.
      const foreignCpu = Math.max(0, (busy1 - busy0 - (cpu1 - cpu0)) / window.elapsedSeconds);
      const result = { window, serverCpu: (cpu1 - cpu0) / window.elapsedSeconds, foreignCpu };
      if (foreignCpu <= FOREIGN_LIMIT || attempt >= MAX_RETRIES) return result;
      this.retried.push(what);
      this.log(`  ${what}: others took ${(foreignCpu * 100).toFixed(0)} % of the server core; measuring again`);
      await this.waitForQuiet(what);
    }
  }

  /** Scheduling stalls on the server core while nothing of ours runs (bench/hiccup.ts). */
  hiccupProbe(seconds: number): Hiccups {
    const r = spawnSync(
      'taskset',
      ['-c', String(this.serverCore), process.execPath, join(this.root, 'dist/bench/hiccup.js'), String(seconds)],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`hiccup probe failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Hiccups;
  }
}

export function describeHiccups(h: Hiccups): string {
  return `${(h.stalledFraction * 100).toFixed(2)} % of ${h.seconds} s stalled, ${h.over1ms} gaps > 1 ms, ${h.over5ms} > 5 ms, longest ${h.maxGapMs.toFixed(1)} ms`;
}

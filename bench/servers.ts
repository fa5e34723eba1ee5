/**
 * The competitors as processes: spawned on 127.0.0.1 with `taskset -c <core>` (the load generator
 * stays on the other core), their readiness, peak RSS and CPU time from /proc, and stopping them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import type { InputKind } from './requests.js';

export const COMPETITORS = ['ours', 'gosdk', 'gotemplating', 'noop', 'replay'] as const;
export type CompetitorId = (typeof COMPETITORS)[number];

export interface Competitor {
  readonly id: CompetitorId;
  readonly label: string;
  readonly input: InputKind;
  /** Program and arguments, without the address. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Node servers only: extra node flags go before the script. */
  readonly node: boolean;
}

export interface Paths {
  readonly root: string;
  readonly goTemplatingBin: string;
  /** The Go SDK peer (bench/gosdk/, built by scripts/install-bench-tools.sh). */
  readonly goSdkBin: string;
  /** What ships: dist/function.mjs (the esbuild bundle), else dist/src/main.js. */
  readonly oursEntry: string;
  /** bench/noop.ts bundled the same way, else dist/bench/noop.js. */
  readonly noopEntry: string;
  /** bench/replay.ts bundled the same way, else dist/bench/replay.js. */
  readonly replayEntry: string;
  /** NODE_OPTIONS for the Node servers when not the image's (bench --node-options). */
  readonly nodeOptions?: string | undefined;
}

/**
 * NODE_OPTIONS as the image sets them (the Dockerfile's `ENV NODE_OPTIONS=...`), so that ours and
 * the no-op run with the heap flags that ship and the peak RSS measured is the one a pod sees.
 */
export function imageNodeOptions(root: string): string {
  const m = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  if (m?.[1] === undefined) throw new Error('Dockerfile: no ENV NODE_OPTIONS="..." line');
  return m[1];
}

export function competitors(paths: Paths): Record<CompetitorId, Competitor> {
  // As the Dockerfile runs it (unless a run measures other flags).
  const nodeEnv = { NODE_ENV: 'production', NODE_OPTIONS: paths.nodeOptions ?? imageNodeOptions(paths.root) };
  return {
    ours: {
      id: 'ours',
      label: 'function-plana-tenant',
      input: 'tenant',
      command: process.execPath,
      args: [paths.oursEntry, '--insecure'],
      env: nodeEnv,
      node: true,
    },
    gosdk: {
      id: 'gosdk',
      label: 'Go SDK peer (bench/gosdk)',
      // Same Input as ours: it reads the same pipeline step.
      input: 'tenant',
      command: paths.goSdkBin,
      args: ['--insecure'],
      env: {},
      node: false,
    },
    gotemplating: {
      id: 'gotemplating',
      label: 'function-go-templating',
      input: 'go-templating',
      command: paths.goTemplatingBin,
      args: ['--insecure'],
      env: {},
      node: false,
    },
    noop: {
      id: 'noop',
      label: 'no-op (same Node stack)',
      input: 'tenant',
      command: process.execPath,
      args: [paths.noopEntry, '--insecure'],
      env: nodeEnv,
      node: true,
    },
    replay: {
      id: 'replay',
      label: "replay (diagnostic: our edge sending ours' response without composing)",
      input: 'tenant',
      command: process.execPath,
      args: [paths.replayEntry, '--insecure'],
      env: nodeEnv,
      node: true,
    },
  };
}

/** A free TCP port on 127.0.0.1 (closed again before use; fine on a quiet machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Running {
  readonly competitor: Competitor;
  readonly pid: number;
  readonly port: number;
  readonly target: string;
  readonly child: ChildProcess;
  /** hrtime (ns) just before spawn. */
  readonly spawnedAt: bigint;
}

export interface StartOptions {
  readonly core: number;
  readonly logFile: string;
  /** Extra node flags (profiling, allocation tracing); ignored for the Go server. */
  readonly nodeFlags?: readonly string[];
  /** Keep stdout as a pipe (allocation tracing reads it); stderr still goes to the log. */
  readonly pipeStdout?: boolean;
}

export async function start(competitor: Competitor, options: StartOptions): Promise<Running> {
  const port = await freePort();
  const log = openSync(options.logFile, 'a');
  const args = [
    '-c',
    String(options.core),
    competitor.command,
    ...(competitor.node ? (options.nodeFlags ?? []) : []),
    ...competitor.args,
    `--address=127.0.0.1:${port}`,
  ];
  const spawnedAt = process.hrtime.bigint();
  // taskset execs the program: the child's pid is the server's.
  const child = spawn('taskset', args, {
    stdio: ['ignore', options.pipeStdout === true ? 'pipe' : log, log],
    env: { ...process.env, ...competitor.env },
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${competitor.id}: could not spawn ${competitor.command}`);
  return { competitor, pid: child.pid, port, target: `127.0.0.1:${port}`, child, spawnedAt };
}

/** Resolves once the port accepts TCP connections; rejects if the process exits first. */
export async function waitForPort(running: Running, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      const code = running.child.exitCode ?? running.child.signalCode;
      // Node exits 9 on an option it refuses, e.g. a V8 flag NODE_OPTIONS does not allow.
      const hint =
        code === 9 && running.competitor.node
          ? `: Node refused an option (NODE_OPTIONS "${running.competitor.env['NODE_OPTIONS'] ?? ''}")`
          : '';
      throw new Error(`${running.competitor.id} exited (${code}) before listening${hint}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(running.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${running.competitor.id} did not listen on ${running.target} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function stop(running: Running, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
  running.child.kill(signal);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

function statusField(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m === null ? Number.NaN : Number(m[1]) * 1024;
}

/** Peak resident set size (VmHWM) in bytes since start or the last {@link resetPeakRss}. */
export const peakRss = (pid: number): number => statusField(pid, 'VmHWM');
export const currentRss = (pid: number): number => statusField(pid, 'VmRSS');

/** proc(5), clear_refs: writing 5 resets the peak RSS to the current RSS (Linux ≥ 4.0, root). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const CLOCK_TICKS = 100; // getconf CLK_TCK on Linux/x86-64

/** User plus system CPU time of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy time of one core since boot, in seconds (/proc/stat: everything but idle and iowait). */
export function coreBusySeconds(core: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  if (line === undefined) return Number.NaN;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS;
}

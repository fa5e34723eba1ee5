/**
 * What the run is measured on and with: the tool binaries (from .cache/tools/*env.sh or the
 * environment), the machine, the commit and whether dist/ is current, the versions reported,
 * and the no-op bundled like dist/function.mjs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { Machine } from './report.js';

function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (m !== null) out[m[1] as string] = (m[2] as string).replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/** A tool's path: the environment first, then the env files the installers write. */
export function toolLookup(root: string): (name: string) => string | undefined {
  const env = { ...readEnvFile(join(root, '.cache/tools/env.sh')), ...readEnvFile(join(root, '.cache/tools/bench-env.sh')) };
  return (name) => process.env[name] ?? env[name];
}

/** Call before pinning this process: nproc counts the CPUs it may use. */
export function machine(): Machine {
  const lscpu = spawnSync('lscpu', { encoding: 'utf8' }).stdout ?? '';
  const model = /^Model name:\s+(.*)$/m.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const nproc = Number(spawnSync('nproc', { encoding: 'utf8' }).stdout.trim());
  return { nproc, cpuModel: model, node: process.version, kernel: release(), memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

/** Runs this process (and the load generator it starts) on `core`. */
export function pinSelf(core: number): void {
  const r = spawnSync('taskset', ['-pc', String(core), String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -pc ${core} ${process.pid} failed: ${r.stderr}`);
  // Worker threads (libuv pool) inherit the affinity of the thread that creates them; grpc-js
  // and the load generator run on the main thread.
}

export const packageVersion = (root: string): string =>
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

export const depVersion = (root: string, name: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

export function gitDescribe(root: string): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).stdout.trim() !== '';
  return `${head}${dirty ? ' + uncommitted src changes' : ''}`;
}

export interface SourceState {
  readonly describe: string;
  readonly warnings: readonly string[];
}

/** The commit measured, whether src/ had uncommitted changes, whether dist/ is older than src/. */
export function sourceState(root: string): SourceState {
  const warnings: string[] = [];
  let newest = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  for (const built of ['dist/function.mjs', 'dist/src/main.js']) {
    const f = join(root, built);
    if (existsSync(f) && statSync(f).mtimeMs < newest)
      warnings.push(`${built} is older than src/: run npm run build (the figures are for an older build)`);
  }
  return { describe: gitDescribe(root), warnings };
}

/** The SOURCE file the installer leaves beside a Go binary, else its path. */
export function goBinaryVersion(bin: string): string {
  const source = join(dirname(bin), 'SOURCE');
  return existsSync(source) ? readFileSync(source, 'utf8').trim().replace(/\n/g, ', ') : bin;
}

/** bench/noop.ts or bench/replay.ts bundled like dist/function.mjs (scripts/bundle.mjs), so they load alike. */
export async function bundleBench(root: string, name: 'noop' | 'replay', out: string, log: (msg: string) => void): Promise<string> {
  try {
    const esbuild = await import('esbuild');
    await esbuild.build({
      entryPoints: [join(root, `bench/${name}.ts`)],
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
    log(`cannot bundle bench/${name}.ts (${String(err)}): using dist/bench/${name}.js`);
    return join(root, `dist/bench/${name}.js`);
  }
}

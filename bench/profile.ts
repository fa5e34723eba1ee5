/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and says where the time went: self
 * time per function, inclusive time per function (each sample counted once per function on its
 * stack), and exclusive categories that answer "what dominates" for this function (request
 * decode, response encode, each part of our composition logic, logging, gRPC and HTTP/2, GC).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FrameTime {
  readonly frame: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Time not idle (everything except "(idle)"). */
  readonly busyMs: number;
  readonly topSelf: readonly FrameTime[];
  readonly topInclusive: readonly FrameTime[];
  /** Exclusive categories of busy time: they add up to 100 %. */
  readonly categories: readonly FrameTime[];
  /** Inclusive time of a few named functions. */
  readonly inclusive: readonly FrameTime[];
}

/** A short, stable name for a frame: function, then file:line within node_modules or dist. */
export function frameName(cf: CallFrame): string {
  const fn = cf.functionName === '' ? '(anonymous)' : cf.functionName;
  if (cf.url === '') return fn;
  const short = cf.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/dist\//, 'dist/')
    .replace(/^node:/, 'node:');
  return `${fn} ${short}:${cf.lineNumber + 1}`;
}

/**
 * Exclusive categories: every busy sample lands in exactly one, so they add up to 100 %. A
 * sample belongs to the request decode or the response encode when those are on its stack;
 * otherwise to our composition logic when runFunction is (split by the nearest of our
 * functions below it, so JSON.stringify or sha256 count for their caller); otherwise to the
 * nearest library frame.
 */
const OUR_PARTS = [
  'resolve',
  'buildFilestoreJob',
  'buildBackup',
  'buildRoute',
  'parseInput',
  'parseTenant',
  'routeVerdict',
  'jobVerdict',
  'cronJobVerdict',
  'backupHealth',
  'status',
  'withStatus',
  'composed',
  'warnings',
] as const;

// Our own request decoder (src/grpc/request.ts decodeRequest, grpc-js's requestDeserialize), or
// the generated one of older builds.
const isRequestDecode = (cf: CallFrame): boolean =>
  cf.functionName === 'requestDeserialize' || (cf.functionName === 'decodeRequest' && /dist\/src\/grpc\/request\.js$/.test(cf.url));
// Our own response encoder (src/grpc/wire.ts encodeResponse, called by the error boundary in
// src/grpc/server.ts).
const isResponseEncode = (cf: CallFrame): boolean => cf.functionName === 'encodeResponse' && /dist\/src\/grpc\/wire\.js$/.test(cf.url);
const isRunFunction = (cf: CallFrame): boolean => cf.functionName === 'runFunction' && /dist\/src\/fn\.js$/.test(cf.url);
const isOurs = (cf: CallFrame): boolean => /\/dist\/src\//.test(cf.url);

/** The exclusive category of one sample, its stack leaf first. */
export function category(stack: readonly CallFrame[]): string {
  const leaf = stack[0];
  if (leaf === undefined) return 'other';
  if (leaf.functionName === '(garbage collector)') return 'garbage collector';
  if (leaf.functionName === '(program)') return '(program): V8 and native work not attributed to a JS function';
  if (stack.some(isRequestDecode)) {
    if (/dist\/src\/grpc\/request\.js$/.test(leaf.url)) return 'request decode: src/grpc/request.ts (our decoder)';
    return 'request decode: Buffer, UTF-8 and other natives it calls';
  }
  if (stack.some(isResponseEncode)) {
    if (/dist\/src\/grpc\/wire\.js$/.test(leaf.url)) return 'response encode: src/grpc/wire.ts (our encoder)';
    return 'response encode: Buffer and other natives it calls';
  }
  if (stack.some(isRunFunction)) {
    const part = stack.find((cf) => isOurs(cf) && (OUR_PARTS as readonly string[]).includes(cf.functionName));
    return `runFunction: ${part === undefined ? 'runFunction itself (spreads, conflict check, TTL)' : part.functionName}`;
  }
  for (const cf of stack) {
    if (cf.url.includes('/node_modules/pino')) return 'logging (pino)';
    if (cf.url.includes('/node_modules/@grpc/grpc-js/')) return 'grpc-js (server, call handling, framing)';
    if (/^node:internal\/(http2|stream_base_commons|streams)|^node:net/.test(cf.url)) return 'Node HTTP/2, streams and sockets';
    if (isOurs(cf)) return 'ours outside runFunction (server edge, start-up)';
  }
  return 'other (microtask queue, timers, natives)';
}

/** Inclusive figures for a few functions, to relate the categories to the code. */
const INCLUSIVE: ReadonlyArray<readonly [string, (cf: CallFrame) => boolean]> = [
  ['RunFunctionRequest decode (src/grpc/request.ts decodeRequest)', isRequestDecode],
  ['RunFunctionResponse encode (src/grpc/wire.ts encodeResponse)', isResponseEncode],
  ['runFunction', isRunFunction],
  ['parseInput (its JSON.stringify cache key is inlined into it)', (cf) => cf.functionName === 'parseInput'],
  ['buildFilestoreJob (JSON.stringify and sha256 of the Job spec inlined into it)', (cf) => cf.functionName === 'buildFilestoreJob'],
];

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const categories = new Map<string, number>();
  const inclusiveNamed = new Array<number>(INCLUSIVE.length).fill(0);
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000; // µs → ms
    total += dt;
    const leaf = byId.get(id);
    if (leaf === undefined) return;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const leafName = frameName(leaf.callFrame);
    self.set(leafName, (self.get(leafName) ?? 0) + dt);
    const seen = new Set<string>();
    const stack: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node === undefined) break;
      stack.push(node.callFrame);
      const name = frameName(node.callFrame);
      if (!seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
      }
    }
    const cat = category(stack);
    categories.set(cat, (categories.get(cat) ?? 0) + dt);
    INCLUSIVE.forEach(([, match], i) => {
      if (stack.some(match)) inclusiveNamed[i] = (inclusiveNamed[i] ?? 0) + dt;
    });
  });
  const busy = total - idle;
  const rank = (m: Map<string, number>): FrameTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, ms]) => ({ frame, ms, percent: (100 * ms) / busy }));
  return {
    totalMs: total,
    busyMs: busy,
    topSelf: rank(self),
    topInclusive: rank(new Map([...inclusive.entries()].filter(([name]) => !name.startsWith('(root)')))),
    categories: [...categories.entries()].sort((a, b) => b[1] - a[1]).map(([frame, ms]) => ({ frame, ms, percent: (100 * ms) / busy })),
    inclusive: INCLUSIVE.map(([frame], i) => ({ frame, ms: inclusiveNamed[i] ?? 0, percent: (100 * (inclusiveNamed[i] ?? 0)) / busy })),
  };
}

/**
 * The benchmark (issues 5 and 14): function-plana-tenant against the same function written by
 * hand in Go on function-sdk-go (bench/gosdk), against function-go-templating doing the same
 * work, and against a no-op on our own Node stack. Not a test: a command that measures and
 * writes bench/results/{results.json,results.md,scaling.svg} and the README's Benchmarks summary.
 * See bench/README.md.
 *
 *   node dist/bench/run.js                 full run (about 20 minutes)
 *   node dist/bench/run.js --quick         smoke run (about a minute; writes .cache/bench/quick/)
 *   node dist/bench/run.js --profile       CPU profiles of ours under load → profile.md
 *   node dist/bench/run.js --write-composition   regenerate bench/go-templating-composition.yaml
 *   node dist/bench/run.js --rerender      results.md, scaling.svg, the goals and the README summary again from results.json
 *
 * Options: --out=DIR, --reps=N, --duration=SECONDS, --warmup=SECONDS, --skip-fairness,
 * --competitors=ours,gosdk,... --scenarios=first,steady,... --concurrency=1,16,64
 * --phases=closed,sizes,open,cold,alloc (single cells: e.g. --phases=closed --scenarios=steady
 * --concurrency=16 --competitors=ours,gosdk; such a run writes to .cache/bench/partial/),
 * --max-wait=SECONDS (longest wait for a quiet machine before a cell; 180 by default),
 * --node-options="..." (NODE_OPTIONS for ours, the no-op and the replay instead of the image's:
 * what a heap flag costs; a partial run).
 * Expects `npm run build && npm run bench:build`, scripts/install-bench-tools.sh and (for the
 * fairness check) scripts/install-tools.sh crossplane core to have run.
 *
 * The phases live in bench/phases.ts, the shared-machine guard in bench/guard.ts, the command
 * line in bench/options.ts; this file only runs them in order and writes the results.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBench, depVersion, goBinaryVersion, machine, packageVersion, pinSelf, sourceState, toolLookup } from './environment.js';
import { GO_TEMPLATING_COMPOSITION, goTemplatingComposition, type FairnessReport } from './fairness.js';
import { FOREIGN_LIMIT, Guard, QUIET_BUSY, describeHiccups } from './guard.js';
import type { Hiccups } from './hiccup.js';
import { LoadGen } from './loadgen.js';
import { PHASES, UsageError, parseOptions, type Options } from './options.js';
import {
  Servers,
  allocation,
  closedLoop,
  coldStarts,
  fairnessPhase,
  openLoop,
  prepareRequests,
  sizeSweep,
  type RunContext,
} from './phases.js';
import { profileMode } from './profile-mode.js';
import { judgeGoals, renderMarkdown, withReadmeSummary, type Cell, type OpenLoopResult, type Results, type SizePoint } from './report.js';
import { Requests, SCENARIOS, type ScenarioId } from './requests.js';
import { scalingChart } from './scaling-chart.js';
import { COMPETITORS, competitors, type CompetitorId } from './servers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER_CORE = 1;
const CLIENT_CORE = 0;

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

function outDirOf(o: Options): string {
  if (o.out !== undefined) return resolve(root, o.out);
  if (o.config.quick) return resolve(root, '.cache/bench/quick');
  // A run of some cells only must not replace the committed full results.
  const partial =
    o.nodeOptions !== undefined ||
    o.phases.length < PHASES.length ||
    o.scenarios.length < SCENARIOS.length ||
    o.competitors.length < COMPETITORS.length ||
    o.config.concurrency.join() !== '1,16,64';
  return resolve(root, partial ? '.cache/bench/partial' : 'bench/results');
}

function writeResults(outDir: string, results: Results): void {
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'results.md'), renderMarkdown(results));
  writeFileSync(join(outDir, 'scaling.svg'), scalingChart(results));
  // Only the committed full run speaks for the README (its Benchmarks figures).
  if (outDir === resolve(root, 'bench/results')) {
    const readme = join(root, 'README.md');
    writeFileSync(readme, withReadmeSummary(readFileSync(readme, 'utf8'), results));
    log('rewrote the Benchmarks summary in README.md');
  }
}

async function main(argv: readonly string[]): Promise<void> {
  let o: Options;
  try {
    o = parseOptions(argv, SERVER_CORE, CLIENT_CORE);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(2);
  }
  const outDir = outDirOf(o);
  switch (o.mode) {
    case 'help':
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] ?? '');
      return;
    case 'write-composition':
      writeFileSync(join(root, GO_TEMPLATING_COMPOSITION), goTemplatingComposition(root));
      log(`wrote ${GO_TEMPLATING_COMPOSITION}`);
      return;
    case 'rerender': {
      // The markdown, the chart and the goals again from results.json (after a report change).
      const saved = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as Results;
      const { goals: _old, ...rest } = saved;
      void _old;
      writeResults(outDir, { ...rest, goals: judgeGoals(rest) });
      log(`rewrote ${join(outDir, 'results.md')} and scaling.svg from results.json`);
      return;
    }
    case 'profile':
    case 'benchmark':
      await measure(o, outDir);
  }
}

async function measure(o: Options, outDir: string): Promise<void> {
  const tool = toolLookup(root);
  const bin = (name: string, what: string): string => {
    const b = tool(name);
    if (b === undefined || !existsSync(b)) throw new Error(`${what} is not built: run scripts/install-bench-tools.sh`);
    return b;
  };
  const ids = o.mode === 'profile' ? (['ours'] as CompetitorId[]) : [...o.competitors];
  const goTemplatingBin = ids.includes('gotemplating') ? bin('FUNCTION_GO_TEMPLATING_BIN', 'function-go-templating') : '';
  const goSdkBin = ids.includes('gosdk') ? bin('BENCH_GOSDK_BIN', 'the Go SDK peer (bench/gosdk)') : '';
  const loadgenBin = bin('BENCH_LOADGEN_BIN', 'the load generator');
  for (const f of ['dist/src/main.js', 'dist/bench/noop.js', 'dist/bench/replay.js', 'dist/bench/hiccup.js']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} missing: run npm run build && npm run bench:build`);
  }
  const work = join(root, '.cache/bench');
  mkdirSync(join(work, 'logs'), { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const machineInfo = machine(); // before pinning: nproc counts the CPUs this process may use
  pinSelf(CLIENT_CORE);
  const source = sourceState(root);
  for (const w of source.warnings) log(`warning: ${w}`);

  const oursEntry = existsSync(join(root, 'dist/function.mjs')) ? join(root, 'dist/function.mjs') : join(root, 'dist/src/main.js');
  const noopEntry = ids.includes('noop') ? await bundleBench(root, 'noop', join(work, 'noop.mjs'), log) : '';
  const replayEntry = ids.includes('replay') ? await bundleBench(root, 'replay', join(work, 'replay.mjs'), log) : '';
  const all = competitors({ root, goTemplatingBin, goSdkBin, oursEntry, noopEntry, replayEntry, nodeOptions: o.nodeOptions });
  log(`ours: ${oursEntry.replace(`${root}/`, '')}; competitors: ${ids.join(', ')}`);
  const lg = new LoadGen(loadgenBin, CLIENT_CORE);
  const guard = new Guard(root, SERVER_CORE, CLIENT_CORE, log, o.maxWaitSeconds);
  guard.own(CLIENT_CORE, lg.pid);
  const ctx: RunContext = {
    root,
    config: o.config,
    guard,
    lg,
    log,
    work,
    requests: new Requests(root),
    ids,
    scenarios: o.scenarios,
    all,
    notes: [...source.warnings],
  };
  try {
    if (o.mode === 'profile') await profileMode(ctx, o.profileSeconds, outDir);
    else await benchmark(ctx, o, outDir, tool, machineInfo, source.describe, { goTemplatingBin, goSdkBin });
  } finally {
    await lg.stop();
  }
}

async function benchmark(
  ctx: RunContext,
  o: Options,
  outDir: string,
  tool: (name: string) => string | undefined,
  machineInfo: Results['machine'],
  describe: string,
  bins: { goTemplatingBin: string; goSdkBin: string },
): Promise<void> {
  const t0 = Date.now();
  const { config, guard, notes } = ctx;
  const runs = (p: Options['phases'][number]): boolean => o.phases.includes(p);
  const hiccups: Record<string, Hiccups> = {};
  await guard.waitForQuiet('start');
  hiccups['before'] = guard.hiccupProbe(config.quick ? 1 : 3);
  log(`machine steadiness on core ${SERVER_CORE}: ${describeHiccups(hiccups['before'])}`);

  // Fairness first: a competitor that does not produce our objects makes the rest moot.
  let fairness: FairnessReport | undefined;
  const crossplaneBin = tool('CROSSPLANE_BIN');
  const crossplaneCoreBin = tool('CROSSPLANE_CORE_BIN');
  if (o.skipFairness) notes.push('Fairness check skipped (--skip-fairness).');
  else if (ctx.ids.length === 1 || (ctx.ids.length === 2 && ctx.ids.includes('noop')))
    notes.push('Fairness check not run: no competitor that composes.');
  else if (crossplaneBin === undefined || crossplaneCoreBin === undefined || !existsSync(crossplaneBin) || !existsSync(crossplaneCoreBin)) {
    notes.push('Fairness check skipped: the Crossplane CLI and core are not built (scripts/install-tools.sh crossplane core).');
  } else fairness = await fairnessPhase(ctx, { crossplaneBin, crossplaneCoreBin });

  const { bytes, files } = prepareRequests(ctx);
  const firstScenario = ctx.scenarios.includes('first') ? 'first' : (ctx.scenarios[0] ?? 'first');
  let closed: Cell[] = [];
  let responseBytes: Results['responseBytes'] = {};
  let sizes: SizePoint[] = [];
  let open: OpenLoopResult[] = [];
  const servers = await Servers.start(ctx, bytes[firstScenario]);
  try {
    if (runs('closed')) ({ cells: closed, responseBytes } = await closedLoop(ctx, servers, bytes, files));
    if (runs('sizes')) sizes = await sizeSweep(ctx, servers);
    if (runs('open')) open = await openLoop(ctx, servers, files, closed);
  } finally {
    await servers.stop();
  }
  const rss: Results['rss'] = Object.fromEntries(
    ctx.ids.map((id) => {
      const byPhase = servers.peakByPhase[id] ?? {};
      return [id, { idle: servers.idleRss[id] ?? Number.NaN, peak: Math.max(...Object.values(byPhase)), peakByPhase: byPhase }];
    }),
  );

  await guard.waitForQuiet('after load');
  hiccups['after load'] = guard.hiccupProbe(config.quick ? 1 : 3);
  log(`machine steadiness on core ${SERVER_CORE}: ${describeHiccups(hiccups['after load'])}`);

  const coldStart = runs('cold') ? await coldStarts(ctx, bytes[firstScenario]) : {};
  const allocPerRequest: Partial<Record<CompetitorId, Partial<Record<ScenarioId, number>>>> = {};
  if (runs('alloc')) for (const id of ctx.ids.filter((x) => ctx.all[x].node)) allocPerRequest[id] = await allocation(ctx, id, bytes);

  addNotes(ctx, closed);
  const root = ctx.root;
  const versionOf: Record<CompetitorId, () => string> = {
    ours: () =>
      `function-plana-tenant ${packageVersion(root)} (${describe}; ${ctx.all.ours.args[0]?.replace(`${root}/`, '')}), Node ${process.version} with ${o.nodeOptions === undefined ? "the image's" : "the --node-options (not the image's)"} NODE_OPTIONS "${ctx.all.ours.env['NODE_OPTIONS'] ?? ''}", @grpc/grpc-js ${depVersion(root, '@grpc/grpc-js')}, SDK ${depVersion(root, '@crossplane-org/function-sdk-typescript')}`,
    gosdk: () => goBinaryVersion(bins.goSdkBin),
    gotemplating: () => goBinaryVersion(bins.goTemplatingBin),
    noop: () =>
      `bench/noop.ts on our gRPC edge (${ctx.all.noop.args[0]?.replace(`${root}/`, '')}), Node ${process.version}, the same NODE_OPTIONS`,
    replay: () =>
      `bench/replay.ts, a diagnostic: our gRPC edge answering each request with ours' response to the first of its kind, not composing again (${ctx.all.replay.args[0]?.replace(`${root}/`, '')}), Node ${process.version}, the same NODE_OPTIONS`,
  };
  const partial: Omit<Results, 'goals'> = {
    date: new Date().toISOString(),
    machine: machineInfo,
    config,
    competitors: [...ctx.ids],
    versions: Object.fromEntries(ctx.ids.map((id) => [id, versionOf[id]()])),
    requestBytes: Object.fromEntries(
      ctx.scenarios.map((s) => [s, Object.fromEntries(ctx.ids.map((id) => [id, bytes[s][id]?.length ?? Number.NaN]))]),
    ),
    responseBytes,
    closed,
    sizes,
    openLoop: open,
    rss,
    coldStart,
    allocPerRequest,
    fairness,
    hiccups,
    notes,
  };
  const results: Results = { ...partial, goals: judgeGoals(partial) };
  writeResults(outDir, results);
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${join(outDir, 'results.md')}`);
  for (const g of results.goals) log(`  goal ${g.holds ? 'holds' : 'FAILS'}: ${g.goal}: ${g.detail}`);
}

/** What the figures need said: a saturated client, an idle server, a busy machine, errors. */
function addNotes(ctx: RunContext, closed: readonly Cell[]): void {
  const { notes, guard } = ctx;
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
  if (guard.waitedSeconds > 0 || guard.retried.length > 0) {
    notes.push(
      `Other processes were busy on this shared machine: the run waited ${guard.waitedSeconds.toFixed(0)} s in all for both cores to be quiet (< ${QUIET_BUSY * 100} % busy) and measured ${guard.retried.length} window(s) again because others took more than ${FOREIGN_LIMIT * 100} % of the server core during them (${[...new Set(guard.retried)].join(', ')}).`,
    );
  }
  const noisy = closed.filter((c) => c.reps.some((r) => r.foreignCpu > FOREIGN_LIMIT));
  if (noisy.length > 0) {
    notes.push(
      `Other processes still used more than ${FOREIGN_LIMIT * 100} % of the server core (after retries) during some repetitions of ${noisy.map((c) => `${c.competitor} ${c.scenario}@${c.concurrency}`).join(', ')} (foreignCpu in results.json): those figures are less trustworthy.`,
    );
  }
  for (const c of closed.filter((x) => x.firstError !== undefined))
    notes.push(`Errors in ${c.competitor} ${c.scenario}@${c.concurrency}: ${c.firstError}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});

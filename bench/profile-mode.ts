/**
 * `--profile`: CPU profiles of ours under load, one per scenario, summarized into profile.md
 * (bench/README.md: Profiling).
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { call, newClient, type Window } from './loadgen.js';
import type { RunContext } from './phases.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { renderProfileMarkdown } from './report.js';
import { SCENARIO_TITLES } from './requests.js';
import { start, stop, waitForPort, type Competitor } from './servers.js';

const CONCURRENCY = 16;

export async function profileMode(ctx: RunContext, seconds: number, outDir: string): Promise<void> {
  // The unbundled build: frames then name their files (dist/src/fn.js, ...), which the summary's
  // categories rely on; after warm-up the JIT runs the same code either way.
  const bundled = ctx.all.ours;
  const ours: Competitor = { ...bundled, args: [join(ctx.root, 'dist/src/main.js'), ...bundled.args.slice(1)] };
  const summaries: Record<string, ProfileSummary> = {};
  for (const scenario of ctx.scenarios) {
    const dir = join(ctx.work, 'profile', scenario);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const r = await start(ours, {
      core: ctx.config.serverCore,
      logFile: join(ctx.work, 'logs', `profile-${scenario}.log`),
      nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
    });
    const b = ctx.requests.build(scenario, ours.input).bytes;
    const file = join(ctx.work, 'requests', `profile-${scenario}.bin`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, b);
    const c = newClient(r.target);
    let w: Window;
    try {
      await waitForPort(r);
      await call(c, b);
      ctx.log(`profile: ${scenario}, concurrency ${CONCURRENCY}, ${seconds} s`);
      w = await ctx.lg.closed(`profile-${scenario}`, r.target, file, CONCURRENCY, seconds * 1000);
      await ctx.lg.closeConn(`profile-${scenario}`);
    } finally {
      c.close();
      await stop(r, 'SIGTERM', 30_000); // drains, exits 0: node writes the profile on exit
    }
    const profile = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, f))
      .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs)[0];
    if (profile === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
    summaries[
      `${scenario}: ${SCENARIO_TITLES[scenario]} — ${(w.completed / w.wallSeconds).toFixed(0)} req/s at concurrency ${CONCURRENCY} (${profile.replace(`${ctx.root}/`, '')})`
    ] = summarizeProfile(profile);
  }
  const command = `taskset -c ${ctx.config.serverCore} node --cpu-prof --cpu-prof-dir=.cache/bench/profile/SCENARIO --cpu-prof-interval=100 dist/src/main.js --insecure --address=127.0.0.1:PORT, loaded at concurrency ${CONCURRENCY} for ${seconds} s, then SIGTERM (node dist/bench/run.js --profile)`;
  writeFileSync(join(outDir, 'profile.md'), renderProfileMarkdown(summaries, command));
  ctx.log(`wrote ${join(outDir, 'profile.md')}`);
}

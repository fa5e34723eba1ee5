/** scaling.svg from the results: throughput per scenario, and latency against request size. */
import { renderChart, type Panel, type Series } from './chart.js';
import type { Results } from './report.js';
import { SCENARIOS } from './requests.js';
import { COMPETITORS, type CompetitorId } from './servers.js';

const COLORS: Readonly<Record<CompetitorId, { color: string; dash?: string; name: string }>> = {
  ours: { color: '#1f6fb4', name: 'function-plana-tenant' },
  gosdk: { color: '#2ca02c', name: 'Go SDK peer (function-sdk-go)' },
  gotemplating: { color: '#e8710a', name: 'function-go-templating' },
  noop: { color: '#777777', dash: '5,4', name: 'no-op (same Node stack)' },
  replay: { color: '#9467bd', dash: '2,3', name: "replay (ours' response, not composed)" },
};

export function scalingChart(r: Results): string {
  const ids = COMPETITORS.filter((id) => r.closed.some((c) => c.competitor === id) || r.sizes.some((x) => x.competitor === id));
  const scenarios = SCENARIOS.filter((s) => r.closed.some((c) => c.scenario === s));
  const concurrencies = [...new Set(r.closed.map((c) => c.concurrency))].sort((a, b) => a - b);
  const throughputPanels: Panel[] = scenarios.map((s) => ({
    title: `${s}: throughput`,
    xLabel: 'concurrency (log)',
    yLabel: 'req/s',
    xLog: true,
    yLog: false,
    xTicks: concurrencies.map((c) => [c, String(c)] as const),
    series: ids.map((id): Series => ({
      ...COLORS[id],
      points: concurrencies.flatMap((c) => {
        const cell = r.closed.find((x) => x.scenario === s && x.concurrency === c && x.competitor === id);
        return cell === undefined ? [] : [{ x: c, y: cell.throughput.median, lo: cell.throughput.min, hi: cell.throughput.max }];
      }),
    })),
  }));
  const sizeTicks = [...new Set(r.sizes.filter((x) => x.competitor === 'ours').map((x) => x.requestBytes))].map(
    (b) => [b, b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)}M` : `${Math.round(b / 1024)}K`] as const,
  );
  const latencyPanel = (which: 'p50' | 'p99'): Panel => ({
    title: `steady state + spec.extra, concurrency 1: ${which} latency vs request size`,
    xLabel: 'request bytes (log; ours)',
    yLabel: `${which} ms (log)`,
    xLog: true,
    yLog: true,
    xTicks: sizeTicks.length > 0 ? sizeTicks : [[1, '1']],
    series: ids.map((id): Series => ({
      ...COLORS[id],
      points: r.sizes
        .filter((x) => x.competitor === id)
        .map((x) => {
          // Plot against our request size so that all line up (go-templating's Input is larger).
          const oursBytes = r.sizes.find((y) => y.competitor === 'ours' && y.extraBytes === x.extraBytes)?.requestBytes ?? x.requestBytes;
          return { x: oursBytes, y: x[which].median, lo: x[which].min, hi: x[which].max };
        }),
    })),
  });
  const rows: Panel[][] = [throughputPanels];
  if (r.sizes.length > 0) rows.push([latencyPanel('p50'), latencyPanel('p99')]);
  return renderChart({
    title: 'function-plana-tenant vs the Go SDK peer vs function-go-templating vs no-op — scaling',
    subtitle: `${r.date.slice(0, 10)} · ${r.machine.cpuModel}, ${r.machine.nproc} cores · server on core ${r.config.serverCore}, load generator on core ${r.config.clientCore} · Node ${r.machine.node}${r.config.quick ? ' · QUICK SMOKE RUN' : ''}`,
    rows,
  });
}

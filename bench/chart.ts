/**
 * The scaling chart as a hand-written SVG (no chart library): small panels of lines with
 * min–max whiskers. Row 1: throughput against concurrency, one panel per scenario. Row 2:
 * latency (p50 and p99) against request size at concurrency 1.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
  /** Whisker ends (min and max of the repetitions). */
  readonly lo?: number;
  readonly hi?: number;
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly dash?: string;
  readonly points: readonly Point[];
}

export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog: boolean;
  readonly yLog: boolean;
  /** Where to put x ticks, with their labels. */
  readonly xTicks: ReadonlyArray<readonly [number, string]>;
  readonly series: readonly Series[];
}

export interface ChartSpec {
  readonly title: string;
  readonly subtitle: string;
  /** Panels by row. */
  readonly rows: ReadonlyArray<readonly Panel[]>;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number): string => (Math.round(n * 10) / 10).toString();

/** "Nice" linear ticks from 0 to at least max. */
function linearTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 4;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max * 1.0001 + step; v += step) {
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min / 1.0001 && v <= max * 1.0001) ticks.push(v);
    }
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

const fmtTick = (v: number): string => {
  if (v >= 1e6) return `${f(v / 1e6)}M`;
  if (v >= 1e3) return `${f(v / 1e3)}k`;
  if (v < 1 && v > 0) return v.toPrecision(1);
  return f(v);
};

function panelSvg(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const left = 58;
  const right = 12;
  const top = 28;
  const bottom = 42;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const pts = p.series.flatMap((s) => s.points).filter((q) => Number.isFinite(q.y));
  const ys = pts.flatMap((q) => [q.y, q.hi ?? q.y, q.lo ?? q.y]).filter((v) => Number.isFinite(v) && (!p.yLog || v > 0));
  const xs = p.xTicks.map(([x]) => x);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let yTicks: number[];
  let yMin: number;
  let yMax: number;
  if (p.yLog) {
    yMin = ys.length === 0 ? 0.1 : Math.min(...ys) / 1.3;
    yMax = ys.length === 0 ? 1 : Math.max(...ys) * 1.3;
    yTicks = logTicks(yMin, yMax);
    yMin = Math.min(yMin, yTicks[0] as number);
    yMax = Math.max(yMax, yTicks[yTicks.length - 1] as number);
  } else {
    yTicks = linearTicks(ys.length === 0 ? 1 : Math.max(...ys));
    yMin = 0;
    yMax = yTicks[yTicks.length - 1] as number;
  }
  const sx = (x: number): number => {
    const t = p.xLog ? (Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin) || 1) : (x - xMin) / (xMax - xMin || 1);
    return x0 + left + t * pw;
  };
  const sy = (y: number): number => {
    const t = p.yLog ? (Math.log(y) - Math.log(yMin)) / (Math.log(yMax) - Math.log(yMin) || 1) : (y - yMin) / (yMax - yMin || 1);
    return y0 + top + ph - t * ph;
  };
  const out: string[] = [];
  out.push(`<g class="panel">`);
  out.push(`<text x="${f(x0 + left)}" y="${f(y0 + 16)}" class="ptitle">${esc(p.title)}</text>`);
  out.push(`<rect x="${f(x0 + left)}" y="${f(y0 + top)}" width="${f(pw)}" height="${f(ph)}" class="frame"/>`);
  for (const t of yTicks) {
    const y = sy(t);
    out.push(`<line x1="${f(x0 + left)}" x2="${f(x0 + left + pw)}" y1="${f(y)}" y2="${f(y)}" class="grid"/>`);
    out.push(`<text x="${f(x0 + left - 5)}" y="${f(y + 4)}" class="tick" text-anchor="end">${esc(fmtTick(t))}</text>`);
  }
  for (const [x, label] of p.xTicks) {
    const X = sx(x);
    out.push(`<line x1="${f(X)}" x2="${f(X)}" y1="${f(y0 + top)}" y2="${f(y0 + top + ph)}" class="grid"/>`);
    out.push(`<text x="${f(X)}" y="${f(y0 + top + ph + 14)}" class="tick" text-anchor="middle">${esc(label)}</text>`);
  }
  out.push(`<text x="${f(x0 + left + pw / 2)}" y="${f(y0 + h - 6)}" class="axis" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(
    `<text transform="translate(${f(x0 + 14)},${f(y0 + top + ph / 2)}) rotate(-90)" class="axis" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  for (const s of p.series) {
    const valid = s.points.filter((q) => Number.isFinite(q.y) && (!p.yLog || q.y > 0));
    if (valid.length === 0) continue;
    const d = valid.map((q, i) => `${i === 0 ? 'M' : 'L'}${f(sx(q.x))},${f(sy(q.y))}`).join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash === undefined ? '' : ` stroke-dasharray="${s.dash}"`}/>`,
    );
    for (const q of valid) {
      const X = sx(q.x);
      if (q.lo !== undefined && q.hi !== undefined && Number.isFinite(q.lo) && Number.isFinite(q.hi) && (!p.yLog || q.lo > 0)) {
        out.push(`<line x1="${f(X)}" x2="${f(X)}" y1="${f(sy(q.lo))}" y2="${f(sy(q.hi))}" stroke="${s.color}" stroke-width="1.2"/>`);
        out.push(`<line x1="${f(X - 3)}" x2="${f(X + 3)}" y1="${f(sy(q.lo))}" y2="${f(sy(q.lo))}" stroke="${s.color}"/>`);
        out.push(`<line x1="${f(X - 3)}" x2="${f(X + 3)}" y1="${f(sy(q.hi))}" y2="${f(sy(q.hi))}" stroke="${s.color}"/>`);
      }
      out.push(
        `<circle cx="${f(X)}" cy="${f(sy(q.y))}" r="3" fill="${s.color}"><title>${esc(`${s.name}: ${fmtTick(q.y)}`)}</title></circle>`,
      );
    }
  }
  out.push(`</g>`);
  return out.join('\n');
}

export function renderChart(spec: ChartSpec): string {
  const width = 1280;
  const rowHeight = 300;
  const header = 64;
  const legendHeight = 30;
  const height = header + legendHeight + spec.rows.length * rowHeight + 10;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
  );
  out.push(
    `<style>.frame{fill:none;stroke:#999}.grid{stroke:#e4e4e4}.tick{font-size:10px;fill:#444}.axis{font-size:11px;fill:#222}.ptitle{font-size:12px;font-weight:bold;fill:#222}.title{font-size:17px;font-weight:bold}.sub{font-size:11px;fill:#555}.legend{font-size:12px}</style>`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="16" y="26" class="title">${esc(spec.title)}</text>`);
  out.push(`<text x="16" y="46" class="sub">${esc(spec.subtitle)}</text>`);
  // Legend from the first panel's series (every panel uses the same competitors).
  const legendSeries = spec.rows[0]?.[0]?.series ?? [];
  let lx = 16;
  for (const s of legendSeries) {
    out.push(
      `<line x1="${lx}" x2="${lx + 26}" y1="${header + 8}" y2="${header + 8}" stroke="${s.color}" stroke-width="3"${s.dash === undefined ? '' : ` stroke-dasharray="${s.dash}"`}/>`,
    );
    out.push(`<text x="${lx + 32}" y="${header + 12}" class="legend">${esc(s.name)}</text>`);
    lx += 40 + s.name.length * 7;
  }
  out.push(`<text x="${lx + 10}" y="${header + 12}" class="sub">dot: median of repetitions; whisker: min–max</text>`);
  spec.rows.forEach((row, r) => {
    const pw = width / Math.max(1, row.length);
    row.forEach((panel, c) => out.push(panelSvg(panel, c * pw, header + legendHeight + r * rowHeight, pw, rowHeight - 8)));
  });
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}

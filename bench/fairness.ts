/**
 * The fairness check: ours and each competitor rendered through the real `crossplane render` (the
 * pinned CLI and core binary of scripts/install-tools.sh, the Development runtime pointed at
 * servers started here), every example scenario, and the outputs compared field by field: the
 * composed objects, the XR's status and conditions, the results, and (when both refuse) the
 * fatal error `crossplane render` prints.
 *
 * A benchmark of a competitor is only worth something if it produces what ours produces; this
 * is where that is proven (or where the differences are listed). The Go SDK peer (bench/gosdk)
 * must match in everything; function-go-templating's template is held to the objects (its
 * header lists what else it simplifies).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';

type Obj = Record<string, unknown>;

export interface RenderTools {
  readonly crossplaneBin: string;
  readonly crossplaneCoreBin: string;
}

export interface FieldDiff {
  readonly path: string;
  readonly ours: unknown;
  readonly theirs: unknown;
}

export interface FairnessScenario {
  readonly name: string;
  readonly xr: string;
  readonly observed: string | undefined;
  readonly exitCodes: { readonly ours: number; readonly theirs: number };
  /** Composed objects compared (kind/namespace/name), and whether they matched. */
  readonly objects: ReadonlyArray<{ readonly id: string; readonly identical: boolean }>;
  /** Differences in the composed objects (the part the benchmark must hold equal). */
  readonly objectDiffs: readonly FieldDiff[];
  /** Differences in the XR (status, conditions) and in the results (and the fatal error). */
  readonly xrDiffs: readonly FieldDiff[];
  readonly resultDiffs: readonly FieldDiff[];
}

/** A competitor as the check renders it: its Composition and Function files, and its server. */
export interface FairnessPeer {
  readonly id: string;
  readonly label: string;
  readonly composition: string;
  readonly functions: string;
  readonly target: string;
}

export interface PeerFairness {
  readonly id: string;
  readonly label: string;
  readonly scenarios: readonly FairnessScenario[];
  /** True when every scenario's composed objects match field for field (and the exit codes). */
  readonly objectsIdentical: boolean;
  /** True when everything matches: objects, XR status and conditions, results, fatal errors. */
  readonly allIdentical: boolean;
}

export interface FairnessReport {
  readonly crossplane: string;
  readonly peers: readonly PeerFairness[];
}

/** name | XR | observed folder: scripts/render.sh's scenarios that compose something. */
const SCENARIOS: ReadonlyArray<readonly [string, string, string | undefined]> = [
  ['acme', 'examples/xr.yaml', undefined],
  ['acme-ready', 'examples/xr.yaml', 'examples/observed/ready'],
  ['acme-degraded', 'examples/xr.yaml', 'examples/observed/degraded'],
  ['boreal-v19-alias', 'examples/xr-v19-alias.yaml', undefined],
  ['zora-enterprise', 'examples/xr-enterprise.yaml', undefined],
  ['invalid', 'examples/xr-invalid.yaml', undefined],
];

export const GO_TEMPLATING_COMPOSITION = 'bench/go-templating-composition.yaml';

/** The Composition for function-go-templating: examples/composition.yaml with its step's Input. */
export function goTemplatingComposition(root: string): string {
  const input = parseYaml(readFileSync(join(root, 'bench/go-templating-input.yaml'), 'utf8')) as Obj;
  const composition = {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: { name: 'planaclient' },
    spec: {
      compositeTypeRef: { apiVersion: 'planapulse.com/v1alpha1', kind: 'PLANAClient' },
      mode: 'Pipeline',
      pipeline: [{ step: 'tenant', functionRef: { name: 'function-go-templating' }, input }],
    },
  };
  return (
    '# Generated from bench/go-templating-input.yaml by `node dist/bench/run.js --write-composition`;\n' +
    "# the benchmark's fairness check refuses to run when the two drift apart.\n" +
    stringifyYaml(composition, { lineWidth: 0 })
  );
}

export function checkCompositionUpToDate(root: string): void {
  const want = goTemplatingComposition(root);
  let have = '';
  try {
    have = readFileSync(join(root, GO_TEMPLATING_COMPOSITION), 'utf8');
  } catch {
    // reported below
  }
  if (have !== want) {
    throw new Error(
      `${GO_TEMPLATING_COMPOSITION} does not match bench/go-templating-input.yaml: run node dist/bench/run.js --write-composition`,
    );
  }
}

function render(
  root: string,
  tools: RenderTools,
  xr: string,
  composition: string,
  functions: string,
  observed: string | undefined,
  target: string,
): { code: number; stdout: string; stderr: string } {
  const args = [
    'render',
    xr,
    composition,
    functions,
    `--crossplane-binary=${tools.crossplaneCoreBin}`,
    '--xrd=examples/xrd.yaml',
    '-r',
    '--timeout=60s',
    '-a',
    `render.crossplane.io/runtime-development-target=${target}`,
    ...(observed === undefined ? [] : ['-o', observed]),
  ];
  const r = spawnSync(tools.crossplaneBin, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Rendered {
  readonly xr: Obj | undefined;
  readonly composed: Map<string, Obj>;
  readonly results: Obj[];
}

function split(text: string): Rendered {
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
  const composed = new Map<string, Obj>();
  let xr: Obj | undefined;
  const results: Obj[] = [];
  for (const doc of docs) {
    if (doc['apiVersion'] === 'render.crossplane.io/v1beta1' && doc['kind'] === 'Result') results.push(doc);
    else if (doc['kind'] === 'PLANAClient') xr = doc;
    else {
      const m = (doc['metadata'] ?? {}) as Obj;
      const text = (v: unknown): string => (typeof v === 'string' ? v : '');
      composed.set(`${text(doc['kind'])} ${text(m['namespace'])}/${text(m['name'])}`, doc);
    }
  }
  return { xr, composed, results };
}

/** Every leaf where `a` and `b` differ, as a dotted path. */
export function diff(a: unknown, b: unknown, path: string, out: FieldDiff[]): void {
  if (isDeepStrictEqual(a, b)) return;
  const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[key], b[key], path === '' ? key : `${path}.${key}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => diff(item, b[i], `${path}[${i}]`, out));
    return;
  }
  out.push({ path, ours: a, theirs: b });
}

/** Condition timestamps are set by the render tool, not the functions. */
function withoutTimestamps(xr: Obj | undefined): unknown {
  if (xr === undefined) return undefined;
  const status = (xr['status'] ?? {}) as Obj;
  const conditions = Array.isArray(status['conditions'])
    ? (status['conditions'] as Obj[]).map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'lastTransitionTime')))
    : undefined;
  return { ...xr, status: { ...status, ...(conditions === undefined ? {} : { conditions }) } };
}

const resultKey = (r: Obj): string => `${String(r['severity'])} ${String(r['reason'])}: ${String(r['message'])}`;

/** The fatal error `crossplane render` prints (its last stderr line), when it refused. */
const fatalLine = (r: { code: number; stderr: string }): string | undefined =>
  r.code === 0 ? undefined : r.stderr.trim().split('\n').at(-1);

function compare(
  name: string,
  xr: string,
  observed: string | undefined,
  ours: ReturnType<typeof render>,
  theirs: ReturnType<typeof render>,
): FairnessScenario {
  const a = split(ours.stdout);
  const b = split(theirs.stdout);
  const objectDiffs: FieldDiff[] = [];
  const objects: Array<{ id: string; identical: boolean }> = [];
  for (const id of [...new Set([...a.composed.keys(), ...b.composed.keys()])].sort()) {
    const before = objectDiffs.length;
    diff(a.composed.get(id), b.composed.get(id), id, objectDiffs);
    objects.push({ id, identical: objectDiffs.length === before });
  }
  const xrDiffs: FieldDiff[] = [];
  diff(withoutTimestamps(a.xr), withoutTimestamps(b.xr), 'XR', xrDiffs);
  const resultDiffs: FieldDiff[] = [];
  const ra = new Set(a.results.map(resultKey));
  const rb = new Set(b.results.map(resultKey));
  for (const r of ra) if (!rb.has(r)) resultDiffs.push({ path: 'results', ours: r, theirs: undefined });
  for (const r of rb) if (!ra.has(r)) resultDiffs.push({ path: 'results', ours: undefined, theirs: r });
  if (fatalLine(ours) !== fatalLine(theirs)) resultDiffs.push({ path: 'fatal error', ours: fatalLine(ours), theirs: fatalLine(theirs) });
  return { name, xr, observed, exitCodes: { ours: ours.code, theirs: theirs.code }, objects, objectDiffs, xrDiffs, resultDiffs };
}

export function checkFairness(
  root: string,
  tools: RenderTools,
  oursTarget: string,
  peers: readonly FairnessPeer[],
  workDir: string,
): FairnessReport {
  checkCompositionUpToDate(root);
  mkdirSync(workDir, { recursive: true });
  const version = spawnSync(tools.crossplaneBin, ['version', '--client'], { encoding: 'utf8' });
  const byPeer = new Map<string, FairnessScenario[]>(peers.map((p) => [p.id, []]));
  for (const [name, xr, observed] of SCENARIOS) {
    const ours = render(root, tools, xr, 'examples/composition.yaml', 'examples/functions.yaml', observed, oursTarget);
    writeFileSync(join(workDir, `${name}.ours.yaml`), ours.stdout + ours.stderr.replace(/^/gm, '# '));
    for (const peer of peers) {
      const theirs = render(root, tools, xr, peer.composition, peer.functions, observed, peer.target);
      writeFileSync(join(workDir, `${name}.${peer.id}.yaml`), theirs.stdout + theirs.stderr.replace(/^/gm, '# '));
      byPeer.get(peer.id)?.push(compare(name, xr, observed, ours, theirs));
    }
  }
  return {
    crossplane: version.stdout.trim(),
    peers: peers.map((p) => {
      const scenarios = byPeer.get(p.id) ?? [];
      const objectsIdentical = scenarios.every((s) => s.objectDiffs.length === 0 && s.exitCodes.ours === s.exitCodes.theirs);
      return {
        id: p.id,
        label: p.label,
        scenarios,
        objectsIdentical,
        allIdentical: objectsIdentical && scenarios.every((s) => s.xrDiffs.length === 0 && s.resultDiffs.length === 0),
      };
    }),
  };
}

/** One line per competitor for the log and results.md. */
export function describePeer(p: PeerFairness): string {
  const n = p.scenarios.length;
  const objects = p.scenarios.filter((s) => s.objectDiffs.length === 0 && s.exitCodes.ours === s.exitCodes.theirs).length;
  const all = p.scenarios.filter(
    (s) => s.objectDiffs.length === 0 && s.xrDiffs.length === 0 && s.resultDiffs.length === 0 && s.exitCodes.ours === s.exitCodes.theirs,
  ).length;
  const diffs = p.scenarios.reduce((k, s) => k + s.objectDiffs.length, 0);
  return `${p.label}: composed objects identical in ${objects} of ${n} scenarios${diffs > 0 ? ` (${diffs} differing fields)` : ''}; objects, XR status and conditions, results and fatal errors all identical in ${all} of ${n}`;
}

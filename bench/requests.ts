/**
 * The RunFunctionRequests the benchmark sends, one per scenario, shaped like what
 * `crossplane render` (CLI v2.5.0, core v2.3.4) really sends to the first pipeline step: the
 * observed XR with the metadata and spec.crossplane Crossplane adds, the observed composed
 * resources, an empty desired state, an empty context, the capabilities list. (Captured once
 * with `node dist/bench/noop.js --dump-requests=DIR` as the render target.)
 *
 * Each request is encoded once; the load generator sends the same bytes again and again.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { parse as parseYaml } from 'yaml';

type Obj = Record<string, unknown>;

export const SCENARIOS = ['first', 'steady', 'large', 'pipeline100'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export const SCENARIO_TITLES: Readonly<Record<ScenarioId, string>> = {
  first: 'first reconcile (no observed resources)',
  steady: 'steady state (3 observed resources, all ready)',
  large: 'large XR (steady state + 1 MiB of extra spec data)',
  pipeline100: 'pipeline (steady state + 100 desired resources from earlier steps)',
};

/** What a competitor needs in its request: its own Input for the pipeline step. */
export type InputKind = 'tenant' | 'go-templating';

/** Crossplane's tag is a hash of the request; any 64 hex digits do. */
const TAG = '741ba1e54fc0f53159e6e66501c690c09d945087c2ae85ef16b42feb74889938';

const CAPABILITIES = [
  'CAPABILITY_CAPABILITIES',
  'CAPABILITY_REQUIRED_RESOURCES',
  'CAPABILITY_CREDENTIALS',
  'CAPABILITY_CONDITIONS',
  'CAPABILITY_REQUIRED_SCHEMAS',
];

const LARGE_EXTRA_BYTES = 1024 * 1024;
export const EARLIER_DESIRED_RESOURCES = 100;

export interface RequestSet {
  /** The request as JSON (RunFunctionRequest.fromJSON's shape). */
  readonly json: Obj;
  readonly bytes: Buffer;
}

export class Requests {
  private readonly xr: Obj;
  private readonly observedReady: Record<string, Obj>;
  private readonly inputs: Readonly<Record<InputKind, Obj>>;

  constructor(root: string) {
    this.xr = parseYaml(readFileSync(join(root, 'examples/xr.yaml'), 'utf8')) as Obj;
    const dir = join(root, 'examples/observed/ready');
    this.observedReady = {};
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const obj = parseYaml(readFileSync(join(dir, file), 'utf8')) as Obj;
      const name = ((obj['metadata'] as Obj)['annotations'] as Record<string, string>)['crossplane.io/composition-resource-name'];
      if (name === undefined) throw new Error(`${file}: no crossplane.io/composition-resource-name annotation`);
      this.observedReady[name] = obj;
    }
    this.inputs = {
      tenant: { apiVersion: 'tenant.fn.planapulse.com/v1beta1', kind: 'Input' },
      'go-templating': parseYaml(readFileSync(join(root, 'bench/go-templating-input.yaml'), 'utf8')) as Obj,
    };
  }

  /** The request for a scenario; `extraBytes` overrides the size of spec.extra (size sweep). */
  build(scenario: ScenarioId, input: InputKind, extraBytes?: number): RequestSet {
    const extra = extraBytes ?? (scenario === 'large' ? LARGE_EXTRA_BYTES : 0);
    const observed: Obj = { composite: { resource: this.observedXr(extra) } };
    if (scenario !== 'first') {
      observed['resources'] = Object.fromEntries(Object.entries(this.observedReady).map(([name, resource]) => [name, { resource }]));
    }
    const desired: Obj = scenario === 'pipeline100' ? earlierDesired(this.xr) : {};
    const json: Obj = {
      meta: { tag: TAG, capabilities: CAPABILITIES },
      observed,
      desired,
      input: this.inputs[input],
      context: {},
    };
    const message = RunFunctionRequest.fromJSON(json);
    const encoded = RunFunctionRequest.encode(message).finish();
    return { json, bytes: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength) };
  }

  /** The observed XR as `crossplane render` sends it, with `extra` bytes of spec.extra. */
  private observedXr(extra: number): Obj {
    const metadata = this.xr['metadata'] as Obj;
    const spec: Obj = {
      ...(this.xr['spec'] as Obj),
      crossplane: {
        resourceRefs: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'backup-acme', namespace: 'backup' },
          { apiVersion: 'batch/v1', kind: 'Job', name: 'filestore-acme-546cbe53', namespace: 'crossplane-system' },
          { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', name: 'acme', namespace: 'plana-odoo-18' },
        ],
        compositionRef: { name: 'planaclient' },
      },
    };
    if (extra > 0) spec['extra'] = extraData(extra);
    return {
      apiVersion: this.xr['apiVersion'],
      kind: this.xr['kind'],
      metadata: {
        ...metadata,
        resourceVersion: '999',
        uid: 'a0c99ca2-fb36-5cec-bb8b-434e2977848e',
        labels: { 'crossplane.io/composite': metadata['name'] },
      },
      spec,
      status: {
        conditions: [{ type: 'Responsive', status: 'True', reason: 'WatchCircuitClosed', lastTransitionTime: '2026-11-22T02:45:30Z' }],
      },
    };
  }
}

/**
 * About `bytes` of JSON-like data as an XR's spec might carry it: a list of small objects with
 * strings, numbers, booleans and a nested list, deterministic (a fixed linear congruential
 * sequence), not a single long string, so that Struct decoding does real work.
 */
export function extraData(bytes: number): Obj {
  let seed = 42;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-';
  const text = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[next() % alphabet.length];
    return s;
  };
  const items: Obj[] = [];
  let size = 2;
  while (size < bytes) {
    const item = {
      name: `item-${items.length}`,
      description: text(160),
      weight: next() % 100_000,
      ratio: (next() % 1000) / 7,
      enabled: next() % 2 === 0,
      tags: [text(12), text(12), text(12)],
    };
    size += JSON.stringify(item).length + 1;
    items.push(item);
  }
  return { items };
}

/** Desired state left by earlier pipeline steps: the XR with a status field, 100 resources. */
function earlierDesired(xr: Obj): Obj {
  const resources: Obj = {};
  for (let i = 0; i < EARLIER_DESIRED_RESOURCES; i++) {
    resources[`earlier-${i}`] = {
      resource: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `acme-settings-${i}`,
          namespace: 'plana-odoo-18',
          labels: { 'app.kubernetes.io/name': 'plana-tenant', 'planapulse.com/tenant': 'acme', 'planapulse.com/index': String(i) },
        },
        data: Object.fromEntries(Array.from({ length: 5 }, (_, k) => [`key-${k}`, `value-${i}-${k}-`.padEnd(64, 'x')])),
      },
      ready: 'READY_TRUE',
    };
  }
  return {
    composite: {
      resource: {
        apiVersion: xr['apiVersion'],
        kind: xr['kind'],
        metadata: { name: (xr['metadata'] as Obj)['name'] },
        status: { earlierStep: 'done' },
      },
    },
    resources,
  };
}

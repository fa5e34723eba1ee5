/**
 * examples/production/: the DeploymentRuntimeConfig, Function and PodDisruptionBudget a PLANA
 * engineer applies. scripts/validate.sh validates them against Crossplane's own CRDs with the
 * real `crossplane resource validate`; this checks what a schema cannot: the restricted Pod
 * Security Standard, the spread and the disruption budget selecting the pods Crossplane labels,
 * and the heap flags agreeing with the image and fitting the memory limit.
 */
import { readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Obj } from './support.js';

const load = (file: string): Obj => parse(readFileSync(file, 'utf8')) as Obj;
const at = (o: unknown, ...path: Array<string | number>): unknown =>
  path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), o);

const drc = load('examples/production/runtime-config.yaml');
const fn = load('examples/production/function.yaml');
const pdb = load('examples/production/pdb.yaml');
const meta = parseAllDocuments(readFileSync('package/crossplane.yaml', 'utf8'))[0]!.toJS() as Obj;
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

const deployment = at(drc, 'spec', 'deploymentTemplate', 'spec') as Obj;
const pod = at(deployment, 'template', 'spec') as Obj;
const container = (pod['containers'] as Obj[])[0]!;
// The labels Crossplane puts on a function's pods: pkg.crossplane.io/function is the package's name.
const functionName = at(meta, 'metadata', 'name');

/** Kubernetes quantities as the limits here write them. */
function mebibytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}
function flag(options: string, name: string): number {
  const m = new RegExp(`--${name}=(\\d+)`).exec(options);
  if (!m) throw new Error(`${name} missing from ${options}`);
  return Number(m[1]);
}

describe('the production DeploymentRuntimeConfig', () => {
  it('runs at least two replicas, rolling one at a time without going below them', () => {
    expect(deployment['replicas']).toBeGreaterThanOrEqual(2);
    expect(at(deployment, 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
  });

  it('is a valid Deployment spec once Crossplane adds its selector and the runtime container image', () => {
    const labels = {
      'pkg.crossplane.io/function': String(functionName),
      'pkg.crossplane.io/revision': 'function-plana-tenant-0123456789ab',
    };
    const d = new Deployment({
      metadata: { name: 'function-plana-tenant-0123456789ab', namespace: 'crossplane-system' },
      spec: {
        ...deployment,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...(pod as object),
            containers: [
              { ...(container as object), name: 'package-runtime', image: 'git.planapulse.com/plana-pulse/function-plana-tenant:v0.1.0' },
            ],
          },
        },
      },
    });
    expect(() => d.validate()).not.toThrow();
  });

  it('meets the restricted Pod Security Standard', () => {
    expect(pod['automountServiceAccountToken']).toBe(false);
    expect(pod['securityContext']).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod['hostNetwork'] ?? pod['hostPID'] ?? pod['hostIPC']).toBeUndefined();
    expect(container['name']).toBe('package-runtime');
    expect(container['securityContext']).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    for (const v of pod['volumes'] as Obj[]) expect(Object.keys(v).filter((k) => k !== 'name')).toEqual(['emptyDir']);
  });

  it('spreads the function pods over nodes (hard) and zones (soft), per revision', () => {
    const spread = pod['topologySpreadConstraints'] as Obj[];
    expect(spread.map((s) => [s['topologyKey'], s['whenUnsatisfiable']])).toEqual([
      ['kubernetes.io/hostname', 'DoNotSchedule'],
      ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
    ]);
    for (const s of spread) {
      expect(s['labelSelector']).toEqual({ matchLabels: { 'pkg.crossplane.io/function': functionName } });
      expect(s['matchLabelKeys']).toEqual(['pkg.crossplane.io/revision']);
    }
  });

  it('has requests and limits, and heap flags that fit the memory limit and match the image', () => {
    const resources = container['resources'] as { requests: Record<string, string>; limits: Record<string, string> };
    expect(Object.keys(resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(resources.limits).sort()).toEqual(['cpu', 'memory']);
    const options = (container['env'] as Obj[]).find((e) => e['name'] === 'NODE_OPTIONS')?.['value'] as string;
    const dockerfile = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(options).toBe(dockerfile);
    // Old generation + the young generation's two semi-spaces (and V8's new large-object space,
    // as big again) must leave room for code, buffers and gRPC below the limit.
    const heap = flag(options, 'max-old-space-size') + 3 * flag(options, 'max-semi-space-size');
    expect(heap).toBeLessThan(mebibytes(resources.limits.memory!) - 64);
    // The measured peak under a 100-way soak (~125 MiB) sits below the request.
    expect(mebibytes(resources.requests.memory!)).toBeGreaterThanOrEqual(128);
  });
});

describe('the production Function and PodDisruptionBudget', () => {
  it('installs the package from PLANA registry at this version, with the runtime config', () => {
    expect(at(fn, 'metadata', 'name')).toBe(functionName);
    expect(at(fn, 'spec', 'package')).toBe(`git.planapulse.com/plana-pulse/function-plana-tenant:v${pkg.version}`);
    expect(at(fn, 'spec', 'runtimeConfigRef')).toEqual({
      apiVersion: 'pkg.crossplane.io/v1beta1',
      kind: 'DeploymentRuntimeConfig',
      name: at(drc, 'metadata', 'name'),
    });
  });

  it('lets one replica go at a time, selecting the pods the spread selects', () => {
    expect(() => new PodDisruptionBudget(pdb as never).validate()).not.toThrow();
    expect(at(pdb, 'metadata', 'namespace')).toBe('crossplane-system');
    expect(at(pdb, 'spec', 'maxUnavailable')).toBe(1);
    expect(at(pdb, 'spec', 'selector')).toEqual({ matchLabels: { 'pkg.crossplane.io/function': functionName } });
  });
});

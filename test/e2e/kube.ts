/**
 * A small client for the real kube-apiserver the end-to-end suite starts: JSON over HTTPS with
 * the client certificate (or bearer token) of a kubeconfig the suite wrote itself. Reads and
 * status writes go straight to the REST API (no process per poll); applying the examples uses
 * the built kubectl, as a user would.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type Obj = Record<string, unknown>;

export interface Credentials {
  server: string; // https://127.0.0.1:PORT
  ca: string; // PEM file paths
  cert?: string;
  key?: string;
  token?: string;
  kubeconfig: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 600)}`);
    this.name = 'ApiError';
  }
}

/** Where a kind lives in the REST API. */
export interface Kind {
  group: string; // '' for core
  version: string;
  plural: string;
  namespaced: boolean;
}

export const K = {
  namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  secret: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  pvc: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  serviceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true },
  pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  event: { group: '', version: 'v1', plural: 'events', namespaced: true },
  job: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  cronJob: { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
  httpRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', namespaced: true },
  crd: { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', namespaced: false },
  clusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false },
  functionRevision: { group: 'pkg.crossplane.io', version: 'v1', plural: 'functionrevisions', namespaced: false },
  function: { group: 'pkg.crossplane.io', version: 'v1', plural: 'functions', namespaced: false },
  xrd: { group: 'apiextensions.crossplane.io', version: 'v1', plural: 'compositeresourcedefinitions', namespaced: false },
  planaClient: { group: 'planapulse.com', version: 'v1alpha1', plural: 'planaclients', namespaced: false },
  planaClientNs: { group: 'planapulse.com', version: 'v1alpha1', plural: 'planaclients', namespaced: true },
  object: { group: 'kubernetes.crossplane.io', version: 'v1alpha2', plural: 'objects', namespaced: false },
  objectNs: { group: 'kubernetes.m.crossplane.io', version: 'v1alpha1', plural: 'objects', namespaced: true },
} as const satisfies Record<string, Kind>;

export function path(kind: Kind, namespace?: string, name?: string, sub?: string): string {
  const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  const ns = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const n = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${kind.plural}${n}${sub === undefined ? '' : `/${sub}`}`;
}

export class Kube {
  private readonly ca: Buffer;
  private readonly cert: Buffer | undefined;
  private readonly key: Buffer | undefined;

  constructor(
    readonly creds: Credentials,
    private readonly kubectlBin: string,
  ) {
    this.ca = readFileSync(creds.ca);
    this.cert = creds.cert === undefined ? undefined : readFileSync(creds.cert);
    this.key = creds.key === undefined ? undefined : readFileSync(creds.key);
  }

  request(method: string, p: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; text: string }> {
    const url = new URL(p, this.creds.server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload !== undefined) headers['Content-Type'] = contentType;
    if (this.creds.token !== undefined) headers['Authorization'] = `Bearer ${this.creds.token}`;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          headers,
          ca: this.ca,
          ...(this.cert ? { cert: this.cert } : {}),
          ...(this.key ? { key: this.key } : {}),
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${p}: timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async call(method: string, p: string, body?: unknown, contentType?: string): Promise<Obj> {
    const { status, text } = await this.request(method, p, body, contentType);
    if (status < 200 || status >= 300) throw new ApiError(status, method, p, text);
    return text === '' ? {} : (JSON.parse(text) as Obj);
  }

  /** The object, or undefined when the API server answers 404. */
  async get(kind: Kind, namespace: string | undefined, name: string): Promise<Obj | undefined> {
    const { status, text } = await this.request('GET', path(kind, namespace, name));
    if (status === 404) return undefined;
    if (status !== 200) throw new ApiError(status, 'GET', path(kind, namespace, name), text);
    return JSON.parse(text) as Obj;
  }

  async mustGet(kind: Kind, namespace: string | undefined, name: string): Promise<Obj> {
    const o = await this.get(kind, namespace, name);
    if (o === undefined) throw new Error(`${kind.plural} ${namespace ?? ''}/${name} does not exist`);
    return o;
  }

  async list(kind: Kind, namespace?: string, labelSelector?: string): Promise<Obj[]> {
    const q = labelSelector === undefined ? '' : `?labelSelector=${encodeURIComponent(labelSelector)}`;
    const l = await this.call('GET', path(kind, namespace) + q);
    return (l['items'] as Obj[] | undefined) ?? [];
  }

  create(kind: Kind, obj: Obj): Promise<Obj> {
    return this.call('POST', path(kind, ns(obj)), obj);
  }

  /** A merge patch of the main resource. */
  patch(kind: Kind, namespace: string | undefined, name: string, patch: Obj): Promise<Obj> {
    return this.call('PATCH', path(kind, namespace, name), patch, 'application/merge-patch+json');
  }

  /**
   * A merge patch through the status subresource: how the suite plays a controller that does
   * not run here (the gateway, the Job controller), writing only what that controller writes.
   */
  patchStatus(kind: Kind, namespace: string | undefined, name: string, status: Obj): Promise<Obj> {
    return this.call('PATCH', path(kind, namespace, name, 'status'), { status }, 'application/merge-patch+json');
  }

  async delete(kind: Kind, namespace: string | undefined, name: string, propagation = 'Background'): Promise<void> {
    const { status, text } = await this.request('DELETE', path(kind, namespace, name), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: propagation,
    });
    if (status !== 200 && status !== 202 && status !== 404) throw new ApiError(status, 'DELETE', path(kind, namespace, name), text);
  }

  /**
   * kubectl with this identity; arguments are an argv array, never a shell line. Its discovery
   * cache is the control plane's own (beside the kubeconfig): the default, ~/.kube/cache, is keyed
   * by host and port, and every scenario file numbers its ports from the same base, so a later
   * control plane on the same port was read with an earlier one's API list (scenario 3 after
   * scenario 4 patched its cluster-scoped PLANAClients at the namespaced path: NotFound).
   */
  kubectl(args: readonly string[], stdin?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.kubectlBin,
        ['--kubeconfig', this.creds.kubeconfig, '--cache-dir', join(dirname(this.creds.kubeconfig), 'kubectl-cache'), ...args],
        { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`kubectl ${args.join(' ')}: ${err.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
      if (stdin !== undefined) child.stdin?.end(stdin);
    });
  }

  /** Server-side apply of files or of a YAML/JSON document on stdin, as a user would. */
  apply(files: readonly string[]): Promise<string> {
    return this.kubectl(['apply', '--server-side', '--force-conflicts', ...files.flatMap((f) => ['-f', f])]);
  }

  applyDoc(doc: Obj | string): Promise<string> {
    return this.kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], typeof doc === 'string' ? doc : JSON.stringify(doc));
  }
}

function ns(obj: Obj): string | undefined {
  const m = obj['metadata'] as Obj | undefined;
  const n = m?.['namespace'];
  return typeof n === 'string' ? n : undefined;
}

/** Polls fn until it returns something other than undefined; the last error or value in the timeout message. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : last === undefined ? '' : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`);
    }
    await sleep(everyMs);
  }
}

export type Condition = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };

export function conditions(o: Obj | undefined): Condition[] {
  const s = o?.['status'] as Obj | undefined;
  return (s?.['conditions'] as Condition[] | undefined) ?? [];
}

export function condition(o: Obj | undefined, type: string): Condition | undefined {
  return conditions(o).find((c) => c.type === type);
}

export function meta(o: Obj): Obj {
  return (o['metadata'] as Obj | undefined) ?? {};
}

export function field(o: Obj | undefined, ...keys: string[]): unknown {
  let cur: unknown = o;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(k)] : (cur as Obj)[k];
  }
  return cur;
}

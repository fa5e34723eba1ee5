/**
 * A real control plane on loopback for the end-to-end suite: etcd, kube-apiserver and
 * kube-controller-manager built from their Go modules (scripts/install-e2e-tools.sh), Crossplane
 * core and its RBAC manager, the function as the built bundle over mutual TLS, and, for the
 * Object-mode scenarios, provider-kubernetes run out of cluster.
 *
 * scripts/e2e.sh runs the suite inside a private network and PID namespace (unshare --net --pid
 * --kill-child), so every port here is private to the run and, whatever happens to the run,
 * the kernel ends every process it started. Within the run each process is stopped by its PID
 * (SIGTERM, then SIGKILL) when its scenario ends.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { type Credentials, K, Kube, type Obj, waitFor } from './kube.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
/** The function's name in every Composition (examples/composition.yaml). */
export const FUNCTION_NAME = 'function-plana-tenant';

/** Absolute paths from the env files the installers write (scripts/e2e.sh sources them). */
export interface Tools {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  crossplane: string;
  crossplaneCrds: string;
  gatewayApiCrds: string;
  providerKubernetes?: string;
  providerKubernetesCrds?: string;
  crossplaneV1?: string;
  crossplaneV1Crds?: string;
  registry?: string;
}

export function tools(): Tools {
  const need = (name: string): string => {
    const v = process.env[name];
    if (v === undefined || v === '' || !existsSync(v)) {
      throw new Error(
        `${name} is not set or does not exist (${v ?? 'unset'}): run the suite with npm run e2e (scripts/e2e.sh installs and exports the tools)`,
      );
    }
    return v;
  };
  const maybe = (name: string): string | undefined => {
    const v = process.env[name];
    return v !== undefined && v !== '' && existsSync(v) ? v : undefined;
  };
  const t: Tools = {
    etcd: need('ETCD_BIN'),
    kubeApiserver: need('KUBE_APISERVER_BIN'),
    kubeControllerManager: need('KUBE_CONTROLLER_MANAGER_BIN'),
    kubectl: need('KUBECTL_BIN'),
    crossplane: need('CROSSPLANE_CORE_BIN'),
    crossplaneCrds: need('CROSSPLANE_CRDS'),
    gatewayApiCrds: need('GATEWAY_API_CRDS'),
  };
  const opt: [keyof Tools, string][] = [
    ['providerKubernetes', 'PROVIDER_KUBERNETES_BIN'],
    ['providerKubernetesCrds', 'PROVIDER_KUBERNETES_CRDS'],
    ['crossplaneV1', 'CROSSPLANE_V1_BIN'],
    ['crossplaneV1Crds', 'CROSSPLANE_V1_CRDS'],
    ['registry', 'REGISTRY_BIN'],
  ];
  for (const [k, env] of opt) {
    const v = maybe(env);
    if (v !== undefined) t[k] = v;
  }
  return t;
}

// ---------------------------------------------------------------- processes

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

/** Every process of every control plane of this run: the last-resort stop on exit. */
const live = new Set<Proc>();
process.once('exit', () => {
  for (const p of live)
    if (p.child.pid !== undefined)
      try {
        process.kill(p.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
});

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** E2E_DEBUG=1: Crossplane and provider-kubernetes log at debug level (their errors are only there). */
const DEBUG = process.env['E2E_DEBUG'] === '1' ? ['--debug'] : [];

// Distinct ports per control plane of the run: a stopped server's sockets in TIME_WAIT never
// collide with the next scenario's.
let portBase = 20000;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, and leaf certificates it signs (EC P-256, one day). */
export class Pki {
  constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    mkdirSync(dir, { recursive: true });
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }

  get ca(): string {
    return join(this.dir, 'ca.crt');
  }

  /** Writes NAME.crt and NAME.key; subject '/CN=x/O=y'; san like 'IP:127.0.0.1'. */
  leaf(name: string, subject: string, san?: string): { cert: string; key: string } {
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(
      ext,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        ...(san === undefined ? [] : [`subjectAltName=${san}`]),
        '',
      ].join('\n'),
    );
    openssl(this.dir, [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    ]);
    openssl(this.dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      `${name}.crt`,
    ]);
    return { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) };
  }

  /** A folder with ca.crt, tls.crt and tls.key: what Crossplane and the function read. */
  tlsDir(name: string, subject: string, san?: string): string {
    const { cert, key } = this.leaf(name, subject, san);
    const d = join(this.dir, `${name}-tls`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'ca.crt'), readFileSync(this.ca));
    writeFileSync(join(d, 'tls.crt'), readFileSync(cert));
    writeFileSync(join(d, 'tls.key'), readFileSync(key));
    return d;
  }
}

function kubeconfig(file: string, server: string, ca: string, user: { cert: string; key: string } | { token: string }): void {
  const u = 'token' in user ? { token: user.token } : { 'client-certificate': user.cert, 'client-key': user.key };
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': ca } }],
    users: [{ name: 'e2e', user: u }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'e2e' } }],
    'current-context': 'e2e',
  };
  writeFileSync(file, JSON.stringify(cfg, null, 2));
}

/** Both directions of one relayed connection; either end closing closes both. */
function pipe(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = (): void => {
    a.destroy();
    b.destroy();
  };
  a.once('error', end).once('close', end);
  b.once('error', end).once('close', end);
}

/**
 * A kubeconfig that names no file: the CA inline (certificate-authority-data), as one kept in a
 * Secret or read inside a chroot must be. (provider-kubernetes, given the file path in a
 * ProviderConfig's Secret, does not read it, and fails with "certificate signed by unknown
 * authority".)
 */
function selfContainedKubeconfig(file: string): string {
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  for (const c of cfg.clusters) {
    const ca = c.cluster['certificate-authority'];
    if (ca !== undefined) {
      c.cluster['certificate-authority-data'] = readFileSync(ca).toString('base64');
      delete c.cluster['certificate-authority'];
    }
  }
  return JSON.stringify(cfg, null, 2);
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

export interface ControlPlaneOptions {
  /** Label for logs and the run folder. */
  name: string;
}

export interface CrossplaneOptions {
  /** The Crossplane core binary and its CRDs (v2.3.4 by default; v1.20 for claims). */
  bin?: string;
  crds?: string;
  /** 'External': whoever runs a package's runtime sets its revision's endpoint. */
  packageRuntime?: string;
  /** CA bundle Crossplane trusts when pulling packages (the loopback registry's). */
  caBundle?: string;
  /** Extra args for 'core start'. */
  args?: string[];
  /**
   * Crossplane v1 (v1.20): its 'core init' has no CRDS_PATH and reads the CRDs from /crds, where
   * its image holds them; the suite gives it that file system with chroot (see initV1Root).
   */
  v1?: boolean;
}

export class ControlPlane {
  readonly dir: string;
  readonly procs = new Map<string, Proc>();
  readonly ports: { etcd: number; etcdPeer: number; apiserver: number; fn: number; xpMetrics: number; xpHealth: number; free: number };
  readonly tools: Tools;
  private k8sPki!: Pki;
  private fnPki!: Pki;
  admin!: Kube;
  server!: string;
  fnClientTls!: string;
  private providerWebhookPort: number | undefined;
  private providerWebhookTls: string | undefined;
  /** The suite's ends of the relays into namespaces of their own (spawnInOwnNetns). */
  private readonly relays: Server[] = [];

  constructor(readonly opts: ControlPlaneOptions) {
    this.tools = tools();
    const base = (portBase += 20);
    this.ports = {
      etcd: base,
      etcdPeer: base + 1,
      apiserver: base + 2,
      fn: base + 3,
      xpMetrics: base + 4,
      xpHealth: base + 5,
      free: base + 10,
    };
    this.dir = mkdtempSync(join(process.env['E2E_RUN_DIR'] ?? tmpdir(), `e2e-${opts.name}-`));
  }

  /** A port nothing else of this control plane uses. */
  port(): number {
    return this.ports.free++;
  }

  spawn(name: string, bin: string, args: readonly string[], env: Record<string, string> = {}): Proc {
    const log = join(this.dir, `${name}.log`);
    const out = createWriteStream(log);
    const child = spawn(bin, args, {
      cwd: this.dir,
      // Only what the process needs; HOME is the run folder so nothing writes into the real one.
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: this.dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const p: Proc = { name, child, log, exited };
    this.procs.set(name, p);
    live.add(p);
    void exited.then(() => live.delete(p));
    return p;
  }

  /**
   * Starts `bin` in a network namespace of its own, as in its own pod: for controllers with a
   * port no flag moves (controller-runtime's metrics server on :8080 in Crossplane's RBAC manager
   * and in provider-kubernetes v1.2.0), which would otherwise clash on the run's one loopback.
   * Each of `ports` (the API server's) is relayed from the new namespace's 127.0.0.1 to this one's
   * through a Unix socket in the run folder (test/e2e/netns-relay.mjs): only outgoing connections,
   * nothing in that namespace is reachable from outside it. The relay holds the namespace; the
   * program joins it with nsenter (which execs), so both are stopped by their own PIDs.
   */
  async spawnInOwnNetns(
    name: string,
    bin: string,
    args: readonly string[],
    env: Record<string, string>,
    ports: readonly number[],
  ): Promise<Proc> {
    const relayName = `${name}-netns`;
    const specs: string[] = [];
    for (const port of ports) {
      const socket = join(this.dir, `${name}-${port}.sock`);
      const server = createServer((outer) => pipe(outer, connect(port, '127.0.0.1')));
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        server.listen(socket, () => res());
      });
      this.relays.push(server);
      specs.push(`${port}=${socket}`);
    }
    const relay = this.spawn(relayName, 'unshare', [
      '--net',
      '--',
      process.execPath,
      join(REPO, 'test', 'e2e', 'netns-relay.mjs'),
      ...specs,
    ]);
    await waitFor(
      `${relayName} to listen`,
      () => {
        this.assertRunning(relayName);
        return Promise.resolve(readFileSync(relay.log, 'utf8').includes('ready') ? true : undefined);
      },
      30_000,
      100,
    );
    return this.spawn(name, 'nsenter', [`--net=/proc/${relay.child.pid}/ns/net`, '--', bin, ...args], env);
  }

  /** Runs a command to completion (for 'crossplane core init'); throws with its output. */
  async run(name: string, bin: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<void> {
    const p = this.spawn(name, bin, args, env);
    const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
    const code = await p.exited;
    clearTimeout(t);
    this.procs.delete(name);
    if (code !== 0) throw new Error(`${name} exited ${code}:\n${tail(p.log)}`);
  }

  async stopProc(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (p === undefined) return;
    this.procs.delete(name);
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGTERM');
    const done = await Promise.race([p.exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!done) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }

  /** Fails with the process's log when it has died. */
  assertRunning(name: string): void {
    const p = this.procs.get(name);
    if (p === undefined) throw new Error(`${name} was never started`);
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${tail(p.log)}`);
    }
  }

  logOf(name: string): string {
    return join(this.dir, `${name}.log`);
  }

  // ---------------------------------------------------------------- Kubernetes

  async start(): Promise<void> {
    const d = this.dir;
    this.k8sPki = new Pki(join(d, 'pki'), 'e2e-kubernetes-ca');
    const pki = this.k8sPki;
    const serving = pki.leaf('apiserver', '/CN=kube-apiserver', 'IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc');
    const admin = pki.leaf('admin', '/CN=e2e-admin/O=system:masters');
    const kcm = pki.leaf('kcm', '/CN=system:kube-controller-manager');
    openssl(pki.dir, ['genrsa', '-out', 'sa.key', '2048']);
    openssl(pki.dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
    this.server = `https://127.0.0.1:${this.ports.apiserver}`;
    kubeconfig(join(d, 'admin.kubeconfig'), this.server, pki.ca, admin);
    kubeconfig(join(d, 'kcm.kubeconfig'), this.server, pki.ca, kcm);

    this.spawn('etcd', this.tools.etcd, [
      '--name=e2e',
      `--data-dir=${join(d, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${this.ports.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${this.ports.etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${this.ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${this.ports.etcdPeer}`,
      `--initial-cluster=e2e=http://127.0.0.1:${this.ports.etcdPeer}`,
      // A throwaway store: durability costs time and buys nothing here.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitFor('etcd', async () => ((await portOpen(this.ports.etcd)) ? true : (this.assertRunning('etcd'), undefined)), 30_000, 100);

    this.spawn('kube-apiserver', this.tools.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${this.ports.etcd}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${this.ports.apiserver}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      `--client-ca-file=${pki.ca}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(pki.dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki.dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      // RBAC only: Crossplane, its RBAC manager and provider-kubernetes get exactly their roles.
      '--authorization-mode=RBAC',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--endpoint-reconciler-type=none',
    ]);
    const adminCreds: Credentials = {
      server: this.server,
      ca: pki.ca,
      cert: admin.cert,
      key: admin.key,
      kubeconfig: join(d, 'admin.kubeconfig'),
    };
    this.admin = new Kube(adminCreds, this.tools.kubectl);
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        this.assertRunning('kube-apiserver');
        const r = await this.admin.request('GET', '/readyz');
        return r.status === 200 ? true : undefined;
      },
      90_000,
      200,
    );
  }

  /**
   * kube-controller-manager: the garbage collector (Crossplane v2 leaves deleting composed
   * objects to it), namespaces, service accounts. Start it after the CRDs its garbage collector
   * must watch exist (started before, a delete took 24 s instead of 0.5 s).
   * The Job and CronJob controllers stay off: without a kubelet no pod runs, and the suite plays
   * them through the status subresource.
   */
  async startControllerManager(): Promise<void> {
    await this.spawnControllerManager(
      'kube-controller-manager',
      '*,-job-controller,-cronjob-controller,-ttl-after-finished-controller,-clusterrole-aggregation-controller',
    );
  }

  /**
   * The ClusterRole aggregation controller alone, from the start: Crossplane's chart role is
   * nothing but an aggregation rule, so Crossplane has no rights until this has run. (The rest
   * of the controller manager starts later, see startControllerManager.)
   */
  async startRoleAggregation(): Promise<void> {
    await this.spawnControllerManager('kube-controller-manager-aggregation', 'clusterrole-aggregation-controller');
  }

  private async spawnControllerManager(name: string, controllers: string): Promise<void> {
    const d = this.dir;
    mkdirSync(join(d, 'flex'), { recursive: true });
    this.spawn(name, this.tools.kubeControllerManager, [
      `--kubeconfig=${join(d, 'kcm.kubeconfig')}`,
      '--leader-elect=false',
      `--controllers=${controllers}`,
      `--service-account-private-key-file=${join(this.k8sPki.dir, 'sa.key')}`,
      `--root-ca-file=${this.k8sPki.ca}`,
      // Each controller as its own service account, with the bootstrap roles, as in kubeadm clusters.
      '--use-service-account-credentials=true',
      `--flex-volume-plugin-dir=${join(d, 'flex')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${this.port()}`,
      `--authentication-kubeconfig=${join(d, 'kcm.kubeconfig')}`,
      `--authorization-kubeconfig=${join(d, 'kcm.kubeconfig')}`,
      '--concurrent-gc-syncs=5',
    ]);
    await sleep(500);
    this.assertRunning(name);
  }

  /** A service account's kubeconfig (a TokenRequest, as a pod's projected token would be). */
  async serviceAccountKubeconfig(namespace: string, name: string): Promise<{ file: string; kube: Kube }> {
    if ((await this.admin.get(K.namespace, undefined, namespace)) === undefined) {
      await this.admin.create(K.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    }
    if ((await this.admin.get(K.serviceAccount, namespace, name)) === undefined) {
      await this.admin.create(K.serviceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
    }
    const tr = await this.admin.call('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 4 * 3600 },
    });
    const token = (tr['status'] as Obj)['token'] as string;
    const file = join(this.dir, `sa-${namespace}-${name}.kubeconfig`);
    kubeconfig(file, this.server, this.k8sPki.ca, { token });
    return { file, kube: new Kube({ server: this.server, ca: this.k8sPki.ca, token, kubeconfig: file }, this.tools.kubectl) };
  }

  async waitCrdsEstablished(names: readonly string[], timeoutMs = 60_000): Promise<void> {
    for (const n of names) {
      await waitFor(
        `CRD ${n} Established`,
        async () => {
          const c = await this.admin.get(K.crd, undefined, n);
          const conds = ((c?.['status'] as Obj | undefined)?.['conditions'] as { type: string; status: string }[] | undefined) ?? [];
          return conds.some((x) => x.type === 'Established' && x.status === 'True') ? true : undefined;
        },
        timeoutMs,
      );
    }
  }

  crdNames(dir: string): string[] {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => {
        const m = /^\s*name:\s*(\S+)/m.exec(readFileSync(join(dir, f), 'utf8'));
        if (!m?.[1]) throw new Error(`no metadata.name in ${f}`);
        return m[1];
      });
  }

  async applyCrds(dir: string): Promise<void> {
    await this.admin.apply([dir]);
    await this.waitCrdsEstablished(this.crdNames(dir));
  }

  // ---------------------------------------------------------------- Crossplane

  /**
   * Crossplane's own RBAC as its Helm chart installs it, written from the v2.3.4 chart
   * (cluster/charts/crossplane/templates/clusterrole.yaml, rbac-manager-clusterrole.yaml and
   * their bindings): the ClusterRole 'crossplane' has no rules of its own, only an aggregation
   * rule over 'rbac.crossplane.io/aggregate-to-crossplane: "true"'; the chart's base rules come
   * in through 'crossplane:system:aggregate-to-crossplane', the XR types through the RBAC
   * manager's per-XRD roles, and the composed kinds through whatever the user adds
   * (examples/rbac.yaml). Crossplane runs as the service account bound to it, never as admin.
   * `v1`: the v1.20.11 chart's base role instead (crossplane-v1-chart-rbac.yaml).
   */
  async installCrossplaneRbac(v1 = false): Promise<void> {
    const fixtures = join(REPO, 'test', 'e2e', 'fixtures');
    await this.admin.apply([join(fixtures, 'crossplane-chart-rbac.yaml')]);
    if (v1) await this.admin.apply([join(fixtures, 'crossplane-v1-chart-rbac.yaml')]);
    if (!this.procs.has('kube-controller-manager-aggregation')) await this.startRoleAggregation();
    await waitFor('the aggregated ClusterRole crossplane to hold the chart rules', async () => {
      const r = await this.admin.get(K.clusterRole, undefined, 'crossplane');
      const rules = (r?.['rules'] as { apiGroups?: string[] }[] | undefined) ?? [];
      return rules.length > 0 && (!v1 || rules.some((x) => x.apiGroups?.includes('secrets.crossplane.io'))) ? true : undefined;
    });
  }

  /** The function as the built bundle, serving mutual TLS on loopback; returns its endpoint. */
  async startFunction(): Promise<string> {
    this.fnPki ??= new Pki(join(this.dir, 'fn-pki'), 'e2e-function-ca');
    const serverTls = this.fnPki.tlsDir('function', `/CN=${FUNCTION_NAME}`, 'IP:127.0.0.1');
    // Crossplane's side of the mutual TLS: the same CA signs both ends, as Crossplane's own
    // root CA signs its client and the function's server certificate in a cluster.
    this.fnClientTls = this.fnPki.tlsDir('crossplane-client', '/CN=crossplane');
    const bundle = join(REPO, 'dist', 'function.mjs');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: npm run build`);
    this.spawn('function', process.execPath, [bundle, `--tls-certs-dir=${serverTls}`, `--address=127.0.0.1:${this.ports.fn}`]);
    await waitFor(
      'the function to listen',
      async () => (this.assertRunning('function'), (await portOpen(this.ports.fn)) ? true : undefined),
      30_000,
      100,
    );
    return `127.0.0.1:${this.ports.fn}`;
  }

  /**
   * How Crossplane finds a function (internal/xfn in crossplane/crossplane): the Active FunctionRevision labelled
   * pkg.crossplane.io/package=<functionRef.name>, dialled at its status.endpoint. Paused, the
   * package manager leaves it alone; the status is written through the status subresource, as
   * the package manager would write it.
   */
  async registerFunctionRevision(endpoint: string): Promise<void> {
    const name = `${FUNCTION_NAME}-e2e`;
    await this.admin.create(K.functionRevision, {
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'FunctionRevision',
      metadata: { name, labels: { 'pkg.crossplane.io/package': FUNCTION_NAME }, annotations: { 'crossplane.io/paused': 'true' } },
      spec: { desiredState: 'Active', image: 'xpkg.crossplane.io/plana/function-plana-tenant:v0.1.0', revision: 1 },
    });
    await this.admin.patchStatus(K.functionRevision, undefined, name, { endpoint, capabilities: ['composition'] });
  }

  /** 'crossplane core init' then 'core start', as the chart's init container and container do. */
  async startCrossplane(sa: { file: string }, o: CrossplaneOptions = {}): Promise<void> {
    const bin = o.bin ?? this.tools.crossplane;
    const crds = o.crds ?? this.tools.crossplaneCrds;
    const env: Record<string, string> = {
      KUBECONFIG: sa.file,
      POD_NAMESPACE: 'crossplane-system',
      POD_SERVICE_ACCOUNT: 'crossplane',
      CRDS_PATH: crds,
      ENABLE_WEBHOOKS: 'false',
      ...(o.caBundle === undefined ? {} : { CA_BUNDLE_PATH: o.caBundle }),
    };
    // As the chart's init container: it generates Crossplane's CA and TLS Secrets. The running
    // Crossplane reads its client certificate from --tls-client-certs-dir instead (the chart
    // mounts that Secret there); the suite's function trusts the suite's CA.
    // Init applies the CRDs and at once uses them (the Lock): before the API server serves a
    // new CRD it fails, and in a pod the kubelet restarts it. So does the suite, a few times.
    if (o.v1) env['WEBHOOK_ENABLED'] = 'false';
    const init: [string, string[], Record<string, string>] = o.v1
      ? ['chroot', [this.initV1Root(bin, crds, sa.file), '/crossplane', 'core', 'init'], { ...env, KUBECONFIG: '/kubeconfig' }]
      : [bin, ['core', 'init'], env];
    for (let attempt = 1; ; attempt++) {
      try {
        await this.run('crossplane-init', init[0], init[1], {
          ...init[2],
          TLS_CA_SECRET_NAME: 'crossplane-root-ca',
          TLS_SERVER_SECRET_NAME: 'crossplane-tls-server',
          TLS_CLIENT_SECRET_NAME: 'crossplane-tls-client',
        });
        break;
      } catch (e) {
        if (attempt >= 5 || !/no matches for kind/.test((e as Error).message)) throw e;
        await sleep(1000);
      }
    }
    mkdirSync(join(this.dir, 'xpkg-cache'), { recursive: true });
    // v1.20 and v2 alike default to :8080 and :8081, which provider-kubernetes also takes.
    const ports = [`--metrics-port=${this.ports.xpMetrics}`, `--health-probe-port=${this.ports.xpHealth}`];
    this.spawn(
      'crossplane',
      bin,
      [
        'core',
        'start',
        `--package-runtime=${o.packageRuntime ?? 'External'}`,
        `--xpkg-cache-dir=${join(this.dir, 'xpkg-cache')}`,
        `--tls-client-certs-dir=${this.fnClientTls}`,
        ...ports,
        ...(o.args ?? []),
        ...DEBUG,
      ],
      env,
    );
    await sleep(500);
    this.assertRunning('crossplane');
  }

  /**
   * What the chart's init container gives Crossplane v1.20's 'core init': its image's file system,
   * where the CRDs are at /crds (v1.20 has no CRDS_PATH; v2 added it). A folder with the static
   * binary, those CRDs and a kubeconfig with the CA inline, for chroot; nothing outside the run
   * folder changes.
   */
  private initV1Root(bin: string, crds: string, kubeconfigFile: string): string {
    const root = join(this.dir, 'crossplane-v1-root');
    mkdirSync(join(root, 'crds'), { recursive: true });
    const target = join(root, 'crossplane');
    if (!existsSync(target)) {
      try {
        linkSync(bin, target);
      } catch {
        copyFileSync(bin, target);
        chmodSync(target, 0o755);
      }
    }
    for (const f of readdirSync(crds).filter((x) => x.endsWith('.yaml'))) copyFileSync(join(crds, f), join(root, 'crds', f));
    writeFileSync(join(root, 'kubeconfig'), selfContainedKubeconfig(kubeconfigFile));
    return root;
  }

  /**
   * The RBAC manager: per-XRD ClusterRoles aggregated to Crossplane, as in a chart install. Its
   * metrics server takes :8080 with no flag to move it, so it runs in a network namespace of its
   * own, reaching the API server through a relay (spawnInOwnNetns).
   */
  async startRbacManager(sa: { file: string }, bin?: string): Promise<void> {
    await this.spawnInOwnNetns('crossplane-rbac-manager', bin ?? this.tools.crossplane, ['rbac', 'start'], { KUBECONFIG: sa.file }, [
      this.ports.apiserver,
    ]);
    await sleep(300);
    this.assertRunning('crossplane-rbac-manager');
  }

  /**
   * provider-kubernetes's CRDs, as its package manager would install them: the Object CRD
   * converts between versions through the provider's webhook, whose address Crossplane fills
   * in. Out of cluster that is the provider's webhook server on loopback, with the suite's CA.
   */
  async applyProviderKubernetesCrds(): Promise<void> {
    const dir = this.tools.providerKubernetesCrds;
    if (dir === undefined) throw new Error('PROVIDER_KUBERNETES_CRDS is not set: scripts/install-e2e-tools.sh provider-kubernetes');
    this.fnPki ??= new Pki(join(this.dir, 'fn-pki'), 'e2e-function-ca');
    // v1.2.0 has no webhook port flag: its webhook server always listens on 9443.
    this.providerWebhookPort ??= 9443;
    this.providerWebhookTls ??= this.fnPki.tlsDir('provider-webhook', '/CN=provider-kubernetes', 'IP:127.0.0.1');
    const caBundle = readFileSync(this.fnPki.ca).toString('base64');
    const names: string[] = [];
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const crd = parseYaml(readFileSync(join(dir, f), 'utf8')) as Obj;
      const spec = crd['spec'] as Obj;
      const conv = spec['conversion'] as Obj | undefined;
      if (conv?.['strategy'] === 'Webhook') {
        const webhook = (conv['webhook'] as Obj | undefined) ?? {};
        conv['webhook'] = { ...webhook, clientConfig: { url: `https://127.0.0.1:${this.providerWebhookPort}/convert`, caBundle } };
      }
      names.push((crd['metadata'] as Obj)['name'] as string);
      await this.admin.applyDoc(crd);
    }
    await this.waitCrdsEstablished(names);
  }

  /**
   * provider-kubernetes run out of cluster as its own service account (crossplane-system/
   * provider-kubernetes, with the roles Crossplane's RBAC manager would give an installed
   * provider: test/e2e/fixtures/provider-kubernetes-rbac.yaml). Its ProviderConfigs name a
   * Secret holding a kubeconfig for that same account, so what it may do to the tenant's
   * objects is exactly what examples/rbac-object-mode.yaml grants. (InjectedIdentity needs a
   * pod's in-cluster config, which an out-of-cluster process has not.) It runs in the run's
   * own network namespace, where the API server reaches its conversion webhook on 9443; its
   * metrics server takes :8080 there (no flag in v1.2.0), which is why the RBAC manager, the
   * other controller without such a flag, has a namespace of its own.
   */
  async startProviderKubernetes(): Promise<void> {
    const bin = this.tools.providerKubernetes;
    if (bin === undefined) throw new Error('PROVIDER_KUBERNETES_BIN is not set: scripts/install-e2e-tools.sh provider-kubernetes');
    await this.admin.apply([
      join(REPO, 'test', 'e2e', 'fixtures', 'provider-kubernetes-rbac.yaml'),
      join(REPO, 'examples', 'rbac-object-mode.yaml'),
    ]);
    const sa = await this.serviceAccountKubeconfig('crossplane-system', 'provider-kubernetes');
    await this.admin.applyDoc({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'provider-kubernetes-kubeconfig', namespace: 'crossplane-system' },
      stringData: { kubeconfig: selfContainedKubeconfig(sa.file) },
    });
    this.fnPki ??= new Pki(join(this.dir, 'fn-pki'), 'e2e-function-ca');
    // v1.2.0 has no webhook port flag: its webhook server always listens on 9443.
    this.providerWebhookPort ??= 9443;
    this.providerWebhookTls ??= this.fnPki.tlsDir('provider-webhook', '/CN=provider-kubernetes', 'IP:127.0.0.1');
    const webhookTls = this.providerWebhookTls;
    this.spawn(
      'provider-kubernetes',
      bin,
      [
        `--health-probe-bind-addr=127.0.0.1:${this.port()}`,
        // Check the Objects' manifests often: the suite plays status changes and waits for them.
        '--poll=5s',
        '--sync=1m',
        ...DEBUG,
      ],
      { KUBECONFIG: sa.file, TLS_SERVER_CERTS_DIR: webhookTls },
    );
    await sleep(500);
    this.assertRunning('provider-kubernetes');
  }

  async stop(): Promise<void> {
    // The controllers first, the store last.
    const order = [
      'crossplane',
      'crossplane-rbac-manager',
      'crossplane-rbac-manager-netns',
      'provider-kubernetes',
      'function',
      'registry',
      'kube-controller-manager',
      'kube-controller-manager-aggregation',
      'kube-apiserver',
      'etcd',
    ];
    const names = [...this.procs.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    for (const n of names) await this.stopProc(n);
    for (const r of this.relays.splice(0)) r.close();
    if (process.env['E2E_KEEP'] === undefined) rmSync(this.dir, { recursive: true, force: true });
    else console.log(`[e2e] kept ${this.dir}`);
  }

  /** The last lines of every process log: what a failing scenario prints. */
  diagnostics(): string {
    return [...this.procs.values()].map((p) => `--- ${p.name} (${p.log})\n${tail(p.log, 25)}`).join('\n');
  }
}

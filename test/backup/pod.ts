/**
 * Runs a pod spec the way the kubelet would, on this machine, with no container runtime:
 * each container in order (init containers one after the other, then the containers), each in
 * its own mount namespace (`unshare -m`) whose root is the image's root filesystem bound
 * read-only (readOnlyRootFilesystem), with the pod's volumes bound at their mount paths, started
 * as the pod's uid and gid with no supplementary groups and no new privileges
 * (`setpriv ... env -i`), with exactly the image's ENV and the container's env — secretKeyRef and
 * configMapKeyRef resolved from the test's Secrets and ConfigMaps — and the container's command
 * and args. An emptyDir with a sizeLimit is a tmpfs of that size; without one, a plain directory
 * (unbounded, as on a node). The network is the host's loopback: the servers the pod talks to
 * listen there.
 *
 * What differs from a kubelet, on purpose: no cgroups (CPU and memory limits are not enforced),
 * no network namespace, no seccomp profile. What the tests add is passed in `extraEnv` and
 * `extraMounts` and named by each test that uses it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IContainer, IEnvVar, IPodSpec } from 'kubernetes-models/v1';

export interface ContainerRun {
  readonly name: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface PodRun {
  readonly phase: 'Succeeded' | 'Failed';
  readonly containers: readonly ContainerRun[];
  /** The host directories behind the pod's emptyDirs, by volume name (gone after cleanup()). */
  readonly emptyDirs: Readonly<Record<string, string>>;
  readonly cleanup: () => Promise<void>;
}

export interface PodOptions {
  /** The image's root filesystem (scripts/build-backup-image.sh). */
  readonly rootfs: string;
  /** The image's ENV, NAME=VALUE per entry, which the container's env extends. */
  readonly imageEnv: readonly string[];
  /** Host directories behind PersistentVolumeClaims, by claim name. */
  readonly claims?: Readonly<Record<string, string>>;
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly configMaps?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Files bound read-only over paths of the image, e.g. the CA bundle a cluster would install. */
  readonly files?: Readonly<Record<string, string>>;
  /** Test-only additions to a container's environment, by container name. */
  readonly extraEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Called while a container runs, every 20 ms; returning true kills its whole process group. */
  readonly killWhen?: (container: string) => boolean;
  /** Called once when a container starts. */
  readonly onStart?: (container: string) => void;
  readonly timeoutMs?: number;
}

/** Bytes of a Kubernetes quantity (the forms the Input allows). */
export function quantityBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (m === null) throw new Error(`not a quantity: ${q}`);
  const factor: Record<string, number> = {
    '': 1,
    m: 0.001,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Math.floor(Number(m[1]) * (factor[m[2] ?? ''] ?? 1));
}

// The mount namespace's setup, a constant: every path reaches it as an argument.
//   $1 root mount point, $2 rootfs, $3 uid, $4 gid, $5 working dir, then SRC DST MODE triples
//   up to "--", then the environment (NAME=VALUE...) up to "--", then the command.
const SETUP = String.raw`set -euo pipefail
root=$1 rootfs=$2 uid=$3 gid=$4 workdir=$5
shift 5
mount --bind "$rootfs" "$root"
while [ "$1" != -- ]; do
  src=$1 dst=$2 mode=$3
  shift 3
  mount --bind "$src" "$root$dst"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$root$dst"; fi
done
shift
mount -t tmpfs -o mode=0755,size=64k tmpfs "$root/dev"
for d in null zero random urandom; do touch "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done
mount -t proc proc "$root/proc"
mount -o remount,bind,ro "$root"
env=()
while [ "$1" != -- ]; do env+=("$1"); shift; done
shift
exec chroot "$root" /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs \
  /usr/bin/env -i --chdir="$workdir" "\${env[@]}" "$@"
`.replaceAll('\\${', '${');

function resolveEnv(env: readonly IEnvVar[], opts: PodOptions): string[] {
  return env.map((e) => {
    if (e.value !== undefined) return `${e.name}=${e.value}`;
    const s = e.valueFrom?.secretKeyRef;
    if (s !== undefined) {
      const v = opts.secrets?.[s.name ?? '']?.[s.key];
      if (v === undefined) throw new Error(`env ${e.name}: no key ${s.key} in test Secret ${s.name}`);
      return `${e.name}=${v}`;
    }
    const c = e.valueFrom?.configMapKeyRef;
    if (c !== undefined) {
      const v = opts.configMaps?.[c.name ?? '']?.[c.key];
      if (v === undefined) throw new Error(`env ${e.name}: no key ${c.key} in test ConfigMap ${c.name}`);
      return `${e.name}=${v}`;
    }
    throw new Error(`env ${e.name}: only value, secretKeyRef and configMapKeyRef are supported`);
  });
}

function runProcess(args: string[], container: string, opts: PodOptions): Promise<ContainerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'bash', '-c', SETUP, 'setup', ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    opts.onStart?.(container);
    const kill = (): void => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const poll = setInterval(() => {
      if (opts.killWhen?.(container) === true) kill();
    }, 20);
    const timer = setTimeout(kill, opts.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ name: container, exitCode, signal, stdout, stderr });
    });
  });
}

/** Runs the pod to its end. Init containers stop the pod at their first failure
 * (restartPolicy Never); the upload container never starts then. */
export async function runPod(spec: IPodSpec, opts: PodOptions): Promise<PodRun> {
  const base = mkdtempSync(join(tmpdir(), 'plana-pod-'));
  chmodSync(base, 0o755);
  const emptyDirs: Record<string, string> = {};
  const tmpfsMounts: string[] = [];
  const volumes: Record<string, { path: string; readOnly: boolean }> = {};
  for (const v of spec.volumes ?? []) {
    if (v.emptyDir !== undefined) {
      const dir = join(base, 'volumes', v.name);
      mkdirSync(dir, { recursive: true });
      if (v.emptyDir.sizeLimit !== undefined) {
        await exec('mount', ['-t', 'tmpfs', '-o', `size=${quantityBytes(String(v.emptyDir.sizeLimit))},mode=0777`, 'tmpfs', dir]);
        tmpfsMounts.push(dir);
      }
      chmodSync(dir, 0o777); // what the kubelet gives an emptyDir
      emptyDirs[v.name] = dir;
      volumes[v.name] = { path: dir, readOnly: false };
    } else if (v.persistentVolumeClaim !== undefined) {
      const path = opts.claims?.[v.persistentVolumeClaim.claimName];
      if (path === undefined) throw new Error(`volume ${v.name}: no test directory for claim ${v.persistentVolumeClaim.claimName}`);
      volumes[v.name] = { path, readOnly: v.persistentVolumeClaim.readOnly === true };
    } else {
      throw new Error(`volume ${v.name}: only emptyDir and persistentVolumeClaim are supported`);
    }
  }
  const uid = spec.securityContext?.runAsUser;
  const gid = spec.securityContext?.runAsGroup;
  if (uid === undefined || gid === undefined) throw new Error('the pod must set runAsUser and runAsGroup');

  const runContainer = (c: IContainer): Promise<ContainerRun> => {
    const root = join(base, 'root', c.name);
    mkdirSync(root, { recursive: true });
    const ro = c.securityContext?.readOnlyRootFilesystem === true;
    if (!ro) throw new Error(`container ${c.name}: the harness runs read-only roots only`);
    const mounts: string[] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = volumes[m.name];
      if (v === undefined) throw new Error(`container ${c.name}: no volume ${m.name}`);
      // The runtime creates a mount point that the image lacks.
      mkdirSync(join(opts.rootfs, m.mountPath), { recursive: true });
      mounts.push(v.path, m.mountPath, v.readOnly || m.readOnly === true ? 'ro' : 'rw');
    }
    for (const [dst, src] of Object.entries(opts.files ?? {})) {
      if (!existsSync(join(opts.rootfs, dst))) writeFileSync(join(opts.rootfs, dst), '');
      mounts.push(src, dst, 'ro');
    }
    const env = [
      ...opts.imageEnv,
      ...resolveEnv(c.env ?? [], opts),
      ...Object.entries(opts.extraEnv?.[c.name] ?? {}).map(([k, v]) => `${k}=${v}`),
    ];
    const command = [...(c.command ?? []), ...(c.args ?? [])];
    if (command.length === 0) throw new Error(`container ${c.name}: the harness needs an explicit command`);
    return runProcess(
      [root, opts.rootfs, String(uid), String(gid), c.workingDir ?? '/', ...mounts, '--', ...env, '--', ...command],
      c.name,
      opts,
    );
  };

  const containers: ContainerRun[] = [];
  let phase: PodRun['phase'] = 'Succeeded';
  for (const c of spec.initContainers ?? []) {
    const r = await runContainer(c);
    containers.push(r);
    if (r.exitCode !== 0) {
      phase = 'Failed';
      break;
    }
  }
  if (phase === 'Succeeded') {
    const runs = await Promise.all(spec.containers.map(runContainer));
    containers.push(...runs);
    if (runs.some((r) => r.exitCode !== 0)) phase = 'Failed';
  }
  const cleanup = async (): Promise<void> => {
    for (const dir of tmpfsMounts) await exec('umount', [dir]);
    await exec('rm', ['-rf', base]);
  };
  return { phase, containers, emptyDirs, cleanup };
}

/** Runs a host command; rejects with its output when it fails. */
export function exec(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${String(code)}: ${err}${out}`)),
    );
    child.stdin.on('error', () => undefined); // a command that reads no input closes it early
    child.stdin.end(options.input ?? '');
  });
}

/** The image's ENV as scripts/build-backup-image.sh recorded it. */
export function readImageEnv(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('='));
}

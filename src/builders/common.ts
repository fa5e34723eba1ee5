/**
 * What every composed pod shares: the restricted Pod Security Standard, and script containers
 * that take user values only as data.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
 */
import type { IContainer, IPodSecurityContext, IResourceRequirements, ISecurityContext } from 'kubernetes-models/v1';

/** Pod-level restricted settings. The pod runs as the Odoo user so files it touches stay Odoo's. */
export function podSecurity(runAs: { readonly uid: number; readonly gid: number }): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: runAs.uid,
    runAsGroup: runAs.gid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level restricted settings, plus a read-only root filesystem. */
export const CONTAINER_SECURITY: ISecurityContext = Object.freeze({
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
});

export interface Resources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export function resourceRequirements(r: Resources): IResourceRequirements {
  return {
    requests: { cpu: r.requests.cpu, memory: r.requests.memory },
    limits: { cpu: r.limits.cpu, memory: r.limits.memory },
  };
}

/** A `sh -c` container whose script is a constant: user values reach it only through `env`. */
export function scriptContainer(
  name: string,
  image: string,
  script: string,
  env: NonNullable<IContainer['env']>,
  volumeMounts: NonNullable<IContainer['volumeMounts']>,
  resources: Resources,
): IContainer {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/sh', '-c', script],
    env,
    resources: resourceRequirements(resources),
    securityContext: { ...CONTAINER_SECURITY, capabilities: { drop: ['ALL'] } },
    volumeMounts,
  };
}

/** A plain environment variable. */
export const envVar = (name: string, value: string): { name: string; value: string } => ({ name, value });

/** An environment variable read from a Secret, so no credential ever appears in the object. */
export const secretEnv = (name: string, ref: { readonly name: string; readonly key: string }) => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

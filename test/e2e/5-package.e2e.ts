/**
 * Scenario 5: the package itself. The built xpkg (.cache/xpkg/function-plana-tenant.xpkg, from
 * scripts/build-xpkg.sh) is pushed with the real Crossplane CLI to a registry on loopback
 * (distribution, TLS with the run's own CA), installed through Crossplane's real package manager
 * with the External package runtime, and called where the suite runs it: the FunctionRevision
 * the package manager made gets the endpoint of the function, as whoever runs an External
 * runtime sets it. Crossplane reads crossplane.yaml and the package's contents, not our smoke test.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAME, Pki, REPO } from './cluster.js';
import { condition, field, K, meta, waitFor } from './kube.js';
import { playGateway, playJob, waitConditions } from './play.js';
import { applyExample, EXAMPLES, startV2, type V2 } from './v2.js';

const run = promisify(execFile);
const XPKG = join(REPO, '.cache', 'xpkg', 'function-plana-tenant.xpkg');

let env: V2;
let ref: string;
/** The registry's CA, made before the control plane (Crossplane is started trusting it). */
let pki: Pki | undefined;

beforeAll(async () => {
  if (!existsSync(XPKG)) throw new Error(`${XPKG} is missing: scripts/build-xpkg.sh builds it (scripts/e2e.sh runs it when missing)`);
  const cli = process.env['CROSSPLANE_BIN'];
  if (cli === undefined) throw new Error('CROSSPLANE_BIN is not set: scripts/install-tools.sh crossplane');
  // The registry's own CA, which Crossplane is told to trust (the chart's registryCaBundleConfig).
  const registryPki = new Pki(mkdtempSync(join(process.env['E2E_RUN_DIR'] ?? tmpdir(), 'e2e-registry-pki-')), 'e2e-registry-ca');
  pki = registryPki;
  const tls = registryPki.leaf('registry', '/CN=registry', 'IP:127.0.0.1');
  env = await startV2('package', { functionRevision: false, caBundle: registryPki.ca });
  const cp = env.cp;
  const registry = cp.tools.registry;
  if (registry === undefined) throw new Error('REGISTRY_BIN is not set: scripts/install-e2e-tools.sh registry');
  const dir = join(cp.dir, 'registry');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const port = cp.port();
  writeFileSync(
    join(dir, 'config.yml'),
    JSON.stringify({
      version: 0.1,
      log: { level: 'warn' },
      storage: { filesystem: { rootdirectory: join(dir, 'data') } },
      http: { addr: `127.0.0.1:${port}`, tls: { certificate: tls.cert, key: tls.key } },
    }),
  );
  cp.spawn('registry', registry, ['serve', join(dir, 'config.yml')]);
  ref = `127.0.0.1:${port}/plana/function-plana-tenant:v0.1.0`;
  // The real CLI pushes the package; it trusts the registry through SSL_CERT_FILE.
  await waitFor(
    'the package to be pushed to the registry',
    async () => {
      cp.assertRunning('registry');
      await run(cli, ['xpkg', 'push', '--package-files', XPKG, ref], {
        env: { PATH: process.env['PATH'] ?? '', HOME: cp.dir, SSL_CERT_FILE: registryPki.ca },
      });
      return true;
    },
    60_000,
    1000,
  );
}, 420_000);

afterAll(async () => {
  await env?.cp.stop();
  // Outside the control plane's folder, so stop() does not remove it; it was left behind each run.
  if (pki !== undefined && process.env['E2E_KEEP'] === undefined) rmSync(pki.dir, { recursive: true, force: true });
});

describe('scenario 5: the xpkg installed by Crossplane from a registry on loopback (External runtime)', () => {
  it('the package manager pulls the package, reads crossplane.yaml and makes an Active revision', async () => {
    await env.admin.applyDoc({
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Function',
      metadata: { name: FUNCTION_NAME },
      spec: { package: ref },
    });
    const rev = await waitFor(
      'a FunctionRevision for the package',
      async () => {
        const l = await env.admin.list(K.functionRevision, undefined, `pkg.crossplane.io/package=${FUNCTION_NAME}`);
        return l.length === 1 ? l[0] : undefined;
      },
      120_000,
    ).catch(async (e: Error) => {
      const fn = await env.admin.get(K.function, undefined, FUNCTION_NAME);
      throw new Error(`${e.message}\nFunction conditions: ${JSON.stringify(field(fn, 'status', 'conditions'))}`);
    });
    expect(field(rev, 'spec', 'desiredState')).toBe('Active');
    expect(field(rev, 'spec', 'image')).toBe(ref);
    await waitConditions(env.admin, K.function, undefined, FUNCTION_NAME, [{ type: 'Installed', status: 'True' }], 120_000);
    // What the package manager concluded from the package's contents. A package whose
    // crossplane.yaml asks for another Crossplane is still Installed, with RevisionHealthy=False
    // "incompatible Crossplane version" (tried with spec.crossplane.version ">=v99.0.0"). Ours
    // passes that check and the next one stops where the External runtime's own controller, which
    // the suite does not play, would take over: the webhook TLS Secret for the package's objects.
    const name = meta(rev)['name'] as string;
    let last: ReturnType<typeof condition>;
    await waitFor(
      'the revision past the package checks (RevisionHealthy)',
      async () => {
        last = condition(await env.admin.get(K.functionRevision, undefined, name), 'RevisionHealthy');
        return last?.status === 'True' ||
          (last?.message ?? '').includes("waiting for package runtime controller to set revision's webhook TLS secret")
          ? true
          : undefined;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nRevisionHealthy: ${JSON.stringify(last)}`);
    });
  });

  it('with the endpoint set on that revision, Crossplane calls the function over mTLS and the tenant becomes Ready', async () => {
    const [rev] = await env.admin.list(K.functionRevision, undefined, `pkg.crossplane.io/package=${FUNCTION_NAME}`);
    const endpoint = `127.0.0.1:${env.cp.ports.fn}`;
    await env.admin.patchStatus(K.functionRevision, undefined, meta(rev!)['name'] as string, { endpoint });
    // No wait for the Function's Healthy: with the External runtime it stays False here (the
    // revision waits for the runtime's webhook TLS Secret, see above), and the wait that was here
    // only cost 60 s per run. Crossplane calls whatever endpoint the Active revision names.

    await applyExample(env.admin, join(EXAMPLES, 'xr.yaml'));
    const route = await waitFor("acme's HTTPRoute", () => env.admin.get(K.httpRoute, 'plana-odoo-18', 'acme'), 90_000);
    await playGateway(env.admin, 'plana-odoo-18', 'acme');
    const jobs = await waitFor("acme's Job", async () => {
      const l = await env.admin.list(K.job, 'crossplane-system', 'crossplane.io/composite=acme');
      return l.length === 1 ? l : undefined;
    });
    await playJob(env.admin, 'crossplane-system', meta(jobs[0]!)['name'] as string, 'Complete');
    const xr = await waitConditions(env.admin, K.planaClient, undefined, 'acme', [{ type: 'Ready', status: 'True' }]);
    expect(condition(xr, 'RouteReady')?.reason).toBe('Accepted');
    void route;
  });

  it("accepts the production deployment (examples/production/: Function, DeploymentRuntimeConfig, PodDisruptionBudget) against Crossplane's real CRDs, and refuses a broken one", async () => {
    // A server-side dry run: the API server validates and admits each object, nothing is stored.
    const out = await env.admin.kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--dry-run=server',
      '-f',
      join(EXAMPLES, 'production'),
    ]);
    for (const kind of ['function.pkg.crossplane.io', 'deploymentruntimeconfig.pkg.crossplane.io', 'poddisruptionbudget.policy']) {
      expect(out).toContain(`${kind}/function-plana-tenant serverside-applied (server dry run)`);
    }
    const broken = {
      apiVersion: 'pkg.crossplane.io/v1beta1',
      kind: 'DeploymentRuntimeConfig',
      metadata: { name: 'broken' },
      spec: { deploymentTemplate: { spec: { replicas: 'two' } } },
    };
    await expect(env.admin.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], JSON.stringify(broken))).rejects.toThrow(
      /replicas/,
    );
  });
});

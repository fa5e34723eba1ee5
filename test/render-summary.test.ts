/**
 * scripts/render-summary.mjs, what `npm run render` prints per scenario (issue 13): read from
 * the goldens the real `crossplane render` produced, each summary fits on one screen and says
 * what matters (conditions, objects, warnings, the Fatal) and where the full output is.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'render-summary-'));
const summary = (name: string, exit: string, stderr = ''): string[] => {
  const err = join(dir, `${name}.stderr`);
  writeFileSync(err, stderr);
  const out = execFileSync(
    process.execPath,
    [
      'scripts/render-summary.mjs',
      name,
      'crossplane-v2.5.0 + crossplane-core-v2.3.4',
      'examples/xr.yaml',
      '-',
      exit,
      `examples/rendered/${name}.yaml`,
      err,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '' },
    },
  );
  return out.trimEnd().split('\n');
};

describe('the render summary', () => {
  it.each([
    'acme',
    'acme-ready',
    'acme-degraded',
    'boreal-v19-alias',
    'zora-enterprise',
    'namespaced',
    'namespaced-ready',
    'v1',
    'v1-ready',
  ])('%s fits on a screen (at most 24 lines of at most 120 columns) and names its full output', (name) => {
    const lines = summary(name, '0');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
    expect(lines.at(-1)).toMatch(new RegExp(`^    full output: examples/rendered/${name}\\.yaml \\(\\d+ lines\\)$`));
  });

  it('shows the degraded tenant: Ready first, each concern, the objects and every warning', () => {
    const lines = summary('acme-degraded', '0');
    expect(lines.slice(1, 6)).toEqual([
      '    PLANAClient acme  https://acme.planapulse.app',
      expect.stringMatching(/^ {4}Ready {11}False {2}Creating {7}Unready resources: /),
      expect.stringMatching(/^ {4}RouteReady {6}False {2}RouteRejected {2}listener https-app of Gateway plana-odoo\/eg-gateway rejected/),
      expect.stringMatching(/^ {4}FilestoreReady {2}False {2}JobFailed {6}the filestore Job failed/),
      expect.stringMatching(/^ {4}BackupHealthy {3}False {2}LastRunFailed {2}the last scheduled backup run ended without success/),
    ]);
    // Pipeline names carry hashes that other changes move: match the rest of the row.
    expect(lines).toContainEqual(expect.stringMatching(/^ {6}backup\S* +ready +CronJob +backup\/backup-acme$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {6}route\S* +not ready +HTTPRoute +plana-odoo-18\/acme$/));
    expect(lines).toContain('    warnings (3):');
    // Warnings are wrapped, never cut: the whole message is there.
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain(
      'NotAllowedByListeners: No listeners included by this parent ref allowed this attachment.',
    );
  });

  it('shows what each provider-kubernetes Object wraps', () => {
    expect(summary('namespaced-ready', '0')).toContainEqual(
      expect.stringMatching(/^ {6}route\S* +ready +HTTPRoute +plana-odoo-18\/acme \(in Object crossplane-system\/\S+\)$/),
    );
  });

  it('shows the Fatal of a rejected XR, whole', () => {
    const stderr =
      'crossplane: error: cannot render composite resource: pipeline step "tenant" returned a fatal result: spec.subdomain: "x; rm -rf /" is not allowed: must be a DNS label of lowercase letters, digits and inner hyphens, at most 30 characters\n';
    const text = summary('invalid', '1', stderr).join('\n');
    expect(text).toContain('    Fatal  spec.subdomain: "x; rm -rf /" is not allowed');
    expect(text.replace(/\s+/g, ' ')).toContain('inner hyphens, at most 30 characters');
    expect(text).toContain('nothing composed');
  });
});

/**
 * The README's Troubleshooting table names every Fatal, Warning and condition reason the code
 * can return (issue 13): the reasons are read from src/, so a new one fails here until the
 * table says what it means and what to do.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const code = sources('src')
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

/** The call shapes that return a reason: a readiness verdict, a backup health, a Fatal result. */
const PATTERNS = [
  /\bverdict\(\s*(?:true|false)\s*,\s*(?:true|false)\s*,\s*'([A-Za-z]+)'/g,
  /\bhealth\(\s*'(?:True|False|Unknown)'\s*,\s*(?:true|false)\s*,\s*'([A-Za-z]+)'/g,
  /\bfatal\(\s*req\s*,\s*'([A-Za-z]+)'\s*,/g,
  /\breason = [^;]*?\? '([A-Za-z]+)' : '([A-Za-z]+)'/g,
];
const reasons = new Set(PATTERNS.flatMap((p) => [...code.matchAll(p)].flatMap((m) => m.slice(1).filter((r) => r !== undefined))));

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('## Troubleshooting'), readme.indexOf('\n## ', readme.indexOf('## Troubleshooting') + 1));
const documented = new Set(
  [...section.matchAll(/^\| (`[A-Za-z]+`(?:, `[A-Za-z]+`)*) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([A-Za-z]+)`/g)].map((r) => r[1]!)),
);

describe('README Troubleshooting', () => {
  it('finds the reasons in src/ (the patterns still match the code)', () => {
    for (const r of ['InvalidSpec', 'InvalidInput', 'ResourceNameConflict', 'InternalError', 'RouteRejected', 'JobFailed', 'BackupStale'])
      expect(reasons).toContain(r);
  });

  it('names every reason the code can return, and no other', () => {
    // 'Scheduled' is the backup CronJob's readiness reason: it is never a condition or a result.
    const returned = [...reasons].filter((r) => r !== 'Scheduled').sort();
    expect([...documented].sort()).toEqual(returned);
  });
});

/**
 * The versions scripts/versions.sh pins, for tests that need one (a cached tool's path, the
 * backup image's tag). Read through bash, not parsed here: the file is shell, and a value may be
 * built from others (BACKUP_IMAGE from RCLONE_VERSION).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
const FILE = join(REPO, 'scripts/versions.sh');
const NAMES = [...readFileSync(FILE, 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] ?? '');
const VALUES = execFileSync('bash', ['-c', '. "$0"; for n in "$@"; do printf "%s\\0" "${!n}"; done', FILE, ...NAMES], {
  encoding: 'utf8',
}).split('\0');

export const PINNED: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(NAMES.map((n, i) => [n, VALUES[i] ?? ''])));

/** The value scripts/versions.sh gives NAME; throws for a name it does not pin. */
export function pinned(name: string): string {
  const v = PINNED[name];
  if (v === undefined || v === '') throw new Error(`scripts/versions.sh pins no ${name} (it pins ${NAMES.join(', ')})`);
  return v;
}

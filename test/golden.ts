/**
 * Golden YAML files under test/golden/: committed, read by reviewers, compared whole.
 * `npm run golden:update` rewrites them; a normal test run never does.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { expect } from 'vitest';

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

export function expectGolden(name: string, value: unknown): void {
  const path = `test/golden/${name}.yaml`;
  const text = stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
  if (UPDATE) writeFileSync(path, text);
  expect(existsSync(path), `${path} is missing: run npm run golden:update and review it`).toBe(true);
  expect(text).toBe(readFileSync(path, 'utf8'));
}

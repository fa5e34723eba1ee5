/**
 * Regenerates what derives from src/input/schema.ts: the Input CRD under package/ and the
 * Input reference table in README.md (between its markers). `npm run gen`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { inputCrdYaml, inputReferenceTable } from '../src/input/crd.js';

export const CRD_PATH = 'package/input/tenant.fn.planapulse.com_inputs.yaml';
export const README_PATH = 'README.md';
export const BEGIN = '<!-- BEGIN GENERATED INPUT REFERENCE (npm run gen) -->';
export const END = '<!-- END GENERATED INPUT REFERENCE -->';

/** README text with the reference table replaced by the current one. */
export function withReference(readme: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${README_PATH} has no ${BEGIN} ... ${END} block`);
  return `${readme.slice(0, start + BEGIN.length)}\n${inputReferenceTable()}\n${readme.slice(end)}`;
}

if (process.argv[1]?.endsWith('gen-package.js') === true) {
  writeFileSync(CRD_PATH, inputCrdYaml());
  writeFileSync(README_PATH, withReference(readFileSync(README_PATH, 'utf8')));
  console.log(`wrote ${CRD_PATH} and the Input reference in ${README_PATH}`);
}

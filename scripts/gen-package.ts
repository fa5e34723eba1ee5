/**
 * Regenerates what derives from the two schemas: from src/input/schema.ts the Input CRD under
 * package/ and the Input reference table in README.md; from src/xr/schema.ts the three XRDs
 * under examples/ and the README's XR and XR status tables (each table between its markers).
 * `npm run gen`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { inputCrdYaml, inputReferenceTable } from '../src/input/crd.js';
import { XRD_VARIANTS, xrdYaml, xrSpecTable, xrStatusTable } from '../src/xr/xrd.js';

export const CRD_PATH = 'package/input/tenant.fn.planapulse.com_inputs.yaml';
export const README_PATH = 'README.md';
export const BEGIN = '<!-- BEGIN GENERATED INPUT REFERENCE (npm run gen) -->';
export const END = '<!-- END GENERATED INPUT REFERENCE -->';

/** A generated README table and the markers around it. */
export interface Block {
  readonly begin: string;
  readonly end: string;
  readonly table: () => string;
}

export const INPUT_BLOCK: Block = { begin: BEGIN, end: END, table: inputReferenceTable };
export const XR_BLOCK: Block = {
  begin: '<!-- BEGIN GENERATED XR REFERENCE (npm run gen) -->',
  end: '<!-- END GENERATED XR REFERENCE -->',
  table: xrSpecTable,
};
export const XR_STATUS_BLOCK: Block = {
  begin: '<!-- BEGIN GENERATED XR STATUS (npm run gen) -->',
  end: '<!-- END GENERATED XR STATUS -->',
  table: xrStatusTable,
};

/** README text with one block's table replaced by the current one. */
export function withBlock(readme: string, block: Block): string {
  const start = readme.indexOf(block.begin);
  const end = readme.indexOf(block.end);
  if (start < 0 || end < start) throw new Error(`${README_PATH} has no ${block.begin} ... ${block.end} block`);
  return `${readme.slice(0, start + block.begin.length)}\n${block.table()}\n${readme.slice(end)}`;
}

/** README text with the Input reference table replaced by the current one. */
export const withReference = (readme: string): string => withBlock(readme, INPUT_BLOCK);

/** README text with every generated table replaced by the current one. */
export const withGenerated = (readme: string): string => [INPUT_BLOCK, XR_BLOCK, XR_STATUS_BLOCK].reduce(withBlock, readme);

if (process.argv[1]?.endsWith('gen-package.ts') === true) {
  writeFileSync(CRD_PATH, inputCrdYaml());
  for (const variant of XRD_VARIANTS) writeFileSync(variant.file, xrdYaml(variant));
  writeFileSync(README_PATH, withGenerated(readFileSync(README_PATH, 'utf8')));
  console.log(`wrote ${CRD_PATH}, ${XRD_VARIANTS.map((v) => v.file).join(', ')} and the Input, XR and XR status tables in ${README_PATH}`);
}

// One screen per rendered scenario, for `npm run render` (scripts/render.sh): what a person
// wants to see first, with the full YAML left in the file it names.
//
//   node scripts/render-summary.mjs NAME CLI XR OBSERVED EXIT OUTPUT STDERR
//
// OUTPUT is the normalized `crossplane render -r` stream, STDERR what the CLI printed. Prints
// the XR (kind, name, URL), its Ready condition and the function's own conditions, each
// composed object (pipeline name, ready or not, kind, namespace/name; for a provider-kubernetes
// Object the object it wraps, then the Object), the Warning results, the Fatal of a rejected XR, and where the
// full output is. Condition messages are cut to the terminal's width (120 columns when it is not
// a terminal; the file has them whole); warnings and the Fatal are wrapped.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const [name, cli, xr, observed, exitCode, output, stderrFile] = process.argv.slice(2);
if (stderrFile === undefined) {
  console.error('usage: render-summary.mjs NAME CLI XR OBSERVED EXIT OUTPUT STDERR');
  process.exit(2);
}
const width = Math.max(80, process.stdout.columns || 120);
const cut = (line) => (line.length <= width ? line : `${line.slice(0, width - 1)}…`);
const out = [];
const say = (line = '') => out.push(cut(line));
// Warnings and the Fatal are the point: wrapped, never cut.
const wrap = (first, rest, textToWrap) => {
  let line = first;
  for (const word of textToWrap.split(' ')) {
    if (line.length + word.length + 1 > width && line.trim() !== first.trim()) {
      out.push(line.trimEnd());
      line = rest;
    }
    line += `${word} `;
  }
  out.push(line.trimEnd());
};
const table = (rows, indent = '    ') => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    say(
      indent +
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
          .join('  ')
          .trimEnd(),
    );
};

const text = readFileSync(output, 'utf8');
const lines = text.split('\n').length - 1;
say(`== ${name}: ${xr}${observed === '-' ? '' : ` observed ${observed}`} (${cli}, exit ${exitCode})`);

if (exitCode !== '0') {
  // A rejected XR: the CLI prints the pipeline's Fatal inside its own error chain.
  const err = readFileSync(stderrFile, 'utf8').trim();
  const fatal = err.match(/returned a fatal result: (.*)$/m);
  wrap('    Fatal  ', '           ', fatal ? fatal[1] : (err.split('\n').at(-1) ?? ''));
  say('    nothing composed; the desired state earlier steps built is passed on unchanged');
  say(`    full output: ${output}`);
  console.log(out.join('\n'));
  process.exit(0);
}

const docs = parseAllDocuments(text)
  .map((d) => d.toJS())
  .filter((d) => d !== null && typeof d === 'object');
const results = docs.filter((d) => d.kind === 'Result' && String(d.apiVersion).startsWith('render.crossplane.io/'));
const [composite, ...composed] = docs.filter((d) => !results.includes(d));
const status = composite?.status ?? {};
const conditions = status.conditions ?? [];
// Crossplane's own bookkeeping conditions say nothing about the tenant.
// Ready first, then the function's own conditions.
const shown = conditions
  .filter((c) => !['Synced', 'Responsive'].includes(c.type))
  .sort((a, b) => Number(b.type === 'Ready') - Number(a.type === 'Ready'));
say(
  `    ${composite.kind} ${composite.metadata?.namespace ? `${composite.metadata.namespace}/` : ''}${composite.metadata?.name}${status.url ? `  ${status.url}` : ''}`,
);
if (shown.length > 0) table(shown.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']));

// Which pipeline names are not ready: the v2 CLI adds a Normal result per unready resource
// ("Composed resource "X" is not yet ready"); the Ready condition's message lists them too
// ("Unready resources: a, b, and c"), but Crossplane cuts it after three ("and 2 more"), and
// crank v1 writes only that message.
const ready = conditions.find((c) => c.type === 'Ready');
const unready = new Set(results.map((r) => /^Composed resource "([^"]+)" is not yet ready$/.exec(String(r.message))?.[1]).filter(Boolean));
let listedAll = ready?.status === 'True' || unready.size > 0;
if (ready?.status !== 'True') {
  const listed = (ready?.message ?? '')
    .replace(/^Unready resources: /, '')
    .split(/,\s*(?:and\s+)?|\s+and\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of listed) {
    if (/^\d+ more$/.test(name)) continue;
    unready.add(name);
  }
  if (!listed.some((name) => /^\d+ more$/.test(name))) listedAll = true;
}
const where = (m) => `${m?.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m?.metadata?.name ?? m?.metadata?.generateName ?? '?'}`;
const rows = composed.map((d) => {
  const step = d.metadata?.annotations?.['crossplane.io/composition-resource-name'] ?? '?';
  const wrapped = d.spec?.forProvider?.manifest;
  const state = unready.has(step) ? 'not ready' : listedAll ? 'ready' : 'unknown';
  return wrapped ? [step, state, wrapped.kind, `${where(wrapped)} (in ${d.kind} ${where(d)})`] : [step, state, d.kind, where(d)];
});
say(`    composed (${rows.length}):`);
if (rows.length > 0) table(rows, '      ');

const warnings = results.filter((r) => r.severity === 'Warning');
say(`    warnings (${warnings.length}):`);
for (const w of warnings) wrap(`      ${w.reason ?? ''}  `, '        ', String(w.message).replace(/^Pipeline step "[^"]*": /, ''));
say(`    full output: ${output} (${lines} lines)`);
console.log(out.join('\n'));

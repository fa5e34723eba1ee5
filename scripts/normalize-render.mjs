// Makes `crossplane render` output comparable across runs: Crossplane emits its own Normal
// "Composed resource X is not yet ready" results in Go map order, which changes from run to
// run. The documents keep their order, except that Result documents are sorted among
// themselves by severity, reason and message. Reads stdin, writes stdout.
import { readFileSync } from 'node:fs';

const text = readFileSync(0, 'utf8');
const docs = text.split(/^---\n/m).filter((d) => d.trim() !== '');
const isResult = (d) => /^kind: Result$/m.test(d);
const key = (d) => ['severity', 'reason', 'message'].map((f) => (d.match(new RegExp(`^${f}: (.*)$`, 'm')) ?? ['', ''])[1]).join('\u0000');
const results = docs.filter(isResult).sort((a, b) => key(a).localeCompare(key(b)));
let next = 0;
const ordered = docs.map((d) => (isResult(d) ? results[next++] : d));
process.stdout.write(ordered.map((d) => `---\n${d}`).join(''));

// Helpers of scripts/validate.sh around `crossplane resource validate`.
//
//   node scripts/validate-lib.mjs prepare OUT_DIR
//   node scripts/validate-lib.mjs check NAME < VALIDATE_JSON
//
// prepare: reads the scenario table of scripts/render.sh (the one list of scenarios: each
// entry is "name|...|files...|expected exit code"; the XRD and the XR among its fields are
// recognised by their content, not by their column) and, for each scenario that rendered
// objects into .cache/rendered/<name>.yaml, writes OUT_DIR/<name>.yaml holding
//   - the XR, with the metadata and spec of the scenario's XR file put back: render.sh renders
//     without --include-full-xr, so the output's XR holds only what the pipeline wrote
//     (resourceRefs and status); this is what --include-full-xr would add;
//   - every composed resource, unchanged; and, after a provider-kubernetes Object, the
//     manifest it wraps as a document of its own (so the HTTPRoute, CronJob and Job inside
//     Objects are validated like the ones composed directly);
// and drops render's own `render.crossplane.io` Result and Context documents (no schema).
// A scenario that expects a non-zero exit (a rejected XR) and rendered no object is skipped.
// Prints "<name> <file> <xrd>" per scenario written, on stdout.
//
// check: reads the `crossplane resource validate -o json` report of one scenario, prints a line
// per resource and exits 1 when anything is invalid, when there is no HTTPRoute, or when a
// schema is missing for anything but the core kinds in CORE_KINDS (so an XRD or CRD that
// silently went missing cannot turn the check green). The CLI v2.5 checks Job and CronJob
// against the Kubernetes Go types it has built in (typed decoding and unknown fields, not
// enums or the API server's other rules); older CLIs report them as missing schemas. The unit
// tests check them with kubernetes-models either way.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

function parse(file) {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d && typeof d === 'object' && d.kind);
}

function scenarios() {
  const text = readFileSync('scripts/render.sh', 'utf8');
  const block = text.match(/^scenarios=\(\n([\s\S]*?)^\)/m);
  if (!block) throw new Error('scripts/render.sh: no scenarios=( ... ) table');
  return [...block[1].matchAll(/^\s*"([^"]+)"/gm)].map((m) => {
    const fields = m[1].split('|');
    const files = fields.filter((f) => /\.ya?ml$/.test(f) && existsSync(f)).map((f) => ({ f, docs: parse(f) }));
    return { name: fields[0], want: fields[fields.length - 1], files };
  });
}

const isObject = (d) => d.kind === 'Object' && /^kubernetes(\.m)?\.crossplane\.io\//.test(String(d.apiVersion));

function prepare(outDir) {
  mkdirSync(outDir, { recursive: true });
  let failed = false;
  const fail = (msg) => {
    console.error(`FAIL ${msg}`);
    failed = true;
  };
  for (const s of scenarios()) {
    const file = join('.cache/rendered', `${s.name}.yaml`);
    if (!existsSync(file)) {
      fail(`${s.name}: ${file} is missing (run scripts/render.sh, or scripts/validate.sh --render)`);
      continue;
    }
    const docs = parse(file);
    if (docs.length === 0) {
      if (s.want === '0') fail(`${s.name}: ${file} holds no object although the scenario should render`);
      continue; // a rejected XR: nothing rendered, nothing to validate
    }
    const [xr, ...rest] = docs;
    const xrd = s.files.find((x) => x.docs[0]?.kind === 'CompositeResourceDefinition');
    const source = s.files.find((x) => x.docs[0]?.kind === xr.kind && x.docs[0]?.metadata?.name === xr.metadata?.name);
    if (!xrd || !source) {
      fail(`${s.name}: no ${xrd ? `${xr.kind} ${xr.metadata?.name}` : 'XRD'} among the scenario's files in scripts/render.sh`);
      continue;
    }
    const src = source.docs[0];
    const full = {
      ...xr,
      metadata: { ...src.metadata, ...xr.metadata },
      spec: {
        ...src.spec,
        ...xr.spec,
        ...((src.spec?.crossplane ?? xr.spec?.crossplane) && {
          crossplane: { ...src.spec?.crossplane, ...xr.spec?.crossplane },
        }),
      },
    };
    const out = [full];
    for (const d of rest) {
      if (String(d.apiVersion).startsWith('render.crossplane.io/')) continue;
      out.push(d);
      if (isObject(d) && d.spec?.forProvider?.manifest) out.push(d.spec.forProvider.manifest);
    }
    const target = join(outDir, `${s.name}.yaml`);
    writeFileSync(target, out.map((d) => `---\n${stringify(d)}`).join(''));
    console.log(`${s.name} ${target} ${xrd.f}`);
  }
  return failed ? 1 : 0;
}

const CORE_KINDS = new Set(['batch/v1|Job', 'batch/v1|CronJob', 'policy/v1|PodDisruptionBudget']);

// check NAME [KIND...] < JSON: without KINDs, a rendered scenario (it must hold an HTTPRoute);
// with them, a folder of manifests that must hold each KIND (examples/production/).
function check(name, text, kinds = []) {
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    console.error(`FAIL ${name}: crossplane resource validate gave no JSON report:\n${text}`);
    return 1;
  }
  const resources = report.resources ?? [];
  let failed = false;
  if (resources.length === 0) {
    console.error(`FAIL ${name}: nothing validated`);
    failed = true;
  }
  if (kinds.length === 0 && !resources.some((r) => r.kind === 'HTTPRoute')) {
    console.error(`FAIL ${name}: no HTTPRoute in the rendered output`);
    failed = true;
  }
  for (const kind of kinds) {
    if (!resources.some((r) => r.kind === kind)) {
      console.error(`FAIL ${name}: no ${kind} validated`);
      failed = true;
    }
  }
  for (const r of resources) {
    const id = `${r.apiVersion}, Kind=${r.kind}, ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
    if (r.status === 'valid') {
      console.log(`  ok      ${id}`);
    } else if (r.status === 'missingSchema' && CORE_KINDS.has(`${r.apiVersion}|${r.kind}`)) {
      console.log(`  skipped ${id} (missing schema: a core kind, checked by the unit tests)`);
    } else {
      failed = true;
      console.log(`  ${r.status === 'missingSchema' ? 'NO SCHEMA' : 'INVALID'} ${id}`);
      for (const e of r.errors ?? []) console.log(`          ${e.message}`);
    }
  }
  const s = report.summary ?? {};
  console.log(`  ${name}: ${s.total} resources, ${s.valid} valid, ${s.invalid} invalid, ${s.missingSchemas} without schema`);
  return failed ? 1 : 0;
}

function usage() {
  console.error('usage: validate-lib.mjs prepare OUT_DIR | check NAME [KIND...] < JSON');
  process.exit(2);
}
const [command, ...args] = process.argv.slice(2);
if (command === 'prepare' && args.length === 1) process.exit(prepare(args[0]));
else if (command === 'check' && args.length >= 1) process.exit(check(args[0], readFileSync(0, 'utf8'), args.slice(1)));
else usage();

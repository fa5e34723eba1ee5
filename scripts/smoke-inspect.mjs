// Inspects an unpacked Crossplane function package for scripts/smoke-xpkg.sh:
//
//   node scripts/smoke-inspect.mjs XPKG_DIR ROOTFS
//
// XPKG_DIR holds the package tarball's manifest.json and image config (the xpkg is an image
// in docker-archive form); ROOTFS is the image's filesystem, unpacked. Checks, printing a line
// per check and exiting 1 if any fails:
//   - the image config: entrypoint `node /fn/function.mjs --metrics-address=:8080`, user
//     65532:65532, working directory /fn, exposed ports 9443/tcp and 8080/tcp, the same four as
//     the Dockerfile's final stage, and its NODE_OPTIONS (the V8 heap flags);
//   - the package layers: the config's io.crossplane.xpkg labels name a `base` layer (the
//     package) and an `upbound` layer (the examples), both among the image's layers;
//   - /package.yaml: exactly one meta.pkg.crossplane.io Function, named as package/crossplane.yaml
//     names it, then exactly the CRDs of package/input/, nothing else;
//   - /.up/examples.yaml: the examples, each document an object with apiVersion and kind;
//   - the application: /fn/function.mjs (the bundle) and its licence notices, and no node_modules.
// Prints the image config as JSON on the last line of stdout (`config <json>`) for the caller.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const [xpkgDir, rootfs] = process.argv.slice(2);
if (!xpkgDir || !rootfs) {
  console.error('usage: smoke-inspect.mjs XPKG_DIR ROOTFS');
  process.exit(2);
}

let failed = false;
const check = (ok, what, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failed = true;
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const docs = (text, file) =>
  parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);

// ---------------------------------------------------------------- image config
const manifests = JSON.parse(readFileSync(join(xpkgDir, 'manifest.json'), 'utf8'));
check(manifests.length === 1, 'the package tarball holds one image', `${manifests.length}`);
const manifest = manifests[0];
const image = JSON.parse(readFileSync(join(xpkgDir, manifest.Config), 'utf8'));
const config = image.config ?? {};

const want = {
  // Metrics on :8080, where Go functions serve them and Crossplane's Deployment names a port.
  Entrypoint: ['node', '/fn/function.mjs', '--metrics-address=:8080'],
  User: '65532:65532',
  WorkingDir: '/fn',
  ExposedPorts: ['8080/tcp', '9443/tcp'],
};
const got = {
  Entrypoint: config.Entrypoint,
  User: config.User,
  WorkingDir: config.WorkingDir,
  ExposedPorts: Object.keys(config.ExposedPorts ?? {}).sort(),
};
for (const k of Object.keys(want)) check(same(got[k], want[k]), `image ${k}`, JSON.stringify(got[k]));
check(!config.Cmd || config.Cmd.length === 0, 'image Cmd empty (Crossplane passes no arguments)', JSON.stringify(config.Cmd));

// The Dockerfile's final stage says the same.
const dockerfile = readFileSync('Dockerfile', 'utf8')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const finalStage = dockerfile.slice(dockerfile.findLastIndex((l) => /^FROM\s/i.test(l)));
const instr = (name) => finalStage.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());
const fromDockerfile = {
  Entrypoint: JSON.parse(instr('ENTRYPOINT').at(-1) ?? 'null'),
  User: instr('USER').at(-1),
  WorkingDir: instr('WORKDIR').at(-1),
  ExposedPorts: instr('EXPOSE')
    .flatMap((p) => p.split(/\s+/))
    .map((p) => (p.includes('/') ? p : `${p}/tcp`))
    .sort(),
};
check(same(fromDockerfile, got), 'image config matches the Dockerfile (ENTRYPOINT, USER, WORKDIR, EXPOSE)', JSON.stringify(fromDockerfile));
// The V8 heap flags the image runs with (sized for examples/production's memory limit).
const nodeOptions = instr('ENV')
  .map((e) => /^NODE_OPTIONS="([^"]*)"$/.exec(e)?.[1])
  .find((v) => v !== undefined);
check(
  nodeOptions !== undefined && (config.Env ?? []).includes(`NODE_OPTIONS=${nodeOptions}`),
  "image NODE_OPTIONS as the Dockerfile's ENV",
  JSON.stringify((config.Env ?? []).filter((e) => e.startsWith('NODE_OPTIONS='))),
);

// ---------------------------------------------------------------- package layers
const labels = config.Labels ?? {};
const xpkgLayers = Object.entries(labels)
  .filter(([k]) => k.startsWith('io.crossplane.xpkg:'))
  .map(([k, v]) => ({ digest: k.slice('io.crossplane.xpkg:'.length), role: v }));
const layerFiles = manifest.Layers.map((l) => `sha256:${l.replace(/\.tar(\.gz)?$/, '')}`);
for (const role of ['base', 'upbound']) {
  const l = xpkgLayers.filter((x) => x.role === role);
  check(
    l.length === 1 && layerFiles.includes(l[0].digest),
    `one xpkg "${role}" layer among the image layers`,
    l.map((x) => x.digest).join(', '),
  );
}
check(manifest.Layers.length > 2, 'runtime image layers below the package layers', `${manifest.Layers.length} layers`);

// ---------------------------------------------------------------- package.yaml
const pkgFile = join(rootfs, 'package.yaml');
check(existsSync(pkgFile), '/package.yaml present');
const pkg = existsSync(pkgFile) ? docs(readFileSync(pkgFile, 'utf8'), pkgFile) : [];
const meta = pkg.filter((d) => String(d.apiVersion).startsWith('meta.pkg.crossplane.io/'));
const repoMeta = docs(readFileSync('package/crossplane.yaml', 'utf8'), 'package/crossplane.yaml')[0];
check(
  meta.length === 1 && meta[0].kind === 'Function' && meta[0].metadata?.name === repoMeta.metadata.name,
  'exactly one meta.pkg.crossplane.io Function',
  meta.map((m) => `${m.apiVersion} ${m.kind} ${m.metadata?.name}`).join(', '),
);
check(pkg[0] === meta[0], 'the Function object comes first');
const crds = pkg
  .filter((d) => d.kind === 'CustomResourceDefinition')
  .map((d) => d.metadata?.name)
  .sort();
const repoCrds = readdirSync('package/input')
  .filter((f) => /\.ya?ml$/.test(f))
  .flatMap((f) => docs(readFileSync(join('package/input', f), 'utf8'), f))
  .map((d) => d.metadata?.name)
  .sort();
check(same(crds, repoCrds) && crds.length > 0, 'the CRDs are exactly package/input/', crds.join(', '));
check(pkg.length === 1 + crds.length, 'nothing else in the package', `${pkg.length} objects`);

// ---------------------------------------------------------------- examples
const exFile = join(rootfs, '.up/examples.yaml');
const examples = existsSync(exFile) ? docs(readFileSync(exFile, 'utf8'), exFile) : [];
check(
  examples.length > 0 && examples.every((d) => typeof d === 'object' && d.apiVersion && d.kind),
  'examples embedded (/.up/examples.yaml)',
  `${examples.length} objects: ${[...new Set(examples.map((d) => d.kind))].join(', ')}`,
);

// ---------------------------------------------------------------- application
// The function ships as one bundled module (scripts/bundle.mjs): no node_modules at all, so no
// development or build-time dependency can be in the image.
check(existsSync(join(rootfs, 'fn/function.mjs')), '/fn/function.mjs present');
const appFiles = readdirSync(join(rootfs, 'fn')).sort();
check(same(appFiles, ['function.mjs', 'function.mjs.LEGAL.txt']), '/fn holds only the bundle and its licence notices', appFiles.join(', '));
check(!existsSync(join(rootfs, 'fn/node_modules')), 'no node_modules in the image');

console.log(`config ${JSON.stringify(config)}`);
process.exit(failed ? 1 : 0);

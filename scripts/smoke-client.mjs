// A RunFunction client for scripts/smoke-xpkg.sh, built on @grpc/grpc-js and the SDK's
// generated FunctionRunnerService definition and RunFunctionRequest/RunFunctionResponse
// (apiextensions.fn.proto.v1, what Crossplane calls).
//
//   node scripts/smoke-client.mjs --address=HOST:PORT --expect=ok|refused
//        [--ca=ca.crt] [--cert=tls.crt --key=tls.key] [--plaintext] [--wait=SECONDS]
//
// --expect=ok       waits (up to --wait seconds, default 30) for the server, sends PLANA's
//                   example XR as the observed composite and checks the response: no Fatal
//                   result, desired resources `route` (HTTPRoute), `backup` (CronJob) and
//                   exactly one `filestore-*` (Job). Exit 0 when all hold.
// --expect=refused  makes one call and exits 0 only if it fails without a response (a client
//                   without a certificate, with one from another CA, or speaking plaintext).
import { readFileSync } from 'node:fs';
import grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService, RunFunctionRequest, Severity } from '@crossplane-org/function-sdk-typescript';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = a.match(/^--([^=]+)(?:=(.*))?$/);
    if (!m) throw new Error(`bad argument ${a}`);
    return [m[1], m[2] ?? 'true'];
  }),
);
const { address, expect = 'ok' } = args;
if (!address || !['ok', 'refused'].includes(expect)) {
  console.error('usage: smoke-client.mjs --address=HOST:PORT --expect=ok|refused [--ca=F] [--cert=F --key=F] [--plaintext] [--wait=S]');
  process.exit(2);
}
const waitMs = Number(args.wait ?? 30) * 1000;

const credentials =
  args.plaintext === 'true'
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(
        args.ca ? readFileSync(args.ca) : null,
        args.key ? readFileSync(args.key) : null,
        args.cert ? readFileSync(args.cert) : null,
      );
const Client = grpc.makeGenericClientConstructor(FunctionRunnerServiceService, 'FunctionRunnerService');
const client = new Client(address, credentials);

const XR = {
  apiVersion: 'planapulse.com/v1alpha1',
  kind: 'PLANAClient',
  metadata: { name: 'acme' },
  spec: { subdomain: 'acme', projectId: 23, tier: 'pro' },
};
const request = RunFunctionRequest.fromPartial({
  meta: { tag: 'smoke' },
  observed: { composite: { resource: XR } },
  desired: {},
});

const call = (deadlineMs) =>
  new Promise((resolve) => {
    client.runFunction(request, { deadline: Date.now() + deadlineMs }, (err, res) => resolve({ err, res }));
  });
const label = `${args.plaintext === 'true' ? 'plaintext' : args.cert ? `certificate ${args.cert}` : 'no client certificate'}`;

function fail(msg) {
  console.error(`FAIL (${label}): ${msg}`);
  client.close();
  process.exit(1);
}

if (expect === 'refused') {
  const { err, res } = await call(10_000);
  if (!err) fail(`the call was answered: ${JSON.stringify(res).slice(0, 200)}`);
  console.log(`ok   refused (${label}): ${grpc.status[err.code]}: ${String(err.details).split('\n')[0].slice(0, 160)}`);
  client.close();
  process.exit(0);
}

// expect=ok: retry until the server answers or the wait is over.
const until = Date.now() + waitMs;
let outcome;
for (;;) {
  outcome = await call(5_000);
  if (!outcome.err || Date.now() > until) break;
  await new Promise((r) => setTimeout(r, 250));
}
const { err, res } = outcome;
if (err) fail(`no answer within ${waitMs / 1000}s: ${grpc.status[err.code]}: ${err.details}`);

const fatal = (res.results ?? []).filter((r) => r.severity === Severity.SEVERITY_FATAL);
if (fatal.length > 0) fail(`Fatal result: ${fatal.map((r) => r.message).join('; ')}`);
const desired = res.desired?.resources ?? {};
const names = Object.keys(desired).sort();
const kind = (n) => desired[n]?.resource?.kind;
const problems = [];
// Pipeline names are {prefix}-{8 hex digits of the object's identity} (src/identity.ts).
for (const [prefix, want] of [
  ['route', 'HTTPRoute'],
  ['backup', 'CronJob'],
  ['filestore', 'Job'],
]) {
  const found = names.filter((n) => new RegExp(`^${prefix}-[0-9a-f]{8}$`).test(n));
  if (found.length !== 1) problems.push(`${found.length} ${prefix}-* resources, want 1`);
  else if (kind(found[0]) !== want) problems.push(`${found[0]} is ${kind(found[0])}, want ${want}`);
}
if (names.length !== 3) problems.push(`desired resources ${names.join(', ')}, want exactly route-*, backup-*, filestore-*`);
if (problems.length > 0) fail(problems.join('; '));
console.log(
  `ok   RunFunction (${label}): desired ${names.map((n) => `${n} (${kind(n)})`).join(', ')}; ` +
    `${(res.results ?? []).length} results, ttl ${res.meta?.ttl?.seconds ?? '?'}s`,
);
client.close();

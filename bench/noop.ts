/**
 * The benchmark's floor: a RunFunction that does nothing, on exactly our stack (Node, grpc-js,
 * the SDK's generated messages, and our own gRPC edge from src/grpc/server.ts with its error boundary
 * and response encoding). It returns the request's desired state unchanged with the request's
 * tag, so what it costs is decoding the request and encoding the desired state back: the part
 * of our function's cost that no change to our composition logic can remove.
 *
 *   node dist/bench/noop.js --insecure --address=127.0.0.1:PORT [--dump-requests=DIR]
 *
 * Same flags as dist/src/main.js (src/config.ts), plus --dump-requests, which writes each
 * request it receives as JSON to DIR/request-N.json (used once to see what `crossplane render`
 * really sends; never during a measurement).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { serveOnEdge } from './serve.js';

const DUMP_FLAG = '--dump-requests=';

/** The no-op: desired state and context back unchanged, the request's tag, the SDK's default TTL. */
export function noop(req: RunFunctionRequest): RunFunctionResponse {
  return {
    meta: { tag: req.meta?.tag ?? '', ttl: { seconds: 60, nanos: 0 } },
    desired: req.desired ?? { composite: undefined, resources: {} },
    results: [],
    context: req.context,
    requirements: undefined,
    conditions: [],
  };
}

const argv = process.argv.slice(2);
const dumpDir = argv.find((a) => a.startsWith(DUMP_FLAG))?.slice(DUMP_FLAG.length);
let dumped = 0;
if (dumpDir !== undefined) mkdirSync(dumpDir, { recursive: true });
await serveOnEdge(
  'noop',
  argv.filter((a) => !a.startsWith(DUMP_FLAG)),
  (req) => {
    if (dumpDir !== undefined) {
      dumped += 1;
      writeFileSync(join(dumpDir, `request-${dumped}.json`), `${JSON.stringify(RunFunctionRequest.toJSON(req), null, 2)}\n`);
    }
    return noop(req);
  },
);

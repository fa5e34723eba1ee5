/**
 * A diagnostic, not a competitor: our gRPC edge answering each request with the response our
 * function gave the first request of its kind, without composing again. What it costs is
 * decoding the request and encoding ours' full response: the stack's price of carrying that
 * response, which the no-op (it sends back ~0.1 KiB) does not pay. Between the no-op and this,
 * the bench report tells how much of ours' distance to the no-op is the response's size and how
 * much is the composition logic.
 *
 * The memo is keyed by what tells the benchmark's scenarios apart (XR name, observed and desired
 * resource counts, spec keys), so it only fits a load that replays a few requests: exactly why
 * ours has no such cache (production cycles through 100,000 tenants).
 *
 *   node dist/bench/replay.js --insecure --address=127.0.0.1:PORT
 */
import type { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { pathToFileURL } from 'node:url';
import { runFunction } from '../src/fn.js';
import { serveOnEdge } from './serve.js';

/** Which of the benchmark's requests this is, cheaply. */
export function replayKey(req: RunFunctionRequest): string {
  const xr = req.observed?.composite?.resource as { metadata?: { name?: unknown }; spec?: Record<string, unknown> } | undefined;
  return [
    String(xr?.metadata?.name),
    Object.keys(req.observed?.resources ?? {}).length,
    Object.keys(req.desired?.resources ?? {}).length,
    Object.keys(xr?.spec ?? {}).join(','),
  ].join('/');
}

/** A handler answering every request of a kind with ours' response to the first of that kind. */
export function replayer(now: () => Date): (req: RunFunctionRequest) => RunFunctionResponse {
  const memo = new Map<string, RunFunctionResponse>();
  return (req) => {
    const key = replayKey(req);
    let res = memo.get(key);
    if (res === undefined) {
      res = runFunction(req, { now });
      memo.set(key, res);
    }
    // The request's own tag, as any function answers.
    return { ...res, meta: { tag: req.meta?.tag ?? '', ttl: res.meta?.ttl } };
  };
}

// Run as a program (dist/bench/replay.js or its bundle), not when a test imports it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await serveOnEdge(
    'replay',
    process.argv.slice(2),
    replayer(() => new Date()),
  );

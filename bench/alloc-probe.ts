/**
 * Preloaded into a Node server (`node --expose-gc --trace-gc-nvp --import=<this file> ...`) to
 * measure bytes allocated per request: on SIGUSR2 it runs a full GC and writes `ALLOC-MARK` to
 * stdout. V8's --trace-gc-nvp writes a line per GC, to the same stdout, with `allocated=` bytes
 * since the previous GC; the sum of those between two marks is every byte the process
 * allocated on the JS heap in between. Only for the allocation phase of bench/run.ts: the
 * tracing is not on while throughput and latency are measured.
 */
import { writeSync } from 'node:fs';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('alloc-probe: run node with --expose-gc');
process.on('SIGUSR2', () => {
  gc();
  writeSync(1, 'ALLOC-MARK\n');
});

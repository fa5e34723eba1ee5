import { describe, expect, it } from 'vitest';
import { category } from '../bench/profile.js';

// bench/profile.ts sorts each CPU sample of `npm run bench:profile` into one exclusive category;
// the README's "where the time goes" comes from it, so a stale rule misreports the profile.
const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
const root = 'file:///work/main/dist/src/';
const respond = frame('respond', `${root}grpc/server.js`);

describe('bench/profile.ts category', () => {
  it('counts src/grpc/wire.ts encodeResponse and its helpers as the response encode', () => {
    const encodeResponse = frame('encodeResponse', `${root}grpc/wire.js`);
    expect(category([frame('string', `${root}grpc/wire.js`), frame('struct', `${root}grpc/wire.js`), encodeResponse, respond])).toBe(
      'response encode: src/grpc/wire.ts (our encoder)',
    );
    expect(category([encodeResponse, respond])).toBe('response encode: src/grpc/wire.ts (our encoder)');
    expect(category([frame('copy', 'node:buffer'), encodeResponse, respond])).toBe('response encode: Buffer and other natives it calls');
  });

  it('counts our request decoder, runFunction parts and the rest apart', () => {
    expect(category([frame('struct', `${root}grpc/request.js`), frame('decodeRequest', `${root}grpc/request.js`)])).toBe(
      'request decode: src/grpc/request.ts (our decoder)',
    );
    const run = frame('runFunction', `${root}fn.js`);
    expect(category([frame('digest', 'node:internal/crypto/hash'), frame('buildFilestoreJob', `${root}builders/filestore.js`), run])).toBe(
      'runFunction: buildFilestoreJob',
    );
    expect(category([frame('resolve', `${root}plan.js`), run])).toBe('runFunction: resolve');
    expect(category([respond])).toBe('ours outside runFunction (server edge, start-up)');
    expect(category([frame('(garbage collector)', '')])).toBe('garbage collector');
  });
});

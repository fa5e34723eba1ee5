/**
 * The inner end of a relay into a network namespace of its own (cluster.ts, ownNetns):
 *
 *   unshare --net -- node test/e2e/netns-relay.mjs PORT=SOCKET...
 *
 * Brings the new namespace's loopback up, then listens on 127.0.0.1:PORT there and carries each
 * connection to the Unix socket SOCKET, where the suite (in the run's own namespace) carries it
 * on to 127.0.0.1:PORT. A Unix socket is a file, so it is reachable from both namespaces while
 * their loopbacks are not. Bytes pass untouched: TLS is between the client and the real server,
 * and 127.0.0.1 in the server's certificate still matches.
 *
 * Why: controllers with no flag to move a port (controller-runtime's metrics on :8080 in
 * Crossplane's RBAC manager and in provider-kubernetes v1.2.0) each get a loopback of their own,
 * as each would have in its pod. The program itself is then started in this namespace with
 * `nsenter --net=/proc/<this pid>/ns/net`, so the suite stops it by its own PID.
 *
 * Plain JavaScript, so any Node runs it as it is; it prints "ready" once every port listens.
 */
import { execFileSync } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** @param {import('node:net').Socket} a @param {import('node:net').Socket} b */
function pipe(a, b) {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.once('error', end).once('close', end);
  b.once('error', end).once('close', end);
}

const pairs = process.argv.slice(2).map((arg) => {
  const m = /^(\d+)=(\/.+)$/.exec(arg);
  if (m === null) throw new Error(`netns-relay: expected PORT=/path/to/socket, got ${JSON.stringify(arg)}`);
  return { port: Number(m[1]), socket: m[2] };
});
if (pairs.length === 0) throw new Error('netns-relay: no PORT=SOCKET given');

// A new network namespace has only a loopback, and it is down.
execFileSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'inherit' });

let listening = 0;
for (const { port, socket } of pairs) {
  createServer((inner) => pipe(inner, connect(socket)))
    .once('error', (e) => {
      console.error(`netns-relay: 127.0.0.1:${port}: ${e.message}`);
      process.exit(1);
    })
    .listen(port, '127.0.0.1', () => {
      if (++listening === pairs.length) console.log('ready');
    });
}
process.once('SIGTERM', () => process.exit(0));

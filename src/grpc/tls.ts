/**
 * Mutual TLS for the gRPC server, from the directory Crossplane's function runtime mounts.
 */
import * as grpc from '@grpc/grpc-js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { StartupError, describeError } from './errors.js';

/** The file names Crossplane's function runtime mounts from the function's TLS Secret. */
export const TLS_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/**
 * Mutual TLS as Crossplane's Go SDK does it (tls.RequireAndVerifyClientCert): the server presents
 * tls.crt/tls.key, and every client must present a certificate that chains to ca.crt and is
 * valid now. Nothing falls back to plaintext.
 */
export async function mtlsCredentials(dir: string | undefined): Promise<grpc.ServerCredentials> {
  if (dir === undefined) {
    throw new StartupError(
      `no TLS certificates: set --tls-certs-dir (or TLS_SERVER_CERTS_DIR) to a directory holding ${TLS_FILES.cert}, ${TLS_FILES.key} and ${TLS_FILES.ca}, or pass --insecure to serve plaintext without mTLS`,
    );
  }
  const names = [TLS_FILES.cert, TLS_FILES.key, TLS_FILES.ca] as const;
  const read = await Promise.allSettled(names.map((name) => readFile(join(dir, name))));
  const problems = read.flatMap((r, i) => {
    const file = join(dir, names[i] ?? '');
    if (r.status === 'rejected') return [`${file}: ${(r.reason as NodeJS.ErrnoException).code ?? describeError(r.reason)}`];
    return r.value.length === 0 ? [`${file}: empty`] : [];
  });
  if (problems.length > 0)
    throw new StartupError(`cannot read TLS certificates (${problems.join('; ')}); or pass --insecure to serve plaintext without mTLS`);
  const [cert, key, ca] = read.map((r) => (r.status === 'fulfilled' ? r.value : Buffer.alloc(0))) as [Buffer, Buffer, Buffer];

  // grpc-js only builds the TLS context at bind time, with a vague error; check each piece here so
  // the message names the file.
  const check = (file: string, fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      throw new StartupError(`${join(dir, file)} is not usable: ${describeError(err)}`);
    }
  };
  check(TLS_FILES.cert, () => new X509Certificate(cert));
  check(TLS_FILES.key, () => createPrivateKey(key));
  check(TLS_FILES.ca, () => new X509Certificate(ca));
  check(TLS_FILES.key, () => createSecureContext({ cert, key, ca })); // the key must match the certificate

  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
}

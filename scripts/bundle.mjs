// Bundles the function into one ES module, dist/function.mjs: what the image ships and what
// `npm start` runs. One file loads faster than hundreds of modules (cold start), and the image
// then needs no node_modules, so none of the SDK's build-time dependencies (ts-proto,
// dprint-node, kubernetes-models) ship. Part of `npm run build`.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/function.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // @grpc/grpc-js and pino are CommonJS: give the bundle a require of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});

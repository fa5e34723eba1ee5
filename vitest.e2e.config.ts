import { defineConfig } from 'vitest/config';

// The end-to-end suite (npm run e2e, through scripts/e2e.sh): each file starts its own real
// control plane, so files run one after another, in one process, with generous timeouts.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 420_000,
    // A scenario's tests build on each other (create, then degrade, then delete).
    sequence: { concurrent: false },
  },
});

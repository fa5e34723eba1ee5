import { defineConfig } from 'vitest/config';

// The real-tools backup suite (test/backup/): one file, its tests in order, sharing one
// PostgreSQL and one S3 server. `npm run test:backup` builds the image and tools first.
export default defineConfig({
  test: {
    include: ['test/backup/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});

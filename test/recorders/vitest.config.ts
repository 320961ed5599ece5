import { defineConfig } from 'vitest/config';

// Recorders regenerate fixtures from real servers; they are tools, not tests, so `npm test` leaves them out.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/recorders/**/*.record.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});

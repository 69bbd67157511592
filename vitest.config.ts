import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    // test/docker/ needs a Docker engine: scripts/with-dockerd starts one and says so.
    exclude: [
      '**/node_modules/**',
      ...(process.env.HANGAR_TEST_DOCKER === '1' ? [] : ['test/docker/**']),
      // *.pg.test.ts need PostgreSQL itself (LISTEN/NOTIFY, several processes on one
      // database): scripts/with-postgres gives TEST_DATABASE_URL.
      ...(process.env.TEST_DATABASE_URL ? [] : ['**/*.pg.test.ts']),
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    tags: [
      {
        name: 'slow',
        description:
          'Builds the universal image (15-20 min on 2 cores, once per machine); scripts/test runs it, --tags-filter="!slow" leaves it out',
        timeout: 45 * 60_000,
      },
    ],
  },
});

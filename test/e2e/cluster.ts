import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelServer } from '../../fixtures/model-server.js';
import { createTestDatabase } from '../../src/store/test-store.js';
import { testAgentsDir } from './agents.js';
import { GIT_HOST_PIN } from './git-host.js';
import { isolatedEnv, startHangar, startServe, type HangarProcess } from './hangar.js';
import { REAL_KEY, REAL_OPENAI_KEY, Stack } from './stack.js';

/** A `hangar runner` process. */
export interface RunnerProcess extends HangarProcess {
  /** Its id, as session leases and `hangar runners` name it. */
  id: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Several Hangar processes on one real PostgreSQL database, each with a data dir of its
 * own, as on separate hosts: API nodes (`hangar serve --no-runner`), each a `Stack` to
 * drive it, and runners (`hangar runner`). The first API node creates the admin; every
 * node uses its token. For the e2e tests of issue 20 (roles, runner takeover).
 */
export class Cluster {
  readonly apis: Stack[] = [];
  readonly runners: RunnerProcess[] = [];

  private constructor(
    readonly model: ModelServer,
    readonly databaseUrl: string,
    /** Every process's environment but its data dir and HOME. */
    readonly base: NodeJS.ProcessEnv,
    private readonly dropDatabase: () => Promise<void>,
  ) {}

  /**
   * A new database on TEST_DATABASE_URL's server, `apis` API nodes and `runners`
   * runners on it; `extra` is added to every process's environment.
   */
  static async start(
    model: ModelServer,
    options: { apis?: number; runners?: number; extra?: NodeJS.ProcessEnv } = {},
  ): Promise<Cluster> {
    const admin = process.env.TEST_DATABASE_URL;
    if (!admin) throw new Error('Cluster needs TEST_DATABASE_URL (scripts/with-postgres)');
    const database = await createTestDatabase(admin);
    const base: NodeJS.ProcessEnv = {
      DATABASE_URL: database.url,
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: REAL_KEY,
      OPENAI_BASE_URL: `${model.url}/v1`,
      OPENAI_API_KEY: REAL_OPENAI_KEY,
      HANGAR_AGENTS_DIR: testAgentsDir(),
      HANGAR_EGRESS_RESOLVE: GIT_HOST_PIN,
      // GitHub tokens are sealed with it: every node must open what another sealed.
      HANGAR_SECRET_KEY: 'cluster-test-secret-key-of-32-characters-or-more',
      ...options.extra,
    };
    const cluster = new Cluster(model, database.url, base, database.drop);
    try {
      for (let i = 0; i < (options.apis ?? 2); i++) await cluster.addApi();
      for (let i = 0; i < (options.runners ?? 2); i++) await cluster.addRunner();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Starts one more API node (`hangar serve --no-runner`). */
  async addApi(extra: NodeJS.ProcessEnv = {}): Promise<Stack> {
    const stack = new Stack(this.model, isolatedEnv({ ...this.base, ...extra }));
    stack.server = await startServe(stack.env, ['--no-runner']);
    const first = this.apis[0] ?? stack;
    stack.token = readFileSync(join(first.dataDir, 'admin-token'), 'utf8').trim();
    this.apis.push(stack);
    return stack;
  }

  /** Starts one more runner (`hangar runner`) and waits until it says it runs. */
  async addRunner(extra: NodeJS.ProcessEnv = {}): Promise<RunnerProcess> {
    const runner = await startRunner(isolatedEnv({ ...this.base, ...extra }));
    this.runners.push(runner);
    return runner;
  }

  /** Stops every process (SIGTERM), then drops the database. */
  async stop(): Promise<void> {
    await Promise.allSettled([
      ...this.apis.map((api) => api.server.stop()),
      ...this.runners.map((runner) => runner.stop()),
    ]);
    await this.dropDatabase();
  }
}

/** Starts `hangar runner` with `env` and waits for its banner, which names its id. */
export async function startRunner(env: NodeJS.ProcessEnv): Promise<RunnerProcess> {
  const { match, ...started } = await startHangar(
    ['runner'],
    env,
    /Hangar runner (\S+) is running/,
    60_000,
  );
  return { id: match[1] ?? '', env, ...started };
}

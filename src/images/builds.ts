import type { Logger } from 'pino';
import { runInBackground } from '../background.js';
import { ConflictError } from '../errors.js';
import { buildImage } from './build.js';
import { checkImageName } from './images.js';

/** How many of a build's last progress lines are kept for the API. */
const KEPT_LINES = 50;

export interface BuildState {
  name: string;
  state: 'building' | 'failed';
  startedAt: string;
  /** mmdebstrap's last lines. */
  progress: string[];
  error?: string;
}

/**
 * The image builds this server runs (the API's `POST /images`): one per name at a time,
 * each in the background, its progress and failure kept until the next build of that
 * name. A finished build is an image (images.ts) and leaves this list.
 */
export class ImageBuilds {
  private readonly builds = new Map<string, BuildState>();
  /** Each running build's work and the way to stop it. */
  private readonly running = new Map<
    BuildState,
    { abort: AbortController; work: Promise<unknown> }
  >();

  constructor(
    private readonly dataDir: string,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  /** Starts building `name`; a 409 while a build (of it or another image) runs. */
  start(name: string, packages: readonly string[]): BuildState {
    checkImageName(name);
    if (this.builds.get(name)?.state === 'building') {
      throw new ConflictError(`Image ${name} is being built already.`);
    }
    // One build at a time: each takes a core and hundreds of MB of packages.
    const running = this.list().find((build) => build.state === 'building');
    if (running) {
      throw new ConflictError(
        `Image ${running.name} is being built: one build at a time; try again when it is done (hangar image list).`,
      );
    }
    const build: BuildState = {
      name,
      state: 'building',
      startedAt: new Date().toISOString(),
      progress: [],
    };
    this.builds.set(name, build);
    const abort = new AbortController();
    const work = buildImage({
      dataDir: this.dataDir,
      name,
      packages,
      signal: abort.signal,
      onProgress: (line) => {
        build.progress.push(line);
        if (build.progress.length > KEPT_LINES) build.progress.shift();
      },
    })
      .then(() => {
        if (this.builds.get(name) === build) this.builds.delete(name);
      })
      .finally(() => this.running.delete(build));
    this.running.set(build, { abort, work: work.catch(() => undefined) });
    runInBackground(`building image ${name}`, work, {
      logger: this.logger,
      context: { image: name },
      onFailure: (error) => {
        build.state = 'failed';
        build.error = error instanceof Error ? error.message : String(error);
      },
    });
    return build;
  }

  /**
   * Stops the builds under way (mmdebstrap is killed, its half-made root removed, as for
   * any failed build) and waits for them: a stopping server leaves no build writing.
   */
  async stop(): Promise<void> {
    const running = [...this.running.values()];
    for (const { abort } of running) abort.abort();
    await Promise.all(running.map(({ work }) => work));
  }

  /** Builds under way or failed, by name. */
  list(): BuildState[] {
    return [...this.builds.values()];
  }

  get(name: string): BuildState | undefined {
    return this.builds.get(name);
  }
}

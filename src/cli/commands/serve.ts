import type { Command } from 'commander';
import type { Io } from '../io.js';

/** `hangar serve` (API, web app and a runner; `--no-runner`: API and web only) and `hangar runner`. */
export function registerServe(program: Command, io: Io): void {
  program
    .command('serve')
    .description(
      'start the Hangar server (HTTP API, web app and a runner) with its embedded store, or on DATABASE_URL',
    )
    .option('--port <port>', 'port to listen on (HANGAR_PORT, default 8080)')
    .option('--host <address>', 'address to listen on (HANGAR_HOST, default 127.0.0.1)')
    .option(
      '--no-runner',
      'serve the API and web app only; `hangar runner` processes run the sessions (needs DATABASE_URL)',
    )
    .action(async (options: { port?: string; host?: string; runner: boolean }) => {
      const env = { ...io.env };
      if (options.port !== undefined) env.HANGAR_PORT = options.port;
      if (options.host !== undefined) env.HANGAR_HOST = options.host;
      // The server's code loads only here, so other commands start without it.
      const { serverConfigFrom } = await import('../../config.js');
      const { startServer } = await import('../../server/serve.js');
      const config = serverConfigFrom(env);
      const server = await startServer(
        config,
        undefined,
        {},
        { api: true, runner: options.runner },
      );

      const where =
        server.store.kind === 'pglite'
          ? `PGlite in ${config.dataDir}/db`
          : 'Postgres (DATABASE_URL)';
      io.err(`Hangar is running at ${server.url}`);
      io.err(`Store: ${where}`);
      io.err(
        server.runnerId
          ? `Runner: ${server.runnerId}`
          : 'Runner: none here (API node); `hangar runner` processes run the sessions',
      );
      io.err(
        server.firstStart
          ? `Admin token written to ${server.adminTokenFile} (mode 0600).`
          : `Admin token: ${server.adminTokenFile}`,
      );
      io.err(`Web app: ${server.url} (\`hangar open\` opens it signed in)`);
      for (const agent of server.agents) {
        if (!agent.usable)
          io.err(`Warning: ${agent.name} sessions are refused: ${agent.reason ?? ''}`);
      }
      // Last: tests (and people) take this line as the end of the banner.
      io.err(`Log in: hangar login --server ${server.url} --token - < ${server.adminTokenFile}`);
      await untilSignalled(io, server);
    });

  program
    .command('runner')
    .description(
      'run sessions for the API nodes sharing DATABASE_URL: claims queued sessions, runs their sandboxes, gateway and agents (no HTTP API)',
    )
    .action(async () => {
      const { serverConfigFrom } = await import('../../config.js');
      const { startServer } = await import('../../server/serve.js');
      const config = serverConfigFrom(io.env);
      const server = await startServer(config, undefined, {}, { api: false, runner: true });
      io.err(`Data dir: ${config.dataDir}`);
      for (const agent of server.agents) {
        if (!agent.usable)
          io.err(`Warning: ${agent.name} sessions fail here: ${agent.reason ?? ''}`);
      }
      // Last: tests (and people) take this line as the end of the banner.
      io.err(`Hangar runner ${server.runnerId ?? ''} is running (Postgres, DATABASE_URL)`);
      await untilSignalled(io, server);
    });
}

/** Runs until SIGTERM or SIGINT, then stops cleanly (sessions hibernated, leases let go). */
async function untilSignalled(io: Io, server: { close(): Promise<void> }): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      io.err(`Received ${signal}, shutting down.`);
      server.close().then(resolve, resolve);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Everything is closed and saved; a stray handle (a child's pipe, a client's socket)
  // must not keep a stopped server from exiting.
  setTimeout(() => process.exit(), 3000).unref();
}

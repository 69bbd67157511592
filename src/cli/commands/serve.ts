import type { Command } from 'commander';
import type { Io } from '../io.js';

export function registerServe(program: Command, io: Io): void {
  program
    .command('serve')
    .description('start the Hangar server (HTTP API) with its embedded store')
    .option('--port <port>', 'port to listen on (HANGAR_PORT, default 8080)')
    .option('--host <address>', 'address to listen on (HANGAR_HOST, default 127.0.0.1)')
    .action(async (options: { port?: string; host?: string }) => {
      const env = { ...io.env };
      if (options.port !== undefined) env.HANGAR_PORT = options.port;
      if (options.host !== undefined) env.HANGAR_HOST = options.host;
      // The server's code loads only here, so other commands start without it.
      const { serverConfigFrom } = await import('../../config.js');
      const { startServer } = await import('../../server/serve.js');
      const config = serverConfigFrom(env);
      const server = await startServer(config);

      const where =
        server.store.kind === 'pglite'
          ? `PGlite in ${config.dataDir}/db`
          : 'Postgres (DATABASE_URL)';
      io.err(`Hangar is running at ${server.url}`);
      io.err(`Store: ${where}`);
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
    });
}

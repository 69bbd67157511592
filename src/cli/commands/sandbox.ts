import { CommanderError, type Command } from 'commander';
import { dataDirFrom } from '../../data-dir.js';
import { ValidationError } from '../../errors.js';
import type { LocalGateway } from '../../gateway/local-gateway.js';
import type { GatewayAcceptor } from '../../sandbox/local-driver.js';
import { CliError } from '../errors.js';
import { table, type Io } from '../io.js';

interface RunOptions {
  memory?: string;
  cpus?: string;
  pids?: string;
  disk?: string;
  root?: boolean;
  keep?: boolean;
  workdir?: string;
  network?: string;
  allow: string[];
  image?: string;
}

export function registerSandbox(program: Command, io: Io): void {
  const sandbox = program
    .command('sandbox')
    .description('run commands in local sandboxes, isolated as agent sessions are')
    .exitOverride();
  const driver = async (gateway?: GatewayAcceptor) => {
    const { driverFrom } = await import('../../sandbox/drivers.js');
    try {
      return driverFrom(io.env, dataDirFrom(io.env), gateway ? { gateway } : {});
    } catch (error) {
      if (error instanceof ValidationError) throw new CliError(error.message);
      throw error;
    }
  };

  sandbox
    .command('run')
    .description('run a command in a fresh sandbox, stream its output, exit with its code')
    .option('--memory <size>', 'memory limit, e.g. 512M or 2G (default 16G, capped by the host)')
    .option('--cpus <n>', 'CPU limit in cores, e.g. 1 or 0.5 (default 4, capped by the host)')
    .option('--pids <n>', 'process limit (default 4096)')
    .option('--disk <size>', 'disk size, e.g. 1G (default 30G, capped by free space)')
    .option(
      '--image <name>',
      "run on an image (hangar image list); default: the host's /usr and /opt",
    )
    .option('--root', 'run as root inside the sandbox (default: user, the sandbox’s own uid)')
    .option('--keep', 'keep the sandbox (its disk) afterwards and print its id')
    .option('-w, --workdir <dir>', 'working directory inside (default: the home directory)')
    .option(
      '--network <level>',
      'network access: none, trusted, full or custom (default trusted; custom with --allow)',
    )
    .option(
      '--allow <pattern>',
      'allow a host, e.g. api.example.com, *.example.com or host:22 (repeatable)',
      (pattern: string, all: string[]) => [...all, pattern],
      [],
    )
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .action(async (argv: string[], options: RunOptions) => {
      const { parseCpus, parsePids, parseSize, resolveLimits } =
        await import('../../sandbox/limits.js');
      const { DEFAULT_GATEWAY_PORT } = await import('../../sandbox/gateway-relay.js');
      // Bad values fail here, before anything starts.
      const input = {
        memory: options.memory,
        cpus: options.cpus,
        pids: options.pids,
        disk: options.disk,
      };
      checkFlag(() => input.memory === undefined || parseSize(input.memory, 'memory'));
      checkFlag(() => input.cpus === undefined || parseCpus(input.cpus));
      checkFlag(() => input.pids === undefined || parsePids(input.pids));
      checkFlag(() => input.disk === undefined || parseSize(input.disk, 'disk'));

      let rootfs: string | undefined;
      if (options.image !== undefined) {
        const { getImage, imageRoot } = await import('../../images/images.js');
        const dataDir = dataDirFrom(io.env);
        rootfs = imageRoot(
          dataDir,
          checkFlag(() => getImage(dataDir, options.image ?? '')),
        );
      }
      // The sandbox's gateway, in this process: egress policy, model key, denial summary.
      // It accepts the sandbox's connections itself, on a listener in the sandbox's
      // network namespace, which is made while the gateway starts.
      const started: { gateway?: LocalGateway } = {};
      const local = await driver({
        serve: (socketPath, listener) => started.gateway?.serve(socketPath, listener) ?? false,
      });
      const capacity = await local.hostCapacity();
      const limits = checkFlag(() => resolveLimits(input, capacity));
      local.prepareNetns?.(DEFAULT_GATEWAY_PORT);
      const gateway = await startGateway(io.env, {
        network: options.network,
        allow: options.allow,
      });
      started.gateway = gateway;
      let box;
      try {
        box = await local.create({
          limits,
          gatewaySocket: gateway.socketPath,
          env: gateway.env(`127.0.0.1:${DEFAULT_GATEWAY_PORT}`),
          ...(rootfs !== undefined ? { rootfs } : {}),
        });
      } catch (error) {
        await gateway.close();
        await local.close();
        throw error;
      }
      const abort = new AbortController();
      const interrupted = (signal: NodeJS.Signals) => {
        io.err(`Received ${signal}, stopping the sandbox.`);
        abort.abort();
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      // A reader that goes away (`| head`) must not crash us before the sandbox is gone.
      const ignore = () => undefined;
      process.stdout.on('error', ignore);
      process.stderr.on('error', ignore);
      const stdin = process.stdin.isTTY ? undefined : process.stdin;
      let exitCode: number;
      try {
        const result = await box.exec(argv, {
          user: options.root ? 'root' : 'user',
          cwd: options.workdir,
          stdin,
          stdout: process.stdout,
          stderr: process.stderr,
          signal: abort.signal,
        });
        exitCode = abort.signal.aborted ? 130 : result.exitCode;
      } finally {
        process.off('SIGINT', interrupted);
        process.off('SIGTERM', interrupted);
        stdin?.unpipe();
        stdin?.destroy();
        if (options.keep) {
          await box.stop();
          io.err(
            `Kept sandbox ${box.id} (stopped; its disk is kept). Remove it: hangar sandbox rm ${box.id}`,
          );
          io.out(box.id);
        } else {
          await box.destroy();
        }
        for (const line of gateway.summary()) io.err(line);
        await gateway.close();
        await local.close();
      }
      if (exitCode !== 0) throw new CommanderError(exitCode, 'hangar.sandbox.exit', '');
    });

  sandbox
    .command('list')
    .alias('ls')
    .description('list the sandboxes on this host (kept ones, and those of running sessions)')
    .action(async () => {
      const { formatSize } = await import('../../sandbox/limits.js');
      const local = await driver();
      const rows: string[][] = [];
      for (const id of await local.list()) {
        const box = await local.get(id);
        const stats = await box.stats();
        rows.push([
          id,
          stats.state,
          formatSize(stats.limits.memoryBytes),
          String(stats.limits.cpus),
          `${formatSize(stats.diskUsedBytes)}/${formatSize(stats.limits.diskBytes)}`,
        ]);
      }
      io.out(table(['ID', 'STATE', 'MEMORY', 'CPUS', 'DISK'], rows));
    });

  sandbox
    .command('rm')
    .description('destroy sandboxes: stop their processes and delete their disks')
    .argument('<id...>', 'sandbox ids, from `hangar sandbox list`')
    .action(async (ids: string[]) => {
      const local = await driver();
      for (const id of ids) {
        await (await local.get(id)).destroy();
        io.out(`Removed ${id}.`);
      }
    });
}

/** Starts the run's gateway; a bad flag or variable is a CLI error naming it. */
async function startGateway(
  env: NodeJS.ProcessEnv,
  flags: { network?: string; allow: string[] },
): Promise<LocalGateway> {
  const { startLocalGateway } = await import('../../gateway/local-gateway.js');
  try {
    return await startLocalGateway(env, dataDirFrom(env), flags);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(error.message);
    throw error;
  }
}

/** Runs a parse, naming the flag in its error: `--memory: "lots" is not a size …`. */
function checkFlag<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(message.replace(/^(memory|cpus|pids|disk): /, '--$1: '));
  }
}

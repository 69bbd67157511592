import { spawn } from 'node:child_process';

/** What opens a URL here: `$BROWSER` when set, else the desktop's opener. */
export function browserCommand(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  if (env.BROWSER) return env.BROWSER;
  return platform === 'darwin' ? 'open' : 'xdg-open';
}

/** How long a launcher has to fail before it counts as started (a browser itself keeps running). */
const SETTLE_MS = 1_500;

export type Launch = { ok: true } | { ok: false; reason: string };

/**
 * Runs `command URL` detached, so the browser outlives the CLI. Answers once the
 * launcher exits, or has kept running for a moment; a missing command or a non-zero
 * exit is a failure with its reason.
 */
export function launchBrowser(command: string, url: string): Promise<Launch> {
  return new Promise((resolve) => {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    const settle = (launch: Launch) => {
      clearTimeout(timer);
      child.unref();
      resolve(launch);
    };
    const timer = setTimeout(() => settle({ ok: true }), SETTLE_MS);
    child.once('error', (error: NodeJS.ErrnoException) =>
      settle({
        ok: false,
        reason:
          error.code === 'ENOENT' ? `${command} was not found` : `${command}: ${error.message}`,
      }),
    );
    child.once('exit', (code, signal) =>
      settle(
        code === 0
          ? { ok: true }
          : { ok: false, reason: `${command} exited with ${signal ?? `code ${code}`}` },
      ),
    );
  });
}

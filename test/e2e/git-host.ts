import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHttpBackend } from '../../src/gateway/git-http-backend.js';

/**
 * The git host's name, pinned to loopback by the operator (HANGAR_EGRESS_RESOLVE): a
 * git host on a private address is reachable only when the operator says so.
 */
export const GIT_HOST_PIN = 'git.hangar.test=127.0.0.1';

export interface GitHost {
  /** The smart-HTTP URL of the repository, `http://git.hangar.test:<port>/acme/<name>.git`. */
  url: string;
  /** The bare repository behind it, to read what was pushed. */
  bare: string;
  /** The HTTP server, to watch the requests it gets. */
  server: Server;
  close(): void;
}

/** A smart-HTTP git host on loopback serving a bare copy of `repo`, pushes allowed. */
export async function startGitHost(repo: string, name = 'demo'): Promise<GitHost> {
  const root = mkdtempSync(join(tmpdir(), 'hangar-upstream-'));
  const bare = join(root, `${name}.git`);
  execFileSync('git', ['clone', '-q', '--bare', repo, bare]);
  execFileSync('git', ['config', 'http.receivepack', 'true'], { cwd: bare });
  const server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://upstream');
    runHttpBackend(
      {
        projectRoot: root,
        pathInfo: parsed.pathname.replace(/^\/acme/, ''),
        method: req.method ?? 'GET',
        query: parsed.search.slice(1),
        headers: req.headers,
        body: req,
        remoteUser: 'hangar',
      },
      res,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://git.hangar.test:${port}/acme/${name}.git`,
    bare,
    server,
    close: () => server.close(),
  };
}

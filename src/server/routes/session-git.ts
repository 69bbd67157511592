import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import { createRoute, z } from '@hono/zod-openapi';
import { HangarError, NotFoundError } from '../../errors.js';
import { DEFAULT_GIT_PROCESS_LIMITS, limitedGitArgs } from '../../git/repo-limits.js';
import { isAgentSessionId, isId } from '../../ids.js';
import { conversationFile } from '../../data-dir.js';
import { teleportRepo } from '../../sessions/kept-repo.js';
import { loadSessionFile } from '../../store/session-files.js';
import type { Db } from '../../store/store.js';
import type { SessionAccess } from '../session-access.js';
import { errorResponses, IdParams, jsonResponse, router } from '../context.js';

/**
 * What `hangar teleport` reads: the agent's conversation, and (for a bundle-sourced
 * session) the session's repo over read-only smart HTTP at `/sessions/:id/git/`,
 * authenticated with the same bearer token as the rest of the API.
 */
export function sessionGitRoutes(access: SessionAccess, dataDir: string, db: Db) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sessions/{id}/conversation',
      tags: ['Sessions'],
      security: [{ bearer: [] }],
      request: { params: IdParams },
      responses: {
        200: jsonResponse(
          z.object({
            agentSessionId: z.string(),
            sandboxRepoPath: z
              .string()
              .describe('Where the repo is in the sandbox; rewrite it to the local path'),
            jsonl: z.string().describe("The agent's conversation file, as of the last turn"),
          }),
          'The agent conversation',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = await access.write(c.get('user').id, c.req.valid('param').id, 'teleport it');
      const file = conversationFile(dataDir, session.id);
      if (session.agentSessionId && !isAgentSessionId(session.agentSessionId)) {
        throw new HangarError(
          'invalid_agent_session',
          409,
          "The agent's conversation id is not a UUID: it is not handed over.",
        );
      }
      // The store's, saved after each turn wherever it ran (the session may have moved
      // off this host since); else this host's copy, from before the store kept one.
      const jsonl =
        (await loadSessionFile(db, session.id, 'conversation')) ??
        (existsSync(file) ? await readFile(file) : undefined);
      if (!session.agentSessionId || !jsonl) {
        throw new HangarError(
          'not_ready',
          409,
          'The agent has not finished a turn yet: there is no conversation to hand over.',
        );
      }
      return c.json(
        {
          agentSessionId: session.agentSessionId,
          sandboxRepoPath: `/home/user/${session.repoName}`,
          jsonl: jsonl.toString('utf8'),
        },
        200,
      );
    },
  );

  // Smart HTTP, upload-pack only (git's "http-protocol" doc): clients fetch, never push.
  app.get('/sessions/:id/git/info/refs', async (c) => {
    const repo = await bareRepoOf(access, db, dataDir, c.get('user').id, c.req.param('id'));
    if (c.req.query('service') !== 'git-upload-pack') throw readOnly();
    const protocol = c.req.header('git-protocol');
    const advert = uploadPack(repo, ['--advertise-refs'], protocol, undefined);
    // Protocol v0/v1 advertisements start with a service line; v2 answers bare.
    const prefix = protocol?.includes('version=2') ? '' : '001e# service=git-upload-pack\n0000';
    return new Response(prepend(prefix, advert), {
      headers: {
        'content-type': 'application/x-git-upload-pack-advertisement',
        'cache-control': 'no-cache',
      },
    });
  });

  app.post('/sessions/:id/git/git-upload-pack', async (c) => {
    const repo = await bareRepoOf(access, db, dataDir, c.get('user').id, c.req.param('id'));
    const raw = c.req.raw.body
      ? Readable.fromWeb(c.req.raw.body as WebReadableStream<Uint8Array>)
      : Readable.from([]);
    const body = c.req.header('content-encoding') === 'gzip' ? raw.pipe(createGunzip()) : raw;
    return new Response(uploadPack(repo, [], c.req.header('git-protocol'), body), {
      headers: {
        'content-type': 'application/x-git-upload-pack-result',
        'cache-control': 'no-cache',
      },
    });
  });

  app.all('/sessions/:id/git/*', () => {
    throw readOnly();
  });

  return app;
}

async function bareRepoOf(
  access: SessionAccess,
  db: Db,
  dataDir: string,
  userId: string,
  id: string,
): Promise<string> {
  // Outside the OpenAPI routes, so the id's shape is checked here, before the query.
  if (!isId(id)) throw new NotFoundError('bundle-sourced session repository for session', id);
  const session = await access.write(userId, id, 'teleport it');
  const repo =
    (session.source as { type: string }).type === 'bundle'
      ? await teleportRepo(db, dataDir, session.id).catch((error: unknown) => {
          throw new HangarError(
            'repo_unavailable',
            409,
            error instanceof Error ? error.message : String(error),
          );
        })
      : undefined;
  if (!repo) throw new NotFoundError('bundle-sourced session repository for session', id);
  return repo;
}

function readOnly(): HangarError {
  return new HangarError(
    'read_only',
    403,
    "This endpoint serves fetches only: push to the session's branch from inside it.",
  );
}

/** `git upload-pack --stateless-rpc`, its stdout as a web stream. */
function uploadPack(
  repo: string,
  extra: string[],
  protocol: string | undefined,
  stdin: Readable | undefined,
): ReadableStream<Uint8Array> {
  // The repo's objects came from a sandbox's pushes: git runs under rlimits.
  const args = ['upload-pack', '--stateless-rpc', ...extra, repo];
  const child = spawn('sh', limitedGitArgs(args, DEFAULT_GIT_PROCESS_LIMITS), {
    env: {
      PATH: process.env.PATH,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      ...(protocol ? { GIT_PROTOCOL: protocol } : {}),
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin.on('error', () => undefined);
  if (stdin) stdin.pipe(child.stdin);
  else child.stdin.end();
  return Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>;
}

function prepend(prefix: string, stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  if (!prefix) return stream;
  const reader = stream.getReader();
  let sentPrefix = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentPrefix) {
        sentPrefix = true;
        controller.enqueue(new TextEncoder().encode(prefix));
        return;
      }
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createRoute, z } from '@hono/zod-openapi';
import { bundleDir, bundlePath } from '../../data-dir.js';
import { HangarError, ValidationError } from '../../errors.js';
import { verifyBundle } from '../../git/bundle.js';
import { newId } from '../../ids.js';
import { bundleQuotaError, bundleUsage, insertBundle } from '../../store/bundles.js';
import type { Db } from '../../store/store.js';
import { errorResponses, jsonResponse, router } from '../context.js';

const BundleSchema = z
  .object({
    id: z.string(),
    sizeBytes: z.number(),
    refs: z.record(z.string(), z.string()).describe('Ref name → commit id'),
  })
  .openapi('Bundle');

/** How much bundle data the server takes: per upload, and per user at once. */
export interface BundleLimits {
  /** The largest single bundle (HANGAR_MAX_BUNDLE_MB). */
  maxBytes: number;
  /** A user's bundles together (HANGAR_MAX_BUNDLE_MB_PER_USER). */
  quotaBytes: number;
}

/** `/bundles`: upload a git bundle as a session source. */
export function bundleRoutes(db: Db, dataDir: string, limits: BundleLimits) {
  const { maxBytes, quotaBytes } = limits;
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/bundles/limits',
      tags: ['Sessions'],
      security: [{ bearer: [] }],
      responses: {
        200: jsonResponse(
          z.object({
            maxBytes: z.number().describe('The largest bundle this server takes'),
            quotaBytes: z.number().describe('How many bytes of bundles you may store at once'),
            usedBytes: z.number().describe('How many you store now'),
          }),
          'How large a bundle this server takes from you now',
        ),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json({ maxBytes, quotaBytes, usedBytes: await bundleUsage(db, c.get('user').id) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/bundles',
      tags: ['Sessions'],
      security: [{ bearer: [] }],
      request: {
        body: {
          required: true,
          description: 'A complete git bundle (`git bundle create FILE --all`)',
          content: {
            'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
          },
        },
      },
      responses: {
        201: jsonResponse(BundleSchema, 'The stored bundle'),
        413: errorResponses[400],
        ...errorResponses,
      },
    }),
    async (c) => {
      const tooLarge = () =>
        new HangarError(
          'too_large',
          413,
          `The bundle is over this server's limit of ${maxBytes} bytes (HANGAR_MAX_BUNDLE_MB).`,
          { maxBytes },
        );
      // Refused before the whole body is read, the connection cannot carry another request.
      c.header('Connection', 'close');
      const userId = c.get('user').id;
      const used = await bundleUsage(db, userId);
      const declared = Number(c.req.header('content-length') ?? NaN);
      if (declared > maxBytes) throw tooLarge();
      if (declared > quotaBytes - used) throw bundleQuotaError(used, quotaBytes, declared);
      const body = c.req.raw.body;
      if (!body)
        throw new ValidationError('the request has no body: send the bundle file', 'bundle');

      const id = newId('bun');
      const dir = bundleDir(dataDir);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const partial = join(dir, `${id}.partial`);
      let size = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size > maxBytes) done(tooLarge());
          else if (size > quotaBytes - used) done(bundleQuotaError(used, quotaBytes, size));
          else done(null, chunk);
        },
      });
      // Opened before the body flows: a stream that opens the file itself may create it
      // after a refused upload's clean-up below has run, leaving it behind.
      const file = await open(partial, 'wx', 0o600);
      try {
        await pipeline(
          Readable.fromWeb(body as WebReadableStream<Uint8Array>),
          limit,
          file.createWriteStream(),
        );
        if (size === 0)
          throw new ValidationError('the request has no body: send the bundle file', 'bundle');
        const refs = await verifyBundle(partial, dir);
        // Counted first (the quota is checked again there), then moved into place.
        // At most HANGAR_MAX_BUNDLE_MB, read back whole: the store keeps it for every runner.
        const data = await readFile(partial);
        await insertBundle(db, { id, userId, sizeBytes: size, refs }, data, quotaBytes);
        await rename(partial, bundlePath(dataDir, id));
        return c.json({ id, sizeBytes: size, refs }, 201);
      } finally {
        await file.close().catch(() => undefined); // The stream closes it; else here.
        await rm(partial, { force: true });
      }
    },
  );

  return app;
}

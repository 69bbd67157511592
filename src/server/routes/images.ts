import { createRoute, z } from '@hono/zod-openapi';
import { HangarError, NotFoundError } from '../../errors.js';
import type { ImageBuilds, BuildState } from '../../images/builds.js';
import { imagePackages } from '../../images/build.js';
import {
  checkImageName,
  findImage,
  IMAGE_NAME,
  listImages,
  removeImage,
  type ImageInfo,
} from '../../images/images.js';
import { errorResponses, jsonBody, jsonResponse, router, type AppEnv } from '../context.js';
import type { Context } from 'hono';

const Name = z
  .string()
  .regex(IMAGE_NAME, 'must be lowercase letters, digits and . _ - (at most 63)')
  .describe('Image name: universal, minimal, or your own (built from minimal)');

const ImageSchema = z
  .object({
    name: z.string(),
    state: z.enum(['ready', 'building', 'failed']),
    source: z.enum(['debian', 'import']).optional(),
    packages: z.array(z.string()).describe('Debian packages it was built with'),
    builtAt: z.iso.datetime().optional(),
    sizeBytes: z.number().int().optional(),
    progress: z.array(z.string()).describe("A build's last lines of progress"),
    error: z.string().optional().describe('Why the last build failed'),
  })
  .openapi('Image');

const BuildImage = z
  .strictObject({
    name: Name,
    packages: z
      .array(z.string().max(100))
      .max(500)
      .optional()
      .describe('More Debian packages on top of the definition'),
  })
  .openapi('BuildImage');

type ImageJson = z.infer<typeof ImageSchema>;

function toJson(
  info: ImageInfo | undefined,
  build: BuildState | undefined,
  name: string,
): ImageJson {
  return {
    name,
    state: build?.state ?? 'ready',
    ...(info
      ? {
          source: info.source,
          builtAt: info.builtAt,
          sizeBytes: info.sizeBytes,
        }
      : {}),
    packages: info?.packages ?? [],
    progress: build?.progress ?? [],
    ...(build?.error !== undefined ? { error: build.error } : {}),
  };
}

const NameParams = z.object({ name: Name.openapi({ param: { name: 'name', in: 'path' } }) });
const tags = ['Images'];
const security = [{ bearer: [] }];
const forbidden = errorResponses[401];

function requireAdmin(c: Context<AppEnv>): void {
  if (!c.get('user').isAdmin) {
    throw new HangarError('forbidden', 403, 'Only an admin can manage sandbox images.');
  }
}

/** `/images`: sandbox images on this server's host; listed to all, built and removed by an admin. */
export function imageRoutes(dataDir: string, builds: ImageBuilds) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/images',
      tags,
      security,
      responses: {
        200: jsonResponse(z.object({ images: z.array(ImageSchema) }), 'Images and builds'),
        403: forbidden,
        ...errorResponses,
      },
    }),
    (c) => {
      // Anyone may list them: an environment names one.
      const images = new Map(listImages(dataDir).map((i) => [i.name, i]));
      const names = new Set([...images.keys(), ...builds.list().map((b) => b.name)]);
      return c.json(
        {
          images: [...names].sort().map((name) => toJson(images.get(name), builds.get(name), name)),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/images',
      tags,
      security,
      request: { body: jsonBody(BuildImage, 'The image to build') },
      responses: {
        202: jsonResponse(ImageSchema, 'The build started; poll GET /images/{name}'),
        403: forbidden,
        ...errorResponses,
      },
    }),
    (c) => {
      requireAdmin(c);
      const { name, packages } = c.req.valid('json');
      // Bad package names are a 400 now, not a failed build later.
      imagePackages(name, packages);
      const build = builds.start(name, packages ?? []);
      return c.json(toJson(findImage(dataDir, name), build, name), 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/images/{name}',
      tags,
      security,
      request: { params: NameParams },
      responses: { 200: jsonResponse(ImageSchema, 'The image'), 403: forbidden, ...errorResponses },
    }),
    (c) => {
      requireAdmin(c);
      const { name } = c.req.valid('param');
      const info = findImage(dataDir, checkImageName(name));
      const build = builds.get(name);
      if (!info && !build) throw new NotFoundError('image', name);
      return c.json(toJson(info, build, name), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/images/{name}',
      tags,
      security,
      request: { params: NameParams },
      responses: { 204: { description: 'Removed' }, 403: forbidden, ...errorResponses },
    }),
    (c) => {
      requireAdmin(c);
      removeImage(dataDir, c.req.valid('param').name);
      return c.body(null, 204);
    },
  );

  return app;
}

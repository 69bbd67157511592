import { createRoute, z } from '@hono/zod-openapi';
import { parseDotenv } from '../../environments/dotenv.js';
import { checkSettings, DEFAULT_SETTINGS } from '../../environments/settings.js';
import { formatHostPattern, parseHostPattern } from '../../gateway/host-pattern.js';
import {
  archiveEnvironment,
  createEnvironment,
  getEnvironment,
  listEnvironments,
  setDefaultEnvironment,
  updateEnvironment,
  type Environment,
} from '../../store/environments.js';
import { networkLevels } from '../../environments/network-level.js';
import { findImage, IMAGE_NAME, listImages } from '../../images/images.js';
import { ValidationError } from '../../errors.js';
import { resolveImage } from '../../images/resolve.js';
import { AGENT_NAMES, DEFAULT_AGENT_NAME } from '../../agents/catalog.js';
import type { SetupCache } from '../../sessions/setup-cache.js';
import type { Db } from '../../store/store.js';
import { isMember } from '../../store/teams.js';
import {
  ArchivedQuery,
  errorResponses,
  Id,
  IdParams,
  jsonBody,
  jsonResponse,
  router,
} from '../context.js';

const MAX_ENV_VARS = 64 * 1024;
const MAX_SETUP_SCRIPT = 256 * 1024;
const MAX_PATTERNS = 1000;

const Name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .refine((name) => !/\p{Cc}/u.test(name), 'must not contain control characters')
  .describe('Shown in the environment selector; unique among your live environments');

const NetworkLevel = z
  .enum(networkLevels)
  .describe(
    'none: no network; trusted: the default allowlist; full: any public host; custom: your allowlist',
  );

const Allowlist = z
  .array(z.string().max(300))
  .max(MAX_PATTERNS, `at most ${MAX_PATTERNS} patterns`)
  .transform((patterns, ctx) =>
    patterns.map((raw, index) => {
      const result = parseHostPattern(raw);
      if (result.ok) return formatHostPattern(result.pattern);
      ctx.addIssue({ code: 'custom', path: [index], message: `"${raw}" ${result.reason}` });
      return z.NEVER;
    }),
  )
  .describe(
    'Host patterns for the custom level: `host`, `*.host` (subdomains only), optional `:port`',
  );

const EnvVars = z
  .string()
  .max(MAX_ENV_VARS, `must be at most ${MAX_ENV_VARS} bytes`)
  .superRefine((text, ctx) => {
    for (const error of parseDotenv(text).errors) {
      ctx.addIssue({
        code: 'custom',
        message: `line ${error.line}: ${error.message}`,
        params: { line: error.line },
      });
    }
  })
  .describe('.env text: one KEY=value a line; quotes are kept as part of the value');

const SetupScript = z
  .string()
  .max(MAX_SETUP_SCRIPT, `must be at most ${MAX_SETUP_SCRIPT} bytes`)
  .refine((script) => !script.includes('\0'), 'must not contain NUL bytes')
  .describe('Bash, run as root in the sandbox when a new session starts');

const ImageName = z
  .string()
  .regex(IMAGE_NAME, 'must be an image name: lowercase letters, digits and . _ - (at most 63)')
  .nullable()
  .describe(
    'The sandbox image sessions run on (hangar image list); null: universal once built, else the host view',
  );

const DefaultAgent = z
  .enum(AGENT_NAMES, { error: `must be one of ${AGENT_NAMES.join(', ')}` })
  .nullable()
  .describe(
    `The agent of a session started here that names none; null: the server's default (${DEFAULT_AGENT_NAME})`,
  );

const TeamId = Id.nullable().describe(
  'The team that owns it: every member sees, edits and uses it (env vars included); null: personal, yours alone',
);

const CreateEnvironment = z
  .strictObject({
    name: Name,
    networkLevel: NetworkLevel.optional(),
    allowlist: Allowlist.optional(),
    includeDefaults: z.boolean().optional(),
    envVars: EnvVars.optional(),
    setupScript: SetupScript.optional(),
    image: ImageName.optional(),
    defaultAgent: DefaultAgent.optional(),
    teamId: TeamId.optional(),
  })
  .openapi('CreateEnvironment');

const UpdateEnvironment = z
  .strictObject({
    name: Name.optional(),
    networkLevel: NetworkLevel.optional(),
    allowlist: Allowlist.optional(),
    includeDefaults: z.boolean().optional(),
    envVars: EnvVars.optional(),
    setupScript: SetupScript.optional(),
    image: ImageName.optional(),
    defaultAgent: DefaultAgent.optional(),
    teamId: TeamId.optional(),
  })
  .openapi('UpdateEnvironment');

const EnvironmentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    networkLevel: NetworkLevel,
    allowlist: z.array(z.string()),
    includeDefaults: z.boolean(),
    envVars: z.string(),
    setupScript: z.string(),
    image: z.string().nullable().describe('The image it names; null: the default'),
    effectiveImage: z
      .string()
      .nullable()
      .describe("The image sessions run on now; null: the host's own /usr and /opt"),
    imageWarning: z
      .string()
      .optional()
      .describe('Why sessions would not run on an image as set, and what to do'),
    defaultAgent: z
      .string()
      .nullable()
      .describe("The agent of a session started here that names none; null: the server's default"),
    isDefault: z.boolean(),
    teamId: z.string().nullable().describe('The team that owns it; null: personal'),
    archived: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Environment');

type EnvironmentJson = z.infer<typeof EnvironmentSchema>;

function toJson(env: Environment, defaultId: string | null, dataDir: string): EnvironmentJson {
  const resolved = resolveImage(dataDir, env.image);
  return {
    image: env.image,
    effectiveImage: resolved.root === undefined ? null : (resolved.name ?? null),
    ...(resolved.warning !== undefined ? { imageWarning: resolved.warning } : {}),
    id: env.id,
    name: env.name,
    networkLevel: env.networkLevel,
    allowlist: env.allowlist,
    includeDefaults: env.includeDefaults,
    envVars: env.envVars,
    setupScript: env.setupScript,
    defaultAgent: env.defaultAgent,
    isDefault: env.id === defaultId,
    teamId: env.teamId,
    archived: env.archivedAt !== null,
    createdAt: env.createdAt.toISOString(),
    updatedAt: env.updatedAt.toISOString(),
  };
}

/** A team environment is made by one of its members. */
async function requireMember(db: Db, teamId: string, userId: string): Promise<void> {
  if (!(await isMember(db, teamId, userId))) {
    throw new ValidationError(
      `you are not in a team with id "${teamId}" (hangar team list)`,
      'teamId',
    );
  }
}

/** An image named in a create or an edit must be built: a typo is a 400, not a failed session. */
function checkImageBuilt(dataDir: string, image: string | null | undefined): void {
  if (image === undefined || image === null || findImage(dataDir, image)) return;
  const built = listImages(dataDir).map((i) => i.name);
  throw new ValidationError(
    `image "${image}" is not built on this server (built: ${built.join(', ') || 'none'}); build it with: hangar image build ${image}`,
    'image',
  );
}

const tags = ['Environments'];
const security = [{ bearer: [] }];
const one = jsonResponse(EnvironmentSchema, 'The environment');

/** `/environments`: name, network level and allowlist, env vars, setup script. */
export function environmentRoutes(
  db: Db,
  clock: () => Date,
  dataDir: string,
  setupCache: SetupCache,
) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/environments',
      tags,
      security,
      request: { query: ArchivedQuery },
      responses: {
        200: jsonResponse(
          z.object({ environments: z.array(EnvironmentSchema) }),
          'Your environments',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const user = c.get('user');
      const list = await listEnvironments(db, user.id, { archived: c.req.valid('query').archived });
      return c.json(
        { environments: list.map((env) => toJson(env, user.defaultEnvironmentId, dataDir)) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/environments',
      tags,
      security,
      request: { body: jsonBody(CreateEnvironment, 'The new environment') },
      responses: { 201: one, ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const { teamId, ...body } = c.req.valid('json');
      checkImageBuilt(dataDir, body.image);
      const settings = checkSettings({ ...DEFAULT_SETTINGS, ...body });
      if (teamId) await requireMember(db, teamId, user.id);
      const env = await createEnvironment(db, user.id, settings, teamId ?? null);
      return c.json(toJson(env, user.defaultEnvironmentId, dataDir), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/environments/{id}',
      tags,
      security,
      request: { params: IdParams },
      responses: { 200: one, ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const env = await getEnvironment(db, user.id, c.req.valid('param').id);
      return c.json(toJson(env, user.defaultEnvironmentId, dataDir), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/environments/{id}',
      tags,
      security,
      request: { params: IdParams, body: jsonBody(UpdateEnvironment, 'The fields to change') },
      responses: { 200: one, ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const { id } = c.req.valid('param');
      const current = await getEnvironment(db, user.id, id);
      const { teamId, ...body } = c.req.valid('json');
      checkImageBuilt(dataDir, body.image);
      const settings = checkSettings({ ...current, ...body });
      if (teamId) await requireMember(db, teamId, user.id);
      if (teamId === null && current.teamId !== null && current.userId !== user.id) {
        throw new ValidationError(
          'only the person who made a team environment can make it personal again (it becomes theirs)',
          'teamId',
        );
      }
      const env = await updateEnvironment(
        db,
        user.id,
        id,
        {
          ...settings,
          ...(teamId !== undefined ? { teamId } : {}),
        },
        clock(),
      );
      return c.json(toJson(env, user.defaultEnvironmentId, dataDir), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/environments/{id}/archive',
      tags,
      security,
      request: { params: IdParams },
      responses: { 200: one, ...errorResponses },
    }),
    async (c) => {
      const user = c.get('user');
      const env = await archiveEnvironment(db, user.id, c.req.valid('param').id, clock());
      return c.json(toJson(env, user.defaultEnvironmentId, dataDir), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/environments/{id}/default',
      tags,
      security,
      request: { params: IdParams },
      responses: { 200: one, ...errorResponses },
    }),
    async (c) => {
      const env = await setDefaultEnvironment(db, c.get('user').id, c.req.valid('param').id);
      return c.json(toJson(env, env.id, dataDir), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/environments/{id}/setup-cache',
      tags,
      security,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(
          z.object({ cleared: z.boolean().describe('False: there was no cached setup') }),
          "The environment's next new session runs its setup script again",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const env = await getEnvironment(db, c.get('user').id, c.req.valid('param').id);
      return c.json({ cleared: setupCache.clear(env.id) }, 200);
    },
  );

  return app;
}

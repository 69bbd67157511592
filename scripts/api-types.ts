// Writes the API types the web app and the CLI share (src/api/schema.d.ts) from the
// server's own OpenAPI document, so both are typed against exactly what the server serves.
// Run: npm run gen:api. test/api-types.test.ts fails when the file is stale.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import { pino } from 'pino';
import { serverConfigFrom } from '../src/config.js';
import { startServer } from '../src/server/serve.js';

export const API_TYPES_FILE = new URL('../src/api/schema.d.ts', import.meta.url).pathname;

const HEADER = '// Generated from /openapi.json by scripts/api-types.ts: do not edit.\n';

/** The TypeScript declarations for an OpenAPI document, formatted as the repo formats code. */
export async function renderApiTypes(document: unknown): Promise<string> {
  const source = HEADER + astToString(await openapiTS(document as never));
  const options = await resolveConfig(API_TYPES_FILE);
  return format(source, { ...options, filepath: API_TYPES_FILE });
}

/** The OpenAPI document of a real server started on a throwaway data dir. */
export async function fetchOpenApiDocument(): Promise<unknown> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-openapi-'));
  const server = await startServer(
    serverConfigFrom({ HANGAR_DATA_DIR: dataDir, HANGAR_PORT: '0' }),
    pino({ level: 'silent' }),
  );
  try {
    return await (await fetch(`${server.url}/openapi.json`)).json();
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  writeFileSync(API_TYPES_FILE, await renderApiTypes(await fetchOpenApiDocument()));
  console.log(`wrote ${API_TYPES_FILE}`);
}

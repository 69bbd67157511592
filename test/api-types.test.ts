import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { API_TYPES_FILE, fetchOpenApiDocument, renderApiTypes } from '../scripts/api-types.js';

it('the web app and the CLI are typed against the API the server serves now (else: npm run gen:api)', async () => {
  const fresh = await renderApiTypes(await fetchOpenApiDocument());
  expect(
    readFileSync(API_TYPES_FILE, 'utf8') === fresh,
    'src/api/schema.d.ts is stale: run `npm run gen:api`',
  ).toBe(true);
}, 60_000);

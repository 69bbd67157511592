import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** One agent install shared by every test run on this machine (it is ~380 MB). */
export function testAgentsDir(): string {
  return process.env.HANGAR_AGENTS_DIR ?? join(tmpdir(), 'hangar-test-agents');
}

import { describe, expect, it } from 'vitest';
import {
  bundlePath,
  conversationFile,
  defaultAgentsDir,
  gatewaySocketPath,
  sessionBareRepo,
  sessionDir,
  storeDir,
} from './data-dir.js';

describe('data dir layout', () => {
  it('keeps everything of a session under its own directory, removed with it', () => {
    const dir = sessionDir('/srv/hangar', 'ses_1');
    expect(dir).toBe('/srv/hangar/sessions/ses_1');
    for (const path of [
      sessionBareRepo('/srv/hangar', 'ses_1'),
      conversationFile('/srv/hangar', 'ses_1'),
      gatewaySocketPath('/srv/hangar', 'ses_1'),
    ]) {
      expect(path.startsWith(`${dir}/`)).toBe(true);
    }
  });

  it('puts the store, the agents and the bundles in directories of their own', () => {
    expect(storeDir('/srv/hangar')).toBe('/srv/hangar/db');
    expect(defaultAgentsDir('/srv/hangar')).toBe('/srv/hangar/agents');
    expect(bundlePath('/srv/hangar', 'bun_1')).toBe('/srv/hangar/bundles/bun_1.bundle');
  });
});

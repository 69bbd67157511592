import { describe, expect, it } from 'vitest';
import { repoKey } from './workspace.js';

describe('repoKey', () => {
  it('is host/owner/repo for a git source, without .git or a trailing slash', () => {
    const key = (url: string) =>
      repoKey({ id: 'ses_1', repoName: 'app', source: { type: 'git', url, branch: 'main' } });
    expect(key('https://github.com/acme/app.git')).toBe('github.com/acme/app');
    expect(key('https://git.example:8443/acme/app/')).toBe('git.example:8443/acme/app');
  });

  it("is Hangar's own, per session, for a bundle", () => {
    const source = { type: 'bundle', bundleId: 'bun_1', branch: 'main', name: 'app' };
    expect(repoKey({ id: 'ses_1', repoName: 'app', source })).toBe('hangar.local/ses_1/app');
  });
});

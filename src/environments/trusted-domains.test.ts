import { describe, expect, it } from 'vitest';
import { loadTrustedDomains, parseTrustedDomains } from './trusted-domains.js';

describe('trusted domains', () => {
  it('ships a valid list with the registries and hosts users rely on', () => {
    const groups = loadTrustedDomains();
    const all = groups.flatMap((group) => group.patterns);
    expect(groups.length).toBeGreaterThan(5);
    expect(all).toEqual(expect.arrayContaining(['github.com', 'api.anthropic.com', '*.npmjs.org']));
    expect(new Set(all).size).toBe(all.length);
  });

  it('refuses a bad line in the file, naming it', () => {
    expect(() => parseTrustedDomains('[G]\nok.example\n*.com\n')).toThrow(/line 3: "\*\.com"/);
  });
});

import { describe, expect, it } from 'vitest';
import { githubGitHost, parseGitHubRepo } from './repo-ref.js';

const dotcom = { webUrl: 'https://github.com' };
const ghes = { webUrl: 'http://10.0.0.5:8080' };

describe('parseGitHubRepo', () => {
  it('reads owner/repo, the web URL and its .git form as one repo', () => {
    for (const source of [
      'acme/app',
      'https://github.com/acme/app',
      'https://github.com/acme/app.git',
      'https://github.com/acme/app/',
      'https://GitHub.com:443/acme/app',
    ]) {
      expect(parseGitHubRepo(source, dotcom), source).toEqual({
        owner: 'acme',
        repo: 'app',
        cloneUrl: 'https://github.com/acme/app.git',
      });
    }
  });

  it('knows an Enterprise Server by its configured URL', () => {
    expect(parseGitHubRepo('http://10.0.0.5:8080/team/svc.git', ghes)?.cloneUrl).toBe(
      'http://10.0.0.5:8080/team/svc.git',
    );
    expect(parseGitHubRepo('team/svc', ghes)?.cloneUrl).toBe('http://10.0.0.5:8080/team/svc.git');
  });

  it('leaves other git hosts alone', () => {
    for (const source of [
      'https://gitlab.com/acme/app.git',
      'http://github.com/acme/app',
      'https://github.com:8443/acme/app',
      'https://user@github.com/acme/app',
      'not a url',
    ]) {
      expect(parseGitHubRepo(source, dotcom), source).toBeUndefined();
    }
  });

  it('refuses a GitHub path that names no repo, saying which field', () => {
    for (const source of [
      'https://github.com/acme',
      'https://github.com/acme/app/tree/main',
      'acme/..',
      '-acme/app',
      'acme/app%',
    ]) {
      expect(() => parseGitHubRepo(source, dotcom), source).toThrow(
        /^source\.url: .* does not name a GitHub repository/,
      );
    }
  });

  it('gives the configured host as a trusted git host', () => {
    expect(githubGitHost(ghes)).toBe('http://10.0.0.5:8080');
    expect(githubGitHost(dotcom)).toBe('https://github.com:443');
  });
});

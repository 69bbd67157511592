import { describe, expect, it } from 'vitest';
import { labelAgentText } from '../github/agent-label.js';
import { checkBody, decideGitHub } from './github-rule.js';

const scope = { owner: 'acme', repo: 'app' };
const decide = (method: string, target: string) => decideGitHub(method, target, scope);

describe('decideGitHub', () => {
  it.each([
    [
      'GET',
      '/github/repos/acme/app/issues?state=open&per_page=50',
      '/repos/acme/app/issues?state=open&per_page=50',
    ],
    ['GET', '/github/repos/acme/app/issues/7', '/repos/acme/app/issues/7'],
    ['POST', '/github/repos/acme/app/issues/7/comments', '/repos/acme/app/issues/7/comments'],
    ['GET', '/github/repos/acme/app/pulls/3/reviews', '/repos/acme/app/pulls/3/reviews'],
    [
      'POST',
      '/github/repos/acme/app/pulls/3/comments/99/replies',
      '/repos/acme/app/pulls/3/comments/99/replies',
    ],
    [
      'GET',
      '/github/repos/acme/app/commits/0123abc/check-runs',
      '/repos/acme/app/commits/0123abc/check-runs',
    ],
    ['GET', '/github/repos/acme/app/actions/jobs/12/logs', '/repos/acme/app/actions/jobs/12/logs'],
  ])('allows %s %s', (method, target, path) => {
    expect(decide(method, target)).toMatchObject({ ok: true, path });
  });

  it('marks the PR edit as needing the session own PR, and job logs as a redirect to follow', () => {
    expect(decide('PATCH', '/github/repos/acme/app/pulls/3')).toMatchObject({
      ok: true,
      ownPull: 3,
    });
    expect(decide('GET', '/github/repos/acme/app/actions/jobs/12/logs')).toMatchObject({
      followRedirect: true,
    });
    expect(decide('GET', '/github/repos/acme/app/issues/1')).toMatchObject({
      followRedirect: false,
    });
  });

  it.each([
    ['GET', '/github/repos/acme/other/issues', 'github-other-repo'],
    ['GET', '/github/repos/ACME/app/issues', 'github-other-repo'],
    ['GET', '/github/repos/acme/App/issues', 'github-other-repo'],
    ['GET', '/github/user', 'github-not-repo'],
    ['GET', '/github/repos/acme/app/../other/issues', 'github-bad-path'],
    ['GET', '/github/repos/acme/app/issues/%2e%2e/1', 'github-bad-path'],
    ['GET', '/github/repos/acme%2fother/issues', 'github-bad-path'],
    ['GET', '/github/repos/acme/app//issues', 'github-bad-path'],
    ['GET', '/github/https://evil.example/repos/acme/app', 'github-bad-path'],
    ['GET', '/github/repos/acme/app/issues?state=open&access_token=x', 'github-query-not-allowed'],
    ['GET', '/github/repos/acme/app/issues?state=open%26x', 'github-bad-query'],
    ['GET', '/github/repos/acme/app/issues?state=a&state=b', 'github-bad-query'],
    ['DELETE', '/github/repos/acme/app/issues/7/comments', 'github-method-not-allowed'],
    ['PATCH', '/github/repos/acme/app/issues/7', 'github-method-not-allowed'],
    ['PUT', '/github/repos/acme/app/pulls/3/merge', 'github-path-not-allowed'],
    ['GET', '/github/repos/acme/app/contents/secrets.txt', 'github-path-not-allowed'],
    ['GET', '/github/repos/acme/app/actions/secrets', 'github-path-not-allowed'],
    ['GET', '/github/repos/acme/app/commits/a..b/check-runs', 'github-path-not-allowed'],
  ])('refuses %s %s (%s)', (method, target, code) => {
    const verdict = decide(method, target);
    expect(verdict).toMatchObject({ ok: false, code });
    expect(verdict.ok || verdict.reason.length > 10).toBe(true);
  });
});

describe('checkBody', () => {
  const comment = { fields: ['body'], required: ['body'], labelled: ['body'] };

  it('keeps only the listed fields and labels the agent text', () => {
    const checked = checkBody('{"body":"Fixed in abc."}', comment, labelAgentText);
    expect(checked.ok && (JSON.parse(checked.json) as { body: string }).body).toBe(
      labelAgentText('Fixed in abc.'),
    );
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1]', 'not a JSON object'],
    ['{"body":"x","event":"APPROVE"}', '"event" is not allowed'],
    ['{"body":7}', 'must be a string'],
    ['{"body":"  "}', '"body" is required'],
  ])('refuses %s', (raw, reason) => {
    expect(checkBody(raw, comment, labelAgentText)).toMatchObject({
      ok: false,
      reason: expect.stringContaining(reason) as unknown,
    });
  });
});

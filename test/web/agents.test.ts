import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { startGitHost, type GitHost } from '../e2e/git-host.js';
import { makeRepo, Stack } from '../e2e/stack.js';
import { launchChromium, screenshots, signedInContext } from './browser.js';

/**
 * Choosing the agent in the web app, in Debian's chromium against a real `hangar serve`:
 * the new-session form preselects the environment's default agent and offers only the
 * agents whose model key the server has; a session started with Codex runs the real
 * `codex` in a sandbox against the scripted OpenAI stand-in, and its page says so.
 */

let model: ModelServer;
let stack: Stack;
let anthropicOnly: Stack;
let host: GitHost;
let browser: Browser;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model);
  // The same, with no OpenAI key nor upstream: Codex cannot run there.
  anthropicOnly = await Stack.start(model, { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' });
  host = await startGitHost(makeRepo('greeter', { 'README.md': '# greeter\n' }));
  browser = await launchChromium();
  mkdirSync(stack.env.HOME ?? '', { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser.close();
  host.close();
  await anthropicOnly.server.stop();
  await stack.server.stop();
  await model.close();
});

/** A page of `on`'s web app signed in with its admin's token, opened at `path`. */
async function signedIn(on: Stack, path: string): Promise<Page> {
  const context = await signedInContext(browser, on.token);
  const page = await context.newPage();
  await page.goto(`${on.server.url}${path}`);
  return page;
}

/** The names the agent selector offers, in order. */
async function offered(page: Page): Promise<string[]> {
  const options = page.getByLabel('Agent', { exact: true }).locator('option');
  return Promise.all((await options.all()).map(async (o) => (await o.getAttribute('value')) ?? ''));
}

describe('the agent of a new session', { timeout: 600_000 }, () => {
  it("preselects the environment's default, and a session started with Codex runs it", async () => {
    const shot = screenshots('agents');
    await stack.createEnvironment({ name: 'codex by default', defaultAgent: 'codex' });
    await stack.createEnvironment({ name: 'plain' });
    const task = 'add a greeting with codex';
    model.scriptFor(task, {
      replies: [
        {
          content: [
            { type: 'text', text: 'Writing the greeting.' },
            bashCall("printf 'hello\\n' > greeting.txt && echo written"),
          ],
        },
        say('Codex added greeting.txt.'),
      ],
    });

    const page = await signedIn(stack, '/');
    const agent = page.getByLabel('Agent', { exact: true });
    const environment = page.getByLabel('Environment', { exact: true });
    // Once the server has said which agents it can run.
    await page.locator('#agent option[value="opencode"]').waitFor({ state: 'attached' });
    await environment.selectOption({ label: 'codex by default' });
    expect(await agent.inputValue()).toBe('codex');
    expect(await offered(page)).toEqual(['claude-code', 'codex', 'opencode']);
    await shot(page, 'environment-default');
    await environment.selectOption({ label: 'plain' });
    expect(await agent.inputValue()).toBe('claude-code');

    // Codex, chosen by hand in an environment whose default is the server's.
    await agent.selectOption('codex');
    await page.getByLabel('Repository', { exact: true }).fill(host.url);
    await page.getByLabel('Branch', { exact: true }).fill('main');
    await page.getByLabel('Model', { exact: true }).fill('gpt-5.5');
    await page.getByLabel('Task', { exact: true }).fill(task);
    await page.getByRole('button', { name: 'Start session', exact: true }).click();
    await page.waitForURL(/\/sessions\/ses_/);
    const id = new URL(page.url()).pathname.split('/')[2] ?? '';

    expect(await page.locator('.session-header .session-agent').textContent()).toBe('Codex');
    const answer = page.locator('.assistant-bubble', { hasText: 'Codex added greeting.txt.' });
    await answer.waitFor({ timeout: 300_000 });
    // Codex answers, not Claude.
    expect(await answer.locator('.who').textContent()).toBe('Codex');
    // Its answer shows before its turn ends: the box offers a reply once the session is idle.
    await page.locator('.session-header .badge', { hasText: 'Idle' }).waitFor();
    expect(await page.getByLabel('Follow-up message').getAttribute('placeholder')).toMatch(
      /^Reply to Codex/,
    );
    await page.locator('.diff-button', { hasText: '+1 −0' }).waitFor();
    await shot(page, 'codex-session');

    expect((await stack.session(id)) as unknown).toMatchObject({ agent: 'codex' });
    // The turn went to the OpenAI Responses stand-in, as Codex speaks it.
    const turns = model.agentRequests().filter((r) => JSON.stringify(r.body).includes(task));
    expect(turns.length).toBeGreaterThanOrEqual(2);
    expect(turns.every((r) => r.path.startsWith('/v1/responses'))).toBe(true);
  });

  it('offers only the agents the server has a key for, and says why a default cannot run', async () => {
    const shot = screenshots('agents-without-openai');
    await anthropicOnly.createEnvironment({ name: 'codex by default', defaultAgent: 'codex' });
    const page = await signedIn(anthropicOnly, '/');
    const agent = page.getByLabel('Agent', { exact: true });
    // The user's default environment names no agent: Codex is not offered.
    await page.locator('#agent option[value="opencode"]').waitFor({ state: 'attached' });
    expect(await offered(page)).toEqual(['claude-code', 'opencode']);
    const start = page.getByRole('button', { name: 'Start session', exact: true });
    expect(await start.isDisabled()).toBe(false);

    // An environment whose default is Codex: chosen, with the reason, and no start.
    await page
      .getByLabel('Environment', { exact: true })
      .selectOption({ label: 'codex by default' });
    expect(await agent.inputValue()).toBe('codex');
    const notice = page.getByRole('status').filter({ hasText: 'OPENAI_API_KEY' });
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/^Codex needs a model key: set OPENAI_API_KEY/);
    expect(await start.isDisabled()).toBe(true);
    await shot(page, 'codex-unusable');
  });
});

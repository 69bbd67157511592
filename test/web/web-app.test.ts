import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bashCall,
  say,
  startModelServer,
  type ModelServer,
  type ScriptReply,
} from '../../fixtures/model-server.js';
import { startGitHost, type GitHost } from '../e2e/git-host.js';
import { runHangar } from '../e2e/hangar.js';
import { makeRepo, sessionStartHook, Stack } from '../e2e/stack.js';
import { ARTIFACTS, launchChromium, screenshots, signedInContext } from './browser.js';

/**
 * The web app in Debian's chromium against a real `hangar serve`, real sandboxes and
 * the real `claude`, with the scripted model server playing the model: a person's
 * whole path from sign-in to deleting a session. Each test makes what it needs (its own
 * browser context, environment, session and model script), so none depends on another
 * having run, or having passed.
 */

let model: ModelServer;
let stack: Stack;
let host: GitHost;
let browser: Browser;
let cli: NodeJS.ProcessEnv;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model);
  host = await startGitHost(makeRepo('greeter', { 'README.md': '# greeter\n' }));
  browser = await launchChromium();
  mkdirSync(stack.env.HOME ?? '', { recursive: true });
  cli = { ...stack.env, HANGAR_SERVER: stack.server.url, HANGAR_TOKEN: stack.token };
}, 600_000);

afterAll(async () => {
  await browser.close();
  host.close();
  await stack.server.stop();
  await model.close();
});

/** A sign-in link from `hangar open --print`, as a person's terminal would make it. */
async function signInUrl(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runHangar(['open', '--print', ...args], cli);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout.trim();
}

/** What the running test opened: closed after it, and shown when it fails. */
let contexts: BrowserContext[] = [];
let sessions: string[] = [];

beforeEach(() => {
  contexts = [];
  sessions = [];
});

afterEach(async (test) => {
  if (test.task.result?.state === 'fail') await recordFailure(test.task.name);
  await Promise.all(contexts.map((context) => context.close()));
});

/** Screenshots of the test's pages and its sessions' events, to read why it failed. */
async function recordFailure(name: string): Promise<void> {
  const shot = screenshots(`failed/${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}`);
  for (const page of contexts.flatMap((context) => context.pages())) {
    await shot(page, 'page').catch(() => undefined);
  }
  const events = await Promise.all(
    sessions.map(async (id) => ({ id, events: await stack.events(id).catch(() => []) })),
  );
  writeFileSync(
    join(ARTIFACTS, 'failed', `${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}.json`),
    JSON.stringify(events, null, 2),
  );
}

/** A new browser context of the test's own, closed after it. */
async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  contexts.push(context);
  return context;
}

/** A page signed in with the admin's token (as if pasted), opened at `path`. */
async function signedIn(path: string, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await signedInContext(browser, stack.token, options);
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${stack.server.url}${path}`);
  return page;
}

/** A plain environment of the test's own, so no other test's edits reach it. */
function environment(name: string, settings: Record<string, unknown> = {}): Promise<string> {
  return stack.createEnvironment({ name, ...settings });
}

/**
 * Starts a session on the greeter repository through the API, with `replies` as its
 * own script, and waits until its first turn has ended.
 */
async function idleSession(title: string, replies: ScriptReply[]): Promise<string> {
  const id = await startSession(title, replies);
  await stack.waitForTurns(id, 1);
  return id;
}

async function startSession(title: string, replies: ScriptReply[]): Promise<string> {
  model.scriptFor(title, { replies });
  const { status, json } = await stack.api<{ id: string }>('POST', '/sessions', {
    prompt: title,
    title,
    source: { type: 'git', url: host.url, branch: 'main' },
    environmentId: await environment(`for ${title}`),
  });
  expect(status, JSON.stringify(json)).toBe(201);
  sessions.push(json.id);
  return json.id;
}

/** The agent's requests in the conversation about `task`. */
function requestsAbout(task: string) {
  return model
    .agentRequests()
    .filter((r) => JSON.stringify((r.body as { messages: unknown[] }).messages[0]).includes(task));
}

/** The agent writes greeting.txt (+2) and edits README.md (+1 −1), and commits. */
const ADD_GREETING =
  "printf 'hello\\nworld\\n' > greeting.txt && sed -i 's/# greeter/# greeter app/' README.md && git add -A && git commit -qm 'Add greeting' && echo committed";

describe('the web app', { timeout: 300_000 }, () => {
  it('signs in through the one-time link of `hangar open`, which works once', async () => {
    const shot = screenshots('sign-in');
    const link = await signInUrl();
    const page = await (await newContext()).newPage();
    await page.goto(link);
    await page.getByRole('link', { name: 'New session' }).waitFor();
    // Signed in, and the code is gone from the address bar.
    expect(new URL(page.url()).pathname).toBe('/');
    expect(new URL(page.url()).hash).toBe('');
    await shot(page, 'signed-in');

    const again = await (await newContext()).newPage();
    await again.goto(link);
    const refusal = again.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/hangar open/);
    await shot(again, 'link-used-twice');
  });

  it('creates an environment, flagging each bad line first', async () => {
    const shot = screenshots('environment');
    const page = await signedIn('/environments');
    await page.getByRole('link', { name: 'Add environment' }).click();
    await page.getByLabel('Name', { exact: true }).fill('web env');
    await page.getByLabel('Custom').check();
    await page
      .getByLabel('Allowed domains', { exact: true })
      .fill('api.example.com\n\nbad pattern!\n*.example.org');
    await page
      .getByLabel('Environment variables', { exact: true })
      .fill('GREETING=hello from the env\nnot a var');
    await page.getByLabel('Setup script', { exact: true }).fill('echo "setup says $GREETING"');
    await page.getByRole('button', { name: 'Create environment', exact: true }).click();

    const allowlistError = page.locator('.line-problems li[data-line="3"]').first();
    await allowlistError.waitFor();
    expect(await allowlistError.textContent()).toMatch(/Line 3: "bad pattern!"/);
    const envError = page.locator('.line-problems li[data-line="2"]');
    expect(await envError.textContent()).toMatch(/Line 2:/);
    expect(new URL(page.url()).pathname).toBe('/environments/new');
    await shot(page, 'environment-errors');

    await page
      .getByLabel('Allowed domains', { exact: true })
      .fill('api.example.com\n*.example.org');
    await page
      .getByLabel('Environment variables', { exact: true })
      .fill('GREETING=hello from the env');
    await page.getByRole('button', { name: 'Create environment', exact: true }).click();
    await page.waitForURL(/\/environments\/env_/);
    await page.locator('.env-list li', { hasText: 'web env' }).waitFor();
    await shot(page, 'environment-created');

    const { json } = await stack.api<{
      environments: { name: string; allowlist: string[]; envVars: string }[];
    }>('GET', '/environments');
    expect(json.environments.find((e) => e.name === 'web env')).toMatchObject({
      allowlist: ['api.example.com', '*.example.org'],
      envVars: 'GREETING=hello from the env',
    });
  });

  it('starts a session, with API errors beside their fields, and streams its transcript', async () => {
    const shot = screenshots('session');
    await environment('greeter env', {
      networkLevel: 'custom',
      allowlist: ['api.example.com', '*.example.org'],
      envVars: 'GREETING=hello from the env',
      setupScript: 'echo "setup says $GREETING"',
    });
    const task = 'add a greeting';
    model.scriptFor(task, {
      replies: [
        {
          content: [
            { type: 'text', text: 'Adding the greeting now.' },
            bashCall(
              `${ADD_GREETING}; curl -sS -o /dev/null https://not-allowed.example.net/ 2>&1 || true`,
            ),
          ],
        },
        {
          content: [
            {
              type: 'text',
              text: 'Added **greeting.txt** with:\n\n- hello\n- world',
            },
          ],
        },
      ],
    });
    const page = await signedIn('/');
    await page.getByLabel('Repository', { exact: true }).fill('ftp://example.com/greeter.git');
    await page.getByLabel('Task', { exact: true }).fill(task);
    await page.getByRole('button', { name: 'Start session', exact: true }).click();
    const urlError = page.locator('.field.invalid', {
      has: page.getByLabel('Repository', { exact: true }),
    });
    await urlError.locator('.field-error').waitFor();
    expect(await urlError.locator('.field-error').textContent()).toMatch(
      /^"ftp:\/\/example.com\/greeter.git" is not an http\(s\) git URL/,
    );
    // Screen readers hear the error with the field.
    const repoField = page.getByLabel('Repository', { exact: true });
    expect(await repoField.getAttribute('aria-invalid')).toBe('true');
    expect(await repoField.getAttribute('aria-describedby')).toContain('repo-errors');
    await shot(page, 'new-session-error');

    await page.getByLabel('Repository', { exact: true }).fill(host.url);
    await page.getByLabel('Branch', { exact: true }).fill('main');
    await page.getByLabel('Environment', { exact: true }).selectOption({ label: 'greeter env' });
    await page.getByRole('button', { name: 'Start session', exact: true }).click();
    await page.waitForURL(/\/sessions\/ses_/);
    const sessionId = new URL(page.url()).pathname.split('/')[2] ?? '';
    sessions.push(sessionId);

    // The sidebar shows it at once, with its status.
    await page.locator(`[data-session="${sessionId}"]`).waitFor();

    // Live: the setup script's output, the tool call, the Markdown answer, the usage.
    await page
      .locator('.entry-setup', { hasText: 'setup says hello from the env' })
      .waitFor({ timeout: 120_000 });
    const answer = page.locator('.assistant-bubble', { hasText: 'Added' });
    await answer.waitFor({ timeout: 120_000 });
    expect(await answer.locator('strong').textContent()).toBe('greeting.txt');
    expect(await answer.locator('li').allTextContents()).toEqual(['hello', 'world']);
    const tool = page.locator('details.tool', { hasText: 'Bash' });
    await tool.locator('summary').click();
    expect(await tool.locator('pre').last().textContent()).toContain('committed');
    // The environment's allowlist refused a host: the transcript says which, and why.
    await page.locator('.entry-blocked', { hasText: 'not-allowed.example.net:443' }).waitFor();
    await page.locator('.turn-result', { hasText: 'tokens' }).first().waitFor();
    await page.locator('.session-header .badge', { hasText: 'Idle' }).waitFor();
    await page.locator('.diff-button', { hasText: '+3 −1' }).waitFor();
    await shot(page, 'transcript');
  });

  it('opens the diff, comments on a line, and sends the review as the next turn', async () => {
    const shot = screenshots('review');
    const task = 'greet, then take a review';
    const id = await idleSession(task, [
      { content: [bashCall(ADD_GREETING)] },
      say('Added greeting.txt.'),
      say('Made it **louder**.'),
    ]);
    const page = await signedIn(`/sessions/${id}`);
    await page.locator('.diff-button', { hasText: '+3 −1' }).click();
    await page.waitForURL(/\/diff$/);
    const file = page.locator('article.file[data-file="greeting.txt"]');
    await file.waitFor();
    expect(await page.locator('.file-list li').allTextContents()).toEqual([
      'README.md modified +1 −1',
      'greeting.txt added +2 −0',
    ]);
    await page.getByRole('button', { name: 'Split', exact: true }).click();
    await shot(page, 'diff-split');
    await page.getByRole('button', { name: 'Unified', exact: true }).click();

    // Line 2's "+" (comment on this line) is reachable from the keyboard.
    const line = file.locator('tr', { hasText: 'world' }).first();
    await line.locator('.diff-add-widget').focus();
    await page.keyboard.press('Enter');
    await page.getByLabel(/Comment on/).fill('Say it louder');
    await shot(page, 'diff-comment');
    await page.getByRole('button', { name: 'Add to review', exact: true }).click();
    const draft = page.getByRole('complementary', { name: 'Review draft' });
    expect(await draft.textContent()).toContain('greeting.txt:2');
    await page.getByRole('button', { name: 'Send to agent', exact: true }).click();

    await page.waitForURL(new RegExp(`/sessions/${id}$`));
    await page.locator('.user-bubble', { hasText: 'greeting.txt:2' }).waitFor();
    await page.locator('.assistant-bubble', { hasText: 'Made it' }).waitFor({ timeout: 120_000 });
    await shot(page, 'review-answered');

    // The agent was sent one message quoting the line and the comment.
    const last = JSON.stringify(requestsAbout(task).at(-1)?.body);
    expect(last).toContain('greeting.txt:2\\n> Say it louder');
  });

  it('shows a message sent while a turn runs as queued, then answers it', async () => {
    const shot = screenshots('queued');
    const id = await startSession('run the slow task', [
      { content: [bashCall('for i in 1 2 3 4 5 6; do sleep 1; done; echo slow done')] },
      say('The slow task is done.'),
      say('Got your note.'),
    ]);
    const page = await signedIn(`/sessions/${id}`);
    await page.locator('details.tool', { hasText: 'running…' }).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Interrupt', exact: true }).waitFor();

    const box = page.getByLabel('Follow-up message', { exact: true });
    await box.fill('and then this note');
    await page.getByRole('button', { name: 'Queue', exact: true }).waitFor();
    await box.press('Control+Enter');
    const note = page.locator('.user-bubble', { hasText: 'and then this note' });
    await note.locator('.tag', { hasText: 'queued' }).waitFor();
    await shot(page, 'queued');

    await page
      .locator('.assistant-bubble', { hasText: 'Got your note.' })
      .waitFor({ timeout: 120_000 });
    expect(await note.locator('.tag').count()).toBe(0);
    await page.locator('.session-header .badge', { hasText: 'Idle' }).waitFor();
  });

  it('interrupts a running turn', async () => {
    const shot = screenshots('interrupt');
    const id = await idleSession('stop when told', [
      say('Ready.'),
      { content: [bashCall('for i in $(seq 1 60); do sleep 1; done; echo never')] },
    ]);
    const page = await signedIn(`/sessions/${id}`);
    await page.locator('.session-header .badge', { hasText: 'Idle' }).waitFor();
    const box = page.getByLabel('Follow-up message', { exact: true });
    await box.fill('run the very slow task');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('details.tool', { hasText: 'running…' }).waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.getByRole('button', { name: 'Interrupt', exact: true }).click();
    await page.locator('.turn-result', { hasText: 'Interrupted' }).waitFor({ timeout: 60_000 });
    // Reading at the top, the reader is not pulled down by what arrives.
    expect(await page.evaluate('window.scrollY')).toBe(0);
    await page.locator('.session-header .badge', { hasText: 'Idle' }).waitFor();
    expect(await page.getByRole('button', { name: 'Interrupt', exact: true }).count()).toBe(0);
    await shot(page, 'interrupted');
  });

  it("shows a hook's output and a compaction, and refuses /clear beside the box", async () => {
    const shot = screenshots('agent-output');
    const task = 'greet with a hook';
    model.scriptFor(task, {
      replies: [say('Hello from the hooked repo.')],
      compactSummary: 'A greeting was asked for and given.',
    });
    const { status, json } = await stack.api<{ id: string }>('POST', '/sessions', {
      prompt: task,
      source: {
        type: 'bundle',
        bundleId: await stack.uploadBundle(
          makeRepo('hooked', sessionStartHook('echo "dependencies ready"')),
        ),
      },
      environmentId: await environment(`for ${task}`),
    });
    expect(status, JSON.stringify(json)).toBe(201);
    sessions.push(json.id);
    await stack.waitForTurns(json.id, 1);

    const page = await signedIn(`/sessions/${json.id}`);
    const hook = page.locator('.entry-hook', { hasText: 'SessionStart:startup hook output' });
    await hook.locator('summary').click();
    expect(await hook.locator('pre').textContent()).toContain('dependencies ready');

    const box = page.getByLabel('Follow-up message', { exact: true });
    await box.fill('/clear');
    await box.press('Control+Enter');
    const refusal = page.locator('#follow-up-error');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(
      /^\/clear would start a new conversation.*start a new session instead\.$/,
    );

    await box.fill('/compact');
    await box.press('Control+Enter');
    const divider = page.getByRole('separator').filter({ hasText: 'Conversation compacted' });
    await divider.waitFor({ timeout: 120_000 });
    expect(await divider.textContent()).toMatch(/manual · [\d.]+k → [\d.]+k tokens/);
    await page.locator('.session-header .badge', { hasText: 'Idle' }).waitFor();
    await shot(page, 'compacted');
  });

  it('opens a session straight from `hangar open ID`, on a phone, in dark mode', async () => {
    const shot = screenshots('phone');
    const title = 'read me on a phone';
    const id = await startSession(title, [say('Hello, phone.')]);
    const phone = await newContext({
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
      hasTouch: true,
    });
    const small = await phone.newPage();
    await small.goto(await signInUrl(id));
    await small.locator('.session-header h1', { hasText: title }).waitFor();
    expect(new URL(small.url()).pathname).toBe(`/sessions/${id}`);
    const background = await small.evaluate(
      'getComputedStyle(document.documentElement).backgroundColor',
    );
    expect(background).toBe('rgb(17, 19, 24)');

    // The sidebar folds away behind the menu button.
    const sidebar = small.getByRole('navigation', { name: 'Sessions' });
    expect(await sidebar.isVisible()).toBe(false);
    await shot(small, 'phone-dark');
    await small.getByRole('button', { name: 'Open the menu', exact: true }).click();
    await sidebar.waitFor();
    await shot(small, 'phone-menu');
    await small.getByRole('link', { name: 'Environments', exact: true }).click();
    await small.getByRole('heading', { name: 'Environments' }).waitFor();
    expect(await sidebar.isVisible()).toBe(false);

    // Focus follows the page change; after a load, the first Tab offers to skip ahead.
    expect(await small.evaluate('document.activeElement.id')).toBe('main');
    await small.reload();
    await small.getByRole('heading', { name: 'Environments' }).waitFor();
    await small.keyboard.press('Tab');
    expect(await small.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    // Its turn ends here, not during another test.
    await stack.waitForTurns(id, 1);
  });

  it('revokes the token a sign-in link made when signing out', async () => {
    const browserTokens = async () =>
      (await stack.api<{ tokens: { name: string }[] }>('GET', '/tokens')).json.tokens.filter(
        (t) => t.name === 'browser',
      ).length;
    const tab = await (await newContext()).newPage();
    await tab.goto(await signInUrl());
    await tab.getByRole('link', { name: 'New session' }).waitFor();
    const before = await browserTokens();
    await tab.getByRole('button', { name: 'Sign out', exact: true }).click();
    await tab.getByRole('heading', { name: 'Sign in to Hangar' }).waitFor();
    expect(await browserTokens()).toBe(before - 1);

    // A token pasted by hand is only forgotten: the CLI may be using it. Signing in on
    // a page lands on that page.
    await tab.goto(`${stack.server.url}/environments`);
    await tab.getByLabel('API token', { exact: true }).fill('not-a-token');
    await tab.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(await tab.getByRole('alert').textContent()).toMatch(/Invalid token/);
    await tab.getByLabel('API token', { exact: true }).fill(stack.token);
    await tab.getByRole('button', { name: 'Sign in', exact: true }).click();
    await tab.getByRole('heading', { name: 'Environments' }).waitFor();
    await tab.getByRole('button', { name: 'Sign out', exact: true }).click();
    await tab.getByRole('heading', { name: 'Sign in to Hangar' }).waitFor();
    expect((await stack.api('GET', '/me')).status).toBe(200);
  });

  it('edits environments: renames one, makes it the default, archives another, shows the trusted list', async () => {
    const shot = screenshots('environments');
    await environment('team env');
    const page = await signedIn('/environments');
    await page.getByRole('link', { name: 'Add environment' }).click();
    await page.getByLabel('Name', { exact: true }).fill('scratch');
    await page.getByLabel('None').check();
    await page.getByRole('button', { name: 'Create environment', exact: true }).click();
    await page.waitForURL(/\/environments\/env_/);

    await page.locator('.env-list a', { hasText: 'team env' }).click();
    await page.getByRole('heading', { name: 'Edit team env' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('team env (edited)');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.env-list li', { hasText: 'team env (edited)' }).waitFor();
    await page.getByRole('button', { name: 'Set as default', exact: true }).click();
    await page
      .locator('.env-list li', { hasText: 'team env (edited)' })
      .locator('.tag', { hasText: 'default' })
      .waitFor();

    await page.locator('.env-list a', { hasText: 'scratch' }).click();
    await page.getByRole('heading', { name: 'Edit scratch' }).waitFor();
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    const scratch = page.locator('.env-list li', { hasText: 'scratch' });
    await scratch.waitFor({ state: 'detached' });
    await page.getByLabel('Show archived environments', { exact: true }).check();
    await scratch.locator('.tag', { hasText: 'archived' }).waitFor();

    await page.getByText('The default trusted list').click();
    await page.locator('.trusted code', { hasText: 'github.com' }).first().waitFor();
    await shot(page, 'environments');

    // The new-session form offers the new default first, and no archived one.
    await page.getByRole('link', { name: 'New session' }).click();
    const picker = page.getByLabel('Environment', { exact: true });
    expect(await picker.locator('option:checked').textContent()).toBe(
      'team env (edited) (default)',
    );
    expect(await picker.locator('option', { hasText: 'scratch' }).count()).toBe(0);
    const me = await stack.api<{ defaultEnvironmentId: string }>('GET', '/me');
    const env = await stack.api<{ name: string }>(
      'GET',
      `/environments/${me.json.defaultEnvironmentId}`,
    );
    expect(env.json.name).toBe('team env (edited)');
  });

  it('copies the teleport command, archives, then deletes behind a confirmation', async () => {
    const shot = screenshots('archive-delete');
    const title = 'archive then delete me';
    const id = await idleSession(title, [say('Ready.')]);
    const page = await signedIn(`/sessions/${id}`);
    await page.locator('.session-header h1', { hasText: title }).waitFor();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Open in CLI', exact: true }).click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`hangar teleport ${id}`);

    // Archived from the sidebar: the open session's header follows the live list.
    await page.getByRole('button', { name: `Archive ${title}`, exact: true }).click();
    await page.locator('.session-header .badge', { hasText: 'Archived' }).waitFor();
    const item = page.locator(`.session-list [data-session="${id}"]`);
    await item.waitFor({ state: 'detached' });
    await page
      .getByRole('navigation', { name: 'Sessions' })
      .getByLabel('Show archived', { exact: true })
      .check();
    await item.waitFor();
    await shot(page, 'archived');

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this session?' });
    expect(await dialog.textContent()).toMatch(/permanently[\s\S]*cannot be undone/);
    await shot(page, 'delete-confirm');
    await dialog.getByRole('button', { name: 'Delete permanently', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await item.waitFor({ state: 'detached' });
    expect((await stack.api('GET', `/sessions/${id}`)).status).toBe(404);
    await shot(page, 'deleted');
  });
});

// A session end to end on the Docker driver: the real `hangar serve` with
// HANGAR_SANDBOX_DRIVER=docker on the test stage's engine, the real `claude` binary
// (bound read-only into the container) against the scripted model server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { DockerDriver, dockerDriverOptionsFrom } from '../../src/sandbox/docker-driver.js';
import { minimalImage } from '../e2e/images.js';
import { makeRepo, Stack, type EventJson, type SessionJson } from '../e2e/stack.js';

let model: ModelServer;
let stack: Stack;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  stack = await Stack.start(model, {
    HANGAR_SANDBOX_DRIVER: 'docker',
    DOCKER_HOST: process.env.DOCKER_HOST,
  });
  // No image set: the Docker driver runs on the data dir's minimal image.
  await minimalImage(stack.dataDir);
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
  const driver = new DockerDriver(dockerDriverOptionsFrom(process.env, stack.dataDir));
  for (const id of await driver.list()) await (await driver.get(id)).destroy();
});

describe('a session on the Docker driver', () => {
  let id: string;
  let events: EventJson[];

  beforeAll(async () => {
    const repo = makeRepo('demo', { 'README.md': '# demo\n' });
    id = await stack.startSession(repo, {
      replies: [
        {
          content: [
            { type: 'text', text: 'I will add the file.' },
            {
              type: 'tool_use',
              name: 'Write',
              input: { file_path: '/home/user/demo/hello.txt', content: 'hello\n' },
            },
          ],
        },
        say('Added hello.txt.'),
      ],
    });
    events = await stack.waitForTurns(id, 1);
  }, 300_000);

  it('runs the agent in a container to the end of its turn', async () => {
    expect(events.find((e) => e.type === 'turn.result')?.data).toMatchObject({ isError: false });
    const session = (await stack.api<SessionJson>('GET', `/sessions/${id}`)).json;
    const driver = new DockerDriver(dockerDriverOptionsFrom(process.env, stack.dataDir));
    expect(await driver.list()).toHaveLength(1);
    const [sandboxId] = await driver.list();
    expect(session.status).toMatch(/idle|hibernated/);
    expect(sandboxId).toMatch(/^sbx_/);
  });

  it("shows the agent's file in the diff", async () => {
    const { json } = await stack.api<{ diff: string; files: number; additions: number }>(
      'GET',
      `/sessions/${id}/diff`,
    );
    expect(json).toMatchObject({ files: 1, additions: 1 });
    expect(json.diff).toContain('+++ b/hello.txt');
    expect(json.diff).toContain('+hello');
  });
});

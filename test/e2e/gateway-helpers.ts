import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { AttachOptions, Attachment, Gateway } from '../../src/gateway/gateway.js';
import { sandboxEnv } from '../../src/gateway/sandbox-env.js';
import type { Sandbox } from '../../src/sandbox/driver.js';
import type { LocalDriver } from '../../src/sandbox/local-driver.js';

/** Where the gateway answers inside a sandbox in these tests. */
export const GATEWAY_PORT = 3128;

/**
 * Runs `body` in a fresh sandbox whose only way out is its own attachment to `gateway`
 * (a socket in `dataDir`), then destroys the sandbox and detaches.
 */
export async function withGatewaySandbox(
  gateway: Gateway,
  driver: LocalDriver,
  dataDir: string,
  options: Omit<AttachOptions, 'socketPath'>,
  body: (box: Sandbox, attachment: Attachment) => Promise<void>,
): Promise<void> {
  const id = `box-${Math.random().toString(36).slice(2, 10)}`;
  const socketPath = join(dataDir, `${id}.sock`);
  const attachment = await gateway.attach(id, { socketPath, ...options });
  const box = await driver.create({
    gatewaySocket: socketPath,
    gatewayPort: GATEWAY_PORT,
    env: sandboxEnv(`127.0.0.1:${GATEWAY_PORT}`),
  });
  try {
    await body(box, attachment);
  } finally {
    await box.destroy();
    await attachment.detach();
  }
}

/** Runs a shell script in `box`: its exit code and its stdout and stderr as one text. */
export async function shOut(box: Sandbox, script: string): Promise<{ code: number; out: string }> {
  const output = new PassThrough();
  let out = '';
  output.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const result = await box.exec(['/bin/sh', '-c', script], { stdout: output, stderr: output });
  return { code: result.exitCode, out };
}

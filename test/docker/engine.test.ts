import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The stage's own check: scripts/with-dockerd gave these tests a working engine.
describe('the Docker engine of the test stage', () => {
  it('answers on DOCKER_HOST', () => {
    expect(process.env.DOCKER_HOST).toMatch(/^unix:\/\//);
    const version = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      encoding: 'utf8',
    });
    expect(version.trim()).toMatch(/^\d+\.\d+/);
  });
});

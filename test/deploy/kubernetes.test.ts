import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkManifests } from './kubernetes-schema.js';

const DIR = join(import.meta.dirname, '../../deploy/kubernetes');
const manifests = readdirSync(DIR).filter((name) => name.endsWith('.yaml'));

const kinds = (name: string) =>
  readFileSync(join(DIR, name), 'utf8')
    .split(/^---$/m)
    .map((text) => /^kind: (\w+)$/m.exec(text)?.[1]);

describe('deploy/kubernetes', () => {
  it('holds the API nodes, the runners, their configuration and the database secret', () => {
    expect(manifests.sort()).toEqual(['api.yaml', 'config.yaml', 'runner.yaml', 'secret.yaml']);
    expect(kinds('api.yaml')).toEqual(['Deployment', 'Service']);
    expect(kinds('runner.yaml')).toEqual(['DaemonSet']);
    expect(kinds('config.yaml')).toEqual(['ConfigMap']);
    expect(kinds('secret.yaml')).toEqual(['Secret']);
  });

  it.each(manifests)('%s is valid against the Kubernetes schemas', async (name) => {
    expect(await checkManifests(readFileSync(join(DIR, name), 'utf8'), name)).toEqual([]);
  });

  it('runners run only on nodes labelled for them, API nodes have no privileges', () => {
    const runner = readFileSync(join(DIR, 'runner.yaml'), 'utf8');
    expect(runner).toMatch(/nodeSelector:\n\s+hangar\.dev\/runner: 'true'/);
    const api = readFileSync(join(DIR, 'api.yaml'), 'utf8');
    expect(api).not.toMatch(/privileged|SYS_ADMIN|hostPath/);
    expect(api).toMatch(/drop: \['ALL'\]/);
  });
});

describe('the manifest check', () => {
  const deployment = (container: string, spec = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
${spec}  template:
    metadata:
      labels: { app: broken }
    spec:
      containers:
        - ${container}
`;
  const selector = '  selector:\n    matchLabels: { app: broken }\n';

  it('takes a valid one', async () => {
    expect(await checkManifests(deployment('{ name: a, image: b }', selector), 'ok')).toEqual([]);
  });

  it('names a missing required field', async () => {
    const problems = await checkManifests(deployment('{ name: a, image: b }'), 'broken.yaml');
    expect(problems).toEqual([
      {
        document: 'broken.yaml#1',
        path: '',
        message: '/spec must have required property selector',
      },
    ]);
  });

  it('names a field the schema does not have, and one of the wrong type', async () => {
    const unknown = deployment('{ name: a, image: b, imagePullPolicie: Always }', selector);
    expect(await checkManifests(unknown, 'broken.yaml')).toEqual([
      {
        document: 'broken.yaml#1',
        path: '/spec/template/spec/containers/0/imagePullPolicie',
        message: 'is not a field of the schema',
      },
    ]);
    const wrongType = deployment(
      '{ name: a, image: b, ports: [{ containerPort: http }] }',
      selector,
    );
    expect((await checkManifests(wrongType, 'broken.yaml'))[0]?.message).toBe(
      '/spec/template/spec/containers/0/ports/0/containerPort must be integer',
    );
  });

  it('names an unknown kind or apiVersion, and a document that is not YAML', async () => {
    const kind = 'apiVersion: apps/v1\nkind: Deploymnet\nmetadata: { name: x }\n';
    expect((await checkManifests(kind, 'k.yaml'))[0]?.message).toBe(
      'apps/v1 Deploymnet is not a Kubernetes kind',
    );
    const version = 'apiVersion: apps/v2\nkind: Deployment\nmetadata: { name: x }\n';
    expect((await checkManifests(version, 'v.yaml'))[0]?.message).toBe(
      'apps/v2 Deployment is not a Kubernetes kind',
    );
    expect(await checkManifests('a: [b', 'y.yaml')).toHaveLength(1);
  });

  it('checks every document of a file', async () => {
    const two = `${deployment('{ name: a, image: b }', selector)}---\n${deployment('{ image: b }', selector)}`;
    expect(await checkManifests(two, 'two.yaml')).toEqual([
      {
        document: 'two.yaml#2',
        path: '',
        message: '/spec/template/spec/containers/0 must have required property name',
      },
    ]);
  });
});

import { parseAllDocuments } from 'yaml';

/**
 * Checks Kubernetes manifests offline against the API's own schemas, as the API server
 * with strict field validation would: the schemas are the OpenAPI definitions compiled
 * into validators by kubernetes-models (one per apiVersion and kind).
 *
 * Those validators check types and required fields but let unknown fields through, so
 * each object is handed to them behind a Proxy that records the fields they read: a
 * validator reads every field its schema names, so a field it never read is one the
 * schema does not have. An object the validator lists (its keys enumerated) is a map
 * (labels, resources' limits…), where any key is allowed.
 */

/** One problem found in a manifest: the document's place, where in it, what. */
export interface ManifestProblem {
  document: string;
  path: string;
  message: string;
}

interface Visited {
  value: object;
  path: string;
  read: Set<string>;
  listed: boolean;
}

type Validated = (this: unknown) => void;

/** The model class for `apiVersion`/`kind`, or undefined when kubernetes-models has none. */
async function modelFor(apiVersion: string, kind: string): Promise<Validated | undefined> {
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return undefined;
  let module: Record<string, unknown>;
  try {
    module = (await import(`kubernetes-models/${apiVersion}`)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const model = module[kind] as { prototype?: { validate?: Validated } } | undefined;
  return typeof model?.prototype?.validate === 'function' ? model.prototype.validate : undefined;
}

function tracked(value: unknown, path: string, visited: Visited[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  const entry: Visited = { value, path, read: new Set(), listed: false };
  visited.push(entry);
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const field: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return field;
      entry.read.add(key);
      if (field === null || typeof field !== 'object') return field;
      if (!children.has(key)) children.set(key, tracked(field, `${path}/${key}`, visited));
      return children.get(key);
    },
    ownKeys(target) {
      entry.listed = true;
      return Reflect.ownKeys(target);
    },
  });
}

/** The problems of one parsed object (empty when the API server would take it). */
export async function checkObject(object: unknown, document: string): Promise<ManifestProblem[]> {
  const problem = (path: string, message: string) => ({ document, path, message });
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    return [problem('', 'is not an object')];
  }
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [problem('', 'has no apiVersion and kind')];
  }
  const validate = await modelFor(apiVersion, kind);
  if (!validate) return [problem('', `${apiVersion} ${kind} is not a Kubernetes kind`)];

  const visited: Visited[] = [];
  try {
    validate.call(tracked(object, '', visited));
  } catch (error) {
    // kubernetes-models joins the schema's errors: "data/spec must have required …, …".
    return (error as Error).message
      .split(/, (?=data[/ ])/)
      .map((message) => problem('', message.replace(/^data/, '')));
  }
  const problems: ManifestProblem[] = [];
  for (const { value, path, read, listed } of visited) {
    if (Array.isArray(value) || listed) continue;
    for (const key of Object.keys(value)) {
      if (!read.has(key)) problems.push(problem(`${path}/${key}`, 'is not a field of the schema'));
    }
  }
  return problems;
}

/** The problems of every document of a YAML file's text (`name` says which file). */
export async function checkManifests(text: string, name: string): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return [{ document: name, path: '', message: 'is empty' }];
  for (const [index, document] of documents.entries()) {
    const label = `${name}#${index + 1}`;
    if (document.errors.length > 0) {
      problems.push({ document: label, path: '', message: document.errors[0]?.message ?? '' });
      continue;
    }
    const object: unknown = document.toJS();
    if (object === null) continue; // an empty document (a trailing `---`)
    problems.push(...(await checkObject(object, label)));
  }
  return problems;
}

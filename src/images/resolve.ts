import { HangarError } from '../errors.js';
import { DEFAULT_IMAGE } from './build.js';
import { findImage, imageRoot } from './images.js';

/** What an environment's image setting comes to on this host. */
export interface ResolvedImage {
  /** The image sandboxes run on, or undefined for the host's own /usr and /opt. */
  name: string | undefined;
  /** Its root filesystem: the sandbox's read-only base. */
  root: string | undefined;
  /** Said in `hangar env show` and the web app when sessions would not run as set. */
  warning?: string;
}

/**
 * An environment's image: the one it names, else `universal` once built, else the
 * host's view (as before images), with a warning saying how to stop depending on it.
 */
export function resolveImage(dataDir: string, name: string | null): ResolvedImage {
  if (name !== null) {
    const info = findImage(dataDir, name);
    if (info) return { name, root: imageRoot(dataDir, info) };
    return {
      name,
      root: undefined,
      warning: `Image ${name} is not built on this server: sessions cannot start. Build it: hangar image build ${name}`,
    };
  }
  const info = findImage(dataDir, DEFAULT_IMAGE);
  if (info) return { name: DEFAULT_IMAGE, root: imageRoot(dataDir, info) };
  return {
    name: undefined,
    root: undefined,
    warning:
      `No image: sessions see this host's own /usr and /opt, so what they can run depends on what is installed here. ` +
      `Build the default image: hangar image build ${DEFAULT_IMAGE}`,
  };
}

/** The root a session's sandbox runs on; refuses an image that is named but not built. */
export function sandboxRoot(dataDir: string, name: string | null): string | undefined {
  const resolved = resolveImage(dataDir, name);
  if (resolved.name !== undefined && resolved.root === undefined) {
    throw new HangarError('image_missing', 409, resolved.warning ?? `Image ${name} is not built.`);
  }
  return resolved.root;
}

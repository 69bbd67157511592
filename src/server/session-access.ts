import { HangarError } from '../errors.js';
import type { GitHub } from '../github/github.js';
import { parseGitHubRepo, type GitHubRepoRef } from '../github/repo-ref.js';
import { openSession, type OpenedSession, type Session } from '../store/sessions.js';
import type { Db } from '../store/store.js';

/** A viewer of a shared session tried to change it (or take it away, as teleport does). */
export class ReadOnlyError extends HangarError {
  constructor(id: string, what: string) {
    super(
      'read_only',
      403,
      `Session ${id} is shared with you read-only: only its owner can ${what}.`,
    );
  }
}

/** Who may do what with a session: its owner everything, a viewer it is shared with read. */
export interface SessionAccess {
  /**
   * A session the user may read: theirs, or one shared with them whose GitHub repo
   * their own GitHub connection can read (when the check is on). Else a 404 (not
   * shared) or a 403 saying why (repo access).
   */
  read(userId: string, id: string): Promise<OpenedSession>;
  /** The user's own session; a viewer gets a 403 saying `what` only the owner can do. */
  write(userId: string, id: string, what: string): Promise<Session>;
}

export function sessionAccess(db: Db, github: GitHub | undefined): SessionAccess {
  return {
    async read(userId, id) {
      const opened = await openSession(db, userId, id);
      if (opened.role === 'viewer' && github?.config.shareCheck) {
        const ref = githubRepoOf(opened.session, github);
        if (ref) await github.requireReadAccess(userId, ref);
      }
      return opened;
    },
    async write(userId, id, what) {
      const opened = await openSession(db, userId, id);
      if (opened.role !== 'owner') throw new ReadOnlyError(id, what);
      return opened.session;
    },
  };
}

/** The GitHub repo a session works on, if its source is one on the configured GitHub. */
export function githubRepoOf(session: Session, github: GitHub): GitHubRepoRef | undefined {
  const source = session.source as { type?: unknown; url?: unknown };
  if (source.type !== 'git' || typeof source.url !== 'string') return undefined;
  try {
    return parseGitHubRepo(source.url, github.config);
  } catch {
    // A URL on GitHub's host that names no repo was never a GitHub session.
    return undefined;
  }
}

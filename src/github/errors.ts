import { HangarError } from '../errors.js';

/**
 * Why Hangar cannot use a GitHub repo for a session, each with what to do about it.
 * They are raised before a session is queued, so a bad repo is refused at once.
 */
export class GitHubRepoNotFoundError extends HangarError {
  constructor(repo: string, who: string) {
    super(
      'github_repo_not_found',
      404,
      `GitHub has no repository ${repo} that ${who} can see: check the name, or get access to it.`,
      { repo },
    );
  }
}

/** The credential reaches the repo but may not push to it. */
export class GitHubNoPushAccessError extends HangarError {
  constructor(repo: string, who: string) {
    super(
      'github_no_push_access',
      403,
      `${who} can read ${repo} but not push to it: ask an admin of ${repo} for write access.`,
      { repo },
    );
  }
}

/** Neither the App (not installed on the repo) nor a token of the user gives access. */
export class GitHubNotConnectedError extends HangarError {
  constructor(repo: string, ways: { app?: string | undefined; tokenLogin: boolean }) {
    const options = [
      ...(ways.app ? [`install the GitHub App on ${repo} (${ways.app})`] : []),
      ...(ways.tokenLogin ? ['connect your GitHub account: `hangar github login`'] : []),
    ];
    super(
      ways.app ? 'github_app_not_installed' : 'github_not_connected',
      403,
      options.length > 0
        ? `Hangar has no GitHub credential for ${repo}: ${options.join(', or ')}.`
        : `Hangar has no GitHub credential for ${repo}: the operator has configured neither a GitHub App nor token sign-in.`,
      { repo },
    );
  }
}

/** GitHub no longer accepts the user's stored token (revoked or expired). */
export class GitHubTokenInvalidError extends HangarError {
  constructor(login: string) {
    super(
      'github_token_invalid',
      403,
      `GitHub no longer accepts the token of ${login} (revoked or expired): connect again with \`hangar github login\`.`,
    );
  }
}

/** The App's installation lacks a permission a session needs. */
export class GitHubAppPermissionsError extends HangarError {
  constructor(repo: string, reason: string) {
    super(
      'github_app_permissions',
      403,
      `The GitHub App's installation cannot give a session on ${repo} what it needs (${reason}): an owner of ${repo} must accept the App's permissions (contents, pull requests, issues: write; checks, statuses: read) in the installation's settings.`,
      { repo },
    );
  }
}

/** GitHub refused the App itself: a wrong App ID or private key in the server's settings. */
export class GitHubAppAuthError extends HangarError {
  constructor(reason: string) {
    super(
      'github_app_misconfigured',
      503,
      `GitHub refused the server's GitHub App (${reason}): the operator must check HANGAR_GITHUB_APP_ID and HANGAR_GITHUB_APP_PRIVATE_KEY.`,
    );
  }
}

/** GitHub could not be reached or failed; nothing was changed. */
export class GitHubUnavailableError extends HangarError {
  constructor(reason: string) {
    super('github_unavailable', 503, `GitHub could not be reached (${reason}); try again.`);
  }
}

/** Create PR on a session whose repo is not on the configured GitHub (a bundle or another host). */
export class NotOnGitHubError extends HangarError {
  constructor(webUrl: string) {
    super(
      'pull_request_not_github',
      409,
      `This session's repository is not on ${webUrl}, so Hangar cannot open a pull request for it: fetch its branch (\`hangar teleport\`) and open one where the repository lives.`,
    );
  }
}

/** The sandbox has changes the agent has not committed; a PR would leave them out. */
export class UncommittedChangesError extends HangarError {
  constructor(files: string[]) {
    const shown = files.slice(0, 20).join(', ');
    super(
      'uncommitted_changes',
      409,
      `The session has uncommitted changes (${shown}${files.length > 20 ? `, and ${files.length - 20} more` : ''}): ask the agent to commit them, then create the PR.`,
      { files },
    );
  }
}

/** Pushing the session branch from the sandbox failed. */
export class PushFailedError extends HangarError {
  constructor(branch: string, stderr: string) {
    const reason = stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-2)
      .join(' | ');
    super(
      'push_failed',
      409,
      `Hangar could not push the branch ${branch} from the session (${reason || 'git failed'}): ask the agent to push it (\`git push origin HEAD\`), then try again.`,
    );
  }
}

/** The session branch has no commit that its base lacks. */
export class NoChangesToMergeError extends HangarError {
  constructor(head: string, base: string) {
    super(
      'pull_request_empty',
      409,
      `The branch ${head} has no commits that ${base} lacks, so there is nothing to review: ask the agent to commit its work, then create the PR.`,
    );
  }
}

/** GitHub does not know the session branch (never pushed). */
export class BranchNotPushedError extends HangarError {
  constructor(head: string, repo: string) {
    super(
      'branch_not_pushed',
      409,
      `The branch ${head} is not on ${repo} yet and the session is not running to push it: send a message asking the agent to push (\`git push origin HEAD\`), then try again.`,
    );
  }
}

/**
 * A viewer of a shared session on a GitHub repo cannot be shown it: their own GitHub
 * connection does not reach the repo, or they have none. Never the session's content.
 */
export class GitHubShareRefusedError extends HangarError {
  constructor(
    repo: string,
    why: 'not_connected' | 'no_access' | 'token_invalid' | 'app_only',
    login?: string,
  ) {
    const reasons = {
      not_connected: `you have no GitHub account connected here, so Hangar cannot check that you may read ${repo}: connect yours with \`hangar github login\` (or Settings), then open it again`,
      no_access: `your GitHub account ${login ?? ''} cannot read ${repo}: ask an admin of ${repo} for access, then open it again`,
      token_invalid: `GitHub no longer accepts the token of ${login ?? 'your account'} (revoked or expired): connect again with \`hangar github login\``,
      app_only: `this server lets no one connect a GitHub account (HANGAR_GITHUB_TOKEN_LOGIN=off), so Hangar cannot check that you may read ${repo}: ask the operator`,
    } as const;
    super(
      'repo_access_required',
      403,
      `This session is shared with you, but it works on the GitHub repository ${repo}: ${reasons[why]}.`,
      { repo, reason: why },
    );
  }
}

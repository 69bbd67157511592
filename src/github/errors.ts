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

import type { CiWakeUp, ConflictWakeUp, ReviewWakeUp } from './autofix-events.js';

/** The agent's follow-up for failing CI: each check's summary, annotations and log tail. */
export function ciFollowUp(wake: CiWakeUp, branch: string): string {
  const parts = wake.checks.map((check) => {
    const lines = [`### ${check.name}: ${check.conclusion}`];
    if (check.summary) lines.push('', check.summary);
    if (check.annotations.length > 0)
      lines.push('', 'Annotations:', ...check.annotations.map((a) => `- ${a}`));
    if (check.logTail) lines.push('', 'The end of its log:', '```', check.logTail, '```');
    if (check.url) lines.push('', `Details: ${check.url}`);
    return lines.join('\n');
  });
  return [
    `CI failed on pull request #${wake.number} (commit ${wake.sha.slice(0, 7)}).`,
    '',
    ...parts.flatMap((p) => [p, '']),
    `Fix what made it fail, commit, and push to the branch ${branch}.`,
  ].join('\n');
}

/** The agent's follow-up for new comments: `file:line`, the diff hunk, the comment. */
export function reviewFollowUp(wake: ReviewWakeUp, branch: string): string {
  const quoted = wake.comments.map((c) => {
    const body = quote(c.body);
    const id = c.id === undefined ? '' : ` (comment ${c.id})`;
    if (!c.path) return `${c.author} on the conversation${id}:\n${body}`;
    const hunk = c.diffHunk ? `\`\`\`diff\n${c.diffHunk}\n\`\`\`\n` : '';
    return `${c.author} on ${c.path}:${c.line ?? '?'}${id}:\n${hunk}${body}`;
  });
  return [
    `New comments on pull request #${wake.number}:`,
    '',
    ...quoted.flatMap((q) => [q, '']),
    `Address each comment: change the code where it asks for a change, commit, and push to the branch ${branch}. Then answer each one briefly with what you did: with the hangar-github tools if you have them, a review comment in its thread (reply_to_review_comment with pull_number ${wake.number} and its comment id), a conversation comment with comment; else in your reply here.`,
  ].join('\n');
}

/** The agent's follow-up for a conflict with the base. */
export function conflictFollowUp(wake: ConflictWakeUp, branch: string): string {
  return [
    `Pull request #${wake.number} no longer merges cleanly into ${wake.base}: they conflict.`,
    '',
    `Run \`git fetch origin\`, merge origin/${wake.base} into this branch, resolve the conflicts (keep what both sides meant), run the tests, commit the merge, and push to the branch ${branch}.`,
  ].join('\n');
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

/**
 * Text the agent writes on GitHub through Hangar goes out under the user's (or the
 * App's) identity, so it is marked as the agent's (the product's rule: replies are
 * marked). The marker is an HTML comment GitHub does not render, by which Hangar
 * knows its own comments again.
 */
export const AGENT_MARKER = '<!-- hangar:agent -->';

/** The line people see under a comment the agent wrote. */
export const AGENT_LABEL = '<sub>Written by the coding agent via Hangar.</sub>';

/** `text` with the label and marker appended. */
export function labelAgentText(text: string): string {
  return `${text.trimEnd()}\n\n---\n${AGENT_LABEL} ${AGENT_MARKER}`;
}

/** Whether a comment's body carries the agent's marker (written by Hangar). */
export function isAgentText(body: string | null | undefined): boolean {
  return body?.includes(AGENT_MARKER) === true;
}

/**
 * Claude Code runs some slash commands itself when a stream-json message is one:
 * `/compact [focus]` summarises the conversation, `/context` reports what fills it;
 * both work in a session and their results reach the transcript. `/clear` (and its
 * aliases `/reset` and `/new`) start a new conversation under a new id, which would
 * leave the session's own behind: that one is what follow-ups, teleport and a resumed
 * sandbox continue, so Hangar refuses these.
 */
const NEW_CONVERSATION = new Set(['clear', 'reset', 'new']);

/**
 * Why Claude Code cannot be sent `text` in a session, or undefined when it can.
 * Claude Code takes a message as a command only when it starts with the slash and the
 * command's exact name, followed by whitespace or nothing.
 */
export function refusedCommand(text: string): string | undefined {
  const name = /^\/([a-z-]+)(?:\s|$)/.exec(text)?.[1];
  if (name === undefined || !NEW_CONVERSATION.has(name)) return undefined;
  return `/${name} would start a new conversation, and a session keeps one (follow-ups and teleport continue it): start a new session instead.`;
}

import type { z } from 'zod';
import type { ParsedLine } from './agent.js';

/**
 * One line of an agent's JSON output read against `schema`: the line, or, when it is
 * not JSON or not a line Hangar knows, the ParsedLine that keeps it raw as
 * `agent.unknown` (never fatal: agents add line types between releases).
 */
export function readAgentLine<T>(
  text: string,
  schema: z.ZodType<T>,
): { raw: unknown; line: T } | ParsedLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      raw: text,
      events: [{ type: 'agent.unknown', data: { line: text } }],
      endsTurn: false,
    };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return { raw, events: [{ type: 'agent.unknown', data: { line: raw } }], endsTurn: false };
  }
  return { raw, line: parsed.data };
}

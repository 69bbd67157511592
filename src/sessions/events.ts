import { z } from 'zod';
import { autofixEventSchemas } from '../github/autofix-events.js';
import { PullRequestSummarySchema } from '../github/pr-status.js';
import { provisioningSteps, sessionStatuses } from './status.js';

/**
 * The canonical session events: what the web app, the CLI and teleport read. Every
 * event is validated against its schema before it is stored.
 */
export const eventSchemas = {
  'session.status': z.object({
    status: z.enum(sessionStatuses),
    subStep: z.enum(provisioningSteps).optional(),
    reason: z.string().optional(),
  }),
  'message.user': z.object({ text: z.string() }),
  'message.assistant': z.object({ text: z.string() }),
  'tool.call': z.object({ id: z.string(), name: z.string(), input: z.unknown() }),
  'tool.result': z.object({ id: z.string(), output: z.string(), isError: z.boolean() }),
  'turn.result': z.object({
    isError: z.boolean(),
    /** Why the turn failed, when the agent could not say so itself. */
    error: z.string().optional(),
    interrupted: z.boolean().optional(),
    durationMs: z.number().optional(),
    costUsd: z.number().optional(),
    usage: z
      .object({
        inputTokens: z.number(),
        outputTokens: z.number(),
        cacheReadInputTokens: z.number().optional(),
        cacheCreationInputTokens: z.number().optional(),
      })
      .optional(),
  }),
  'setup.output': z.object({ stream: z.enum(['stdout', 'stderr']), text: z.string() }),
  /** What one of the agent's hooks printed, e.g. the repo's SessionStart hook. */
  'hook.output': z.object({
    /** The hook as the agent names it, e.g. `SessionStart:startup`. */
    hook: z.string(),
    text: z.string(),
    isError: z.boolean().optional(),
    exitCode: z.number().optional(),
  }),
  /** The agent replaced the conversation so far by a summary, to free its context. */
  'context.compacted': z.object({
    /** `manual`: the user sent `/compact`; `auto`: the context was nearly full. */
    trigger: z.enum(['manual', 'auto']),
    preTokens: z.number().optional(),
    postTokens: z.number().optional(),
  }),
  'network.blocked': z.object({ host: z.string(), port: z.number(), reason: z.string() }),
  'diff.updated': z.object({ files: z.number(), additions: z.number(), deletions: z.number() }),
  /**
   * GitHub stopped taking the session's credential for its repo (a revoked or expired
   * token, the App removed, write access taken away): what to do, in `message`.
   */
  'github.access_failed': z.object({ repo: z.string(), code: z.string(), message: z.string() }),
  /** The session's pull request was opened, or its state or CI changed. */
  'pull_request.updated': PullRequestSummarySchema,
  ...autofixEventSchemas,
  'agent.unknown': z.object({ line: z.unknown() }),
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;

/** An event before it is stored: its type and its data. */
export type NewEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** A stored event: numbered within its session from 1, without gaps. */
export type SessionEvent = NewEvent & { sessionId: string; seq: number; createdAt: Date };

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventSchemas, type);
}

/** Validates an event's data against its type's schema; throws naming the type. */
export function checkEvent(event: NewEvent): NewEvent {
  const parsed = eventSchemas[event.type].safeParse(event.data);
  if (!parsed.success) throw new Error(`invalid ${event.type} event: ${parsed.error.message}`);
  return event;
}

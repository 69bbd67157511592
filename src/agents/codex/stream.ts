import { z } from 'zod';
import { isAgentSessionId } from '../../ids.js';
import type { NewEvent } from '../../sessions/events.js';
import type { ParsedLine } from '../agent.js';
import { readAgentLine } from '../line.js';

/**
 * `codex exec --json` lines, as far as Hangar reads them: `thread.started` names the
 * conversation, `item.*` carry messages, commands, file changes and tool calls,
 * `turn.completed`/`turn.failed` end the turn. Loose objects: the CLI adds fields
 * between releases, and those must not break a session.
 */
const Item = z.looseObject({ id: z.string(), type: z.string() });
const Usage = z.looseObject({
  input_tokens: z.number(),
  cached_input_tokens: z.number().optional(),
  cache_write_input_tokens: z.number().optional(),
  output_tokens: z.number(),
});
const Line = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() }),
  z.looseObject({ type: z.literal('turn.started') }),
  z.looseObject({ type: z.literal('turn.completed'), usage: Usage.optional() }),
  z.looseObject({
    type: z.literal('turn.failed'),
    error: z.looseObject({ message: z.string() }).optional(),
  }),
  z.looseObject({ type: z.literal('item.started'), item: Item }),
  z.looseObject({ type: z.literal('item.updated'), item: Item }),
  z.looseObject({ type: z.literal('item.completed'), item: Item }),
  z.looseObject({ type: z.literal('error'), message: z.string().optional() }),
]);

const AgentMessage = z.looseObject({ type: z.literal('agent_message'), text: z.string() });
const Command = z.looseObject({
  type: z.literal('command_execution'),
  command: z.string(),
  aggregated_output: z.string().optional(),
  exit_code: z.number().nullable().optional(),
  status: z.string().optional(),
});
const FileChange = z.looseObject({
  type: z.literal('file_change'),
  changes: z.array(z.looseObject({ path: z.string(), kind: z.string() })),
  status: z.string().optional(),
});
const McpCall = z.looseObject({
  type: z.literal('mcp_tool_call'),
  server: z.string(),
  tool: z.string(),
  arguments: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z.looseObject({ message: z.string() }).nullable().optional(),
  status: z.string().optional(),
});
const WebSearch = z.looseObject({ type: z.literal('web_search'), query: z.string() });

/** Maps one `codex exec --json` line to canonical session events. */
export function parseCodexLine(text: string): ParsedLine {
  const read = readAgentLine(text, Line);
  if ('events' in read) return read;
  const { raw, line } = read;
  const base = { raw, endsTurn: false };
  switch (line.type) {
    case 'thread.started':
      // Only a UUID: the id becomes a file name and an argument of `codex exec resume`.
      return isAgentSessionId(line.thread_id)
        ? { ...base, events: [], agentSessionId: line.thread_id }
        : { ...base, events: [] };
    // Transport notices (`error`: "Reconnecting… 2/5"): the turn goes on, or fails with its reason.
    case 'turn.started':
    case 'item.updated':
    case 'error':
      return { ...base, events: [] };
    case 'turn.completed':
      return {
        ...base,
        endsTurn: true,
        events: [
          {
            type: 'turn.result',
            data: { isError: false, ...(line.usage ? { usage: usage(line.usage) } : {}) },
          },
        ],
      };
    case 'turn.failed':
      return {
        ...base,
        endsTurn: true,
        events: [
          {
            type: 'turn.result',
            data: { isError: true, error: line.error?.message ?? 'the turn failed' },
          },
        ],
      };
    case 'item.started':
      return { ...base, events: startedEvents(line.item) };
    case 'item.completed':
      return { ...base, events: completedEvents(line.item) };
  }
}

/**
 * OpenAI counts cached input inside `input_tokens`; the canonical usage counts it
 * apart, as Anthropic's does, so the figures of different agents add up alike.
 */
function usage(wire: z.infer<typeof Usage>) {
  const cached = wire.cached_input_tokens ?? 0;
  return {
    inputTokens: Math.max(0, wire.input_tokens - cached),
    outputTokens: wire.output_tokens,
    cacheReadInputTokens: cached,
    cacheCreationInputTokens: wire.cache_write_input_tokens ?? 0,
  };
}

/** Codex runs a model's command as `/bin/bash -lc '<command>'`: show the command. */
export function shellCommand(command: string): string {
  const wrapped = /^\S*\/(?:ba)?sh -l?c '([\s\S]*)'$/.exec(command);
  return wrapped?.[1] === undefined ? command : wrapped[1].replaceAll(`'\\''`, `'`);
}

function startedEvents(item: z.infer<typeof Item>): NewEvent[] {
  const command = Command.safeParse(item);
  if (command.success) {
    return [
      {
        type: 'tool.call',
        data: {
          id: item.id,
          name: 'shell',
          input: { command: shellCommand(command.data.command) },
        },
      },
    ];
  }
  const mcp = McpCall.safeParse(item);
  if (mcp.success) {
    return [
      {
        type: 'tool.call',
        data: {
          id: item.id,
          name: `${mcp.data.server}.${mcp.data.tool}`,
          input: mcp.data.arguments ?? {},
        },
      },
    ];
  }
  return [];
}

function completedEvents(item: z.infer<typeof Item>): NewEvent[] {
  const message = AgentMessage.safeParse(item);
  if (message.success) {
    return message.data.text
      ? [{ type: 'message.assistant', data: { text: message.data.text } }]
      : [];
  }
  const command = Command.safeParse(item);
  if (command.success) {
    const { exit_code: code, aggregated_output: output = '' } = command.data;
    return [
      {
        type: 'tool.result',
        data: {
          id: item.id,
          output: output.replace(/\n$/, ''),
          isError:
            command.data.status === 'failed' || (code !== null && code !== undefined && code !== 0),
        },
      },
    ];
  }
  const change = FileChange.safeParse(item);
  if (change.success) {
    // Codex reports a patch once, applied: its call and its result together.
    const files = change.data.changes.map((c) => `${c.kind} ${c.path}`).join('\n');
    return [
      {
        type: 'tool.call',
        data: { id: item.id, name: 'apply_patch', input: { changes: change.data.changes } },
      },
      {
        type: 'tool.result',
        data: { id: item.id, output: files, isError: change.data.status === 'failed' },
      },
    ];
  }
  const mcp = McpCall.safeParse(item);
  if (mcp.success) {
    const error = mcp.data.error?.message;
    return [
      {
        type: 'tool.result',
        data: {
          id: item.id,
          output: error ?? JSON.stringify(mcp.data.result ?? null),
          isError: error !== undefined || mcp.data.status === 'failed',
        },
      },
    ];
  }
  const search = WebSearch.safeParse(item);
  if (search.success) {
    return [
      {
        type: 'tool.call',
        data: { id: item.id, name: 'web_search', input: { query: search.data.query } },
      },
    ];
  }
  // Reasoning, plans and Codex's own notices (an `error` item is a warning) stay in the raw output.
  return [];
}

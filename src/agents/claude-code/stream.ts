import { z } from 'zod';
import { isAgentSessionId } from '../../ids.js';
import type { NewEvent } from '../../sessions/events.js';
import type { ParsedLine } from '../agent.js';
import { readAgentLine } from '../line.js';

/**
 * How Hangar runs Claude Code headless: one turn a process, the user's message as a
 * stream-json line on stdin, every event as a stream-json line on stdout.
 */
export const STREAM_JSON_ARGS = [
  '-p',
  '--input-format',
  'stream-json',
  '--output-format',
  'stream-json',
  '--verbose',
] as const;

/** The user's message as Claude Code's stream-json input takes it. */
export function userMessageLine(text: string): string {
  return `${JSON.stringify({ type: 'user', message: { role: 'user', content: text } })}\n`;
}

/**
 * Claude Code's `--output-format stream-json` lines, as far as Hangar reads them.
 * Loose objects: the CLI adds fields between releases, and those must not break a
 * session. A line Hangar does not know is kept as `agent.unknown`, never fatal.
 */
const TextBlock = z.looseObject({ type: z.literal('text'), text: z.string() });
const ToolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
const ToolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z
    .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))])
    .optional(),
  is_error: z.boolean().optional(),
});
const OtherBlock = z.looseObject({ type: z.string() });

/**
 * A hook's run, as Claude Code reports it after the hook ends: SessionStart hooks always
 * (others only with `--include-hook-events`, which Hangar does not pass). `hook_name`
 * is the event and what set it off, e.g. `SessionStart:startup`; `output` is stdout and
 * stderr in the order they came.
 */
const HookResponse = z.looseObject({
  subtype: z.literal('hook_response'),
  hook_name: z.string(),
  output: z.string().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  exit_code: z.number().optional(),
  outcome: z.string().optional(),
});

/**
 * Where Claude Code compacted the conversation: earlier turns were replaced by a
 * summary, on `/compact` (`manual`) or when the context filled (`auto`).
 */
const CompactBoundary = z.looseObject({
  subtype: z.literal('compact_boundary'),
  compact_metadata: z
    .looseObject({
      trigger: z.string().optional(),
      pre_tokens: z.number().optional(),
      post_tokens: z.number().optional(),
    })
    .optional(),
});

const Line = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('system'),
    subtype: z.string(),
    session_id: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal('assistant'),
    session_id: z.string().optional(),
    message: z.looseObject({ content: z.array(z.union([TextBlock, ToolUseBlock, OtherBlock])) }),
  }),
  z.looseObject({
    type: z.literal('user'),
    session_id: z.string().optional(),
    message: z.looseObject({
      content: z.union([z.string(), z.array(z.union([ToolResultBlock, OtherBlock]))]),
    }),
  }),
  z.looseObject({
    type: z.literal('result'),
    session_id: z.string().optional(),
    subtype: z.string(),
    is_error: z.boolean(),
    duration_ms: z.number().optional(),
    total_cost_usd: z.number().optional(),
    model_usage_since_last_result: z
      .record(z.string(), z.looseObject({ costUSD: z.number().optional() }))
      .optional(),
    usage: z
      .looseObject({
        input_tokens: z.number(),
        output_tokens: z.number(),
        cache_read_input_tokens: z.number().optional(),
        cache_creation_input_tokens: z.number().optional(),
      })
      .optional(),
  }),
]);

/** Maps one stream-json line to canonical session events. */
export function parseClaudeLine(text: string): ParsedLine {
  const read = readAgentLine(text, Line);
  if ('events' in read) return read;
  const { raw, line } = read;
  const base = {
    raw,
    // Only a UUID: the id becomes a file name and a `--resume` argument.
    ...(line.session_id && isAgentSessionId(line.session_id)
      ? { agentSessionId: line.session_id }
      : {}),
    endsTurn: false,
  };

  switch (line.type) {
    case 'system':
      return { ...base, events: systemEvents(line) };
    case 'assistant':
      return { ...base, events: line.message.content.flatMap(assistantEvent) };
    case 'user':
      return {
        ...base,
        events:
          typeof line.message.content === 'string'
            ? []
            : line.message.content.flatMap(toolResultEvent),
      };
    case 'result':
      return {
        ...base,
        endsTurn: true,
        events: [
          {
            type: 'turn.result',
            data: {
              isError: line.is_error,
              ...(line.duration_ms === undefined ? {} : { durationMs: line.duration_ms }),
              ...turnCost(line),
              ...(line.usage
                ? {
                    usage: {
                      inputTokens: line.usage.input_tokens,
                      outputTokens: line.usage.output_tokens,
                      cacheReadInputTokens: line.usage.cache_read_input_tokens ?? 0,
                      cacheCreationInputTokens: line.usage.cache_creation_input_tokens ?? 0,
                    },
                  }
                : {}),
            },
          },
        ],
      };
  }
}

/**
 * What the turn cost. `total_cost_usd` is the conversation's, carried across `--resume`;
 * `model_usage_since_last_result` is this turn's, per model (empty for `/context`,
 * which asks no model; a compaction's request counted in).
 */
function turnCost(line: {
  total_cost_usd?: number | undefined;
  model_usage_since_last_result?: Record<string, { costUSD?: number | undefined }> | undefined;
}): { costUsd?: number } {
  const models = line.model_usage_since_last_result;
  if (models)
    return { costUsd: Object.values(models).reduce((sum, m) => sum + (m.costUSD ?? 0), 0) };
  return line.total_cost_usd === undefined ? {} : { costUsd: line.total_cost_usd };
}

/** The system lines a person reads: a hook's output, a compaction. Others are bookkeeping. */
function systemEvents(line: z.infer<typeof OtherBlock>): NewEvent[] {
  const hook = HookResponse.safeParse(line);
  if (hook.success) {
    const { hook_name, output, stdout = '', stderr = '', exit_code, outcome } = hook.data;
    const text = output ?? stdout + stderr;
    const isError = outcome === undefined ? (exit_code ?? 0) !== 0 : outcome !== 'success';
    // A hook that ran quietly and well is not worth a line in the transcript.
    if (!text && !isError) return [];
    return [
      {
        type: 'hook.output',
        data: {
          hook: hook_name,
          text,
          isError,
          ...(exit_code === undefined ? {} : { exitCode: exit_code }),
        },
      },
    ];
  }
  const compact = CompactBoundary.safeParse(line);
  if (compact.success) {
    const meta = compact.data.compact_metadata;
    return [
      {
        type: 'context.compacted',
        data: {
          trigger: meta?.trigger === 'manual' ? 'manual' : 'auto',
          ...(meta?.pre_tokens === undefined ? {} : { preTokens: meta.pre_tokens }),
          ...(meta?.post_tokens === undefined ? {} : { postTokens: meta.post_tokens }),
        },
      },
    ];
  }
  return [];
}

function assistantEvent(block: z.infer<typeof OtherBlock>): NewEvent[] {
  const text = TextBlock.safeParse(block);
  if (text.success)
    return text.data.text ? [{ type: 'message.assistant', data: { text: text.data.text } }] : [];
  const tool = ToolUseBlock.safeParse(block);
  if (tool.success)
    return [
      {
        type: 'tool.call',
        data: { id: tool.data.id, name: tool.data.name, input: tool.data.input },
      },
    ];
  return [];
}

function toolResultEvent(block: z.infer<typeof OtherBlock>): NewEvent[] {
  const result = ToolResultBlock.safeParse(block);
  if (!result.success) return [];
  const { content } = result.data;
  const output =
    typeof content === 'string'
      ? content
      : (content ?? []).map((part) => part.text ?? `[${part.type}]`).join('\n');
  return [
    {
      type: 'tool.result',
      data: { id: result.data.tool_use_id, output, isError: result.data.is_error ?? false },
    },
  ];
}

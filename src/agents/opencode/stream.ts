import { z } from 'zod';
import { isAgentSessionId } from '../../ids.js';
import type { NewEvent } from '../../sessions/events.js';
import type { ParsedLine } from '../agent.js';
import { readAgentLine } from '../line.js';

/**
 * `opencode run --format json` lines, as far as Hangar reads them: each names the
 * session (`sessionID`) and carries one part of the reply: `text`, a finished
 * `tool_use`, and a `step_finish` per model call with its tokens and cost. The step
 * that does not stop for tools ends the turn. Loose objects: opencode adds fields
 * between releases, and those must not break a session.
 */
const Tokens = z.looseObject({
  input: z.number(),
  output: z.number(),
  reasoning: z.number().optional(),
  cache: z.looseObject({ read: z.number(), write: z.number() }).optional(),
});
const Line = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('step_start') }),
  z.looseObject({ type: z.literal('text'), part: z.looseObject({ text: z.string() }) }),
  z.looseObject({ type: z.literal('reasoning') }),
  z.looseObject({
    type: z.literal('tool_use'),
    part: z.looseObject({
      tool: z.string(),
      callID: z.string(),
      state: z.looseObject({
        status: z.string(),
        input: z.unknown().optional(),
        output: z.string().optional(),
        error: z.string().optional(),
      }),
    }),
  }),
  z.looseObject({
    type: z.literal('step_finish'),
    part: z.looseObject({
      reason: z.string(),
      tokens: Tokens.optional(),
      cost: z.number().optional(),
    }),
  }),
  z.looseObject({
    type: z.literal('error'),
    error: z
      .looseObject({
        name: z.string().optional(),
        data: z.looseObject({ message: z.string().optional() }).optional(),
      })
      .optional(),
  }),
]);

/** Maps one line on its own (a turn's usage is added up by `opencodeTurnReader`). */
export function parseOpencodeLine(text: string): ParsedLine {
  return opencodeTurnReader()(text);
}

/**
 * A reader of one turn's lines: it adds up the tokens and cost of the turn's steps,
 * which opencode reports one model call at a time, into the turn's result.
 */
export function opencodeTurnReader(): (text: string) => ParsedLine {
  let input = 0;
  let output = 0;
  let cacheRead = 0;
  let cacheWrite = 0;
  let cost = 0;
  return (text) => {
    const read = readAgentLine(text, Line);
    if ('events' in read) return read;
    const { raw, line } = read;
    const sessionId = (raw as { sessionID?: unknown }).sessionID;
    const base = {
      raw,
      ...(typeof sessionId === 'string' && isAgentSessionId(sessionId)
        ? { agentSessionId: sessionId }
        : {}),
      endsTurn: false,
    };
    switch (line.type) {
      case 'step_start':
      case 'reasoning':
        return { ...base, events: [] };
      case 'text':
        return {
          ...base,
          events: line.part.text
            ? [{ type: 'message.assistant', data: { text: line.part.text } }]
            : [],
        };
      case 'tool_use':
        return { ...base, events: toolEvents(line.part) };
      case 'step_finish': {
        const tokens = line.part.tokens;
        input += tokens?.input ?? 0;
        output += (tokens?.output ?? 0) + (tokens?.reasoning ?? 0);
        cacheRead += tokens?.cache?.read ?? 0;
        cacheWrite += tokens?.cache?.write ?? 0;
        cost += line.part.cost ?? 0;
        if (line.part.reason === 'tool-calls') return { ...base, events: [] };
        return {
          ...base,
          endsTurn: true,
          events: [
            {
              type: 'turn.result',
              data: {
                isError: line.part.reason === 'error',
                costUsd: cost,
                usage: {
                  inputTokens: input,
                  outputTokens: output,
                  cacheReadInputTokens: cacheRead,
                  cacheCreationInputTokens: cacheWrite,
                },
              },
            },
          ],
        };
      }
      case 'error': {
        const message = line.error?.data?.message ?? line.error?.name ?? 'opencode failed';
        return {
          ...base,
          endsTurn: true,
          events: [{ type: 'turn.result', data: { isError: true, error: message } }],
        };
      }
    }
  };
}

function toolEvents(part: {
  tool: string;
  callID: string;
  state: { status: string; input?: unknown; output?: string; error?: string };
}): NewEvent[] {
  // opencode prints a tool once it has finished: its call and its result together.
  const call: NewEvent = {
    type: 'tool.call',
    data: { id: part.callID, name: part.tool, input: part.state.input ?? {} },
  };
  if (part.state.status !== 'completed' && part.state.status !== 'error') return [call];
  const failed = part.state.status === 'error';
  return [
    call,
    {
      type: 'tool.result',
      data: {
        id: part.callID,
        output: (failed ? (part.state.error ?? '') : (part.state.output ?? '')).replace(/\n$/, ''),
        isError: failed,
      },
    },
  ];
}

/**
 * What a model request used, read from the response (Anthropic's Messages API or
 * OpenAI's Responses API) as it streams
 * through the model gateway (never buffered whole), and the operator's limits on it.
 * Pure: no sockets, no store.
 */

/** Requests and tokens, as counted per session, per user and day. */
export interface ModelUsage {
  requests: number;
  /** Input tokens, cached ones (written or read) included. */
  inputTokens: number;
  outputTokens: number;
}

export const NO_USAGE: ModelUsage = { requests: 0, inputTokens: 0, outputTokens: 0 };

/** Operator limits; `undefined` is no limit. */
export interface ModelLimits {
  /** HANGAR_MAX_MODEL_REQUESTS_PER_SESSION */
  requestsPerSession: number | undefined;
  /** HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY (input + output, UTC day) */
  tokensPerUserPerDay: number | undefined;
}

export const DEFAULT_MODEL_LIMITS: ModelLimits = {
  requestsPerSession: 5_000,
  tokensPerUserPerDay: 200_000_000,
};

/** A limit that was reached: its name (the env var) and a sentence for people. */
export interface LimitReached {
  limit: 'HANGAR_MAX_MODEL_REQUESTS_PER_SESSION' | 'HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY';
  message: string;
}

/** Whether one more model request may go out, given what was used so far. */
export function checkModelLimits(
  limits: ModelLimits,
  used: { session: ModelUsage; userToday: ModelUsage },
): LimitReached | undefined {
  const perSession = limits.requestsPerSession;
  if (perSession !== undefined && used.session.requests >= perSession) {
    return {
      limit: 'HANGAR_MAX_MODEL_REQUESTS_PER_SESSION',
      message: `this session has made ${used.session.requests} model requests, the most allowed (HANGAR_MAX_MODEL_REQUESTS_PER_SESSION=${perSession}); start a new session`,
    };
  }
  const perDay = limits.tokensPerUserPerDay;
  const tokens = used.userToday.inputTokens + used.userToday.outputTokens;
  if (perDay !== undefined && tokens >= perDay) {
    return {
      limit: 'HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY',
      message: `you have used ${tokens} model tokens today (UTC), the most allowed (HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY=${perDay}); try again tomorrow or ask your operator`,
    };
  }
  return undefined;
}

/** The longest SSE line read for usage; longer ones (content deltas) are skipped. */
export const MAX_USAGE_LINE_BYTES = 64 * 1024;
/** The most of a plain JSON response kept to read its usage. */
export const MAX_USAGE_JSON_BYTES = 4 * 1024 * 1024;

interface WireUsage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
  cache_read_input_tokens?: unknown;
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

/**
 * Reads `usage` from a response fed to it chunk by chunk, from SSE or from a plain
 * JSON body. Messages API: `message_start` carries the input tokens, each
 * `message_delta` the output so far. Responses API: `response.completed` carries both
 * (its input count includes cached tokens already). Memory stays bounded whatever the
 * response holds.
 */
export class UsageReader {
  private readonly sse: boolean;
  private readonly format: 'anthropic' | 'openai';
  private input = 0;
  private cacheWrite = 0;
  private cacheRead = 0;
  private output = 0;
  /** SSE: the current partial line; JSON: the body so far. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Past a bound: drop bytes until the next line (SSE) or for good (JSON). */
  private skipping = false;

  constructor(contentType: string | undefined, format: 'anthropic' | 'openai' = 'anthropic') {
    this.sse = /^text\/event-stream\b/i.test(contentType ?? '');
    this.format = format;
  }

  push(chunk: Buffer): void {
    if (this.sse) this.pushSse(chunk);
    else this.pushJson(chunk);
  }

  /** The tokens read; call once the response has ended (or was cut short). */
  finish(): { inputTokens: number; outputTokens: number } {
    if (!this.sse && !this.skipping && this.pendingBytes > 0) {
      this.take(parseJson(Buffer.concat(this.pending).toString('utf8')));
    }
    this.pending = [];
    return {
      inputTokens: this.input + this.cacheWrite + this.cacheRead,
      outputTokens: this.output,
    };
  }

  private pushJson(chunk: Buffer): void {
    if (this.skipping) return;
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_USAGE_JSON_BYTES) {
      this.skipping = true;
      this.pending = [];
      return;
    }
    this.pending.push(chunk);
  }

  private pushSse(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (!this.skipping) {
        if (this.pendingBytes + piece.length > MAX_USAGE_LINE_BYTES) {
          this.skipping = true;
          this.pending = [];
          this.pendingBytes = 0;
        } else if (piece.length > 0) {
          this.pending.push(piece);
          this.pendingBytes += piece.length;
        }
      }
      if (newline === -1) return;
      if (!this.skipping) this.line(Buffer.concat(this.pending).toString('utf8'));
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = false;
      start = newline + 1;
    }
  }

  private line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith('data:')) return;
    if (this.format === 'openai') {
      // Only the last event carries usage: skip parsing the many deltas.
      if (!line.includes('"response.completed"')) return;
      const data = parseJson(line.slice(5).trim());
      if (typeof data !== 'object' || data === null) return;
      const event = data as { type?: unknown; response?: unknown };
      if (event.type === 'response.completed') this.take(event.response);
      return;
    }
    // Only two event types carry usage: skip parsing the many content deltas.
    if (!line.includes('"message_start"') && !line.includes('"message_delta"')) return;
    const data = parseJson(line.slice(5).trim());
    if (typeof data !== 'object' || data === null) return;
    const event = data as { type?: unknown; message?: { usage?: WireUsage }; usage?: WireUsage };
    if (event.type === 'message_start') this.take(event.message);
    else if (event.type === 'message_delta') this.take(event);
  }

  /** Takes the usage object of a message or delta; later figures replace earlier ones. */
  private take(holder: unknown): void {
    if (typeof holder !== 'object' || holder === null) return;
    const usage: unknown = (holder as { usage?: unknown }).usage;
    if (typeof usage !== 'object' || usage === null) return;
    const wire = usage as WireUsage;
    this.input = count(wire.input_tokens) ?? this.input;
    this.cacheWrite = count(wire.cache_creation_input_tokens) ?? this.cacheWrite;
    this.cacheRead = count(wire.cache_read_input_tokens) ?? this.cacheRead;
    const output = count(wire.output_tokens);
    if (output !== undefined) this.output = output;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

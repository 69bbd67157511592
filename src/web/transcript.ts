/** A stored session event as the API sends it (over SSE or as a page of JSON). */
export interface SessionEvent {
  seq: number;
  type: string;
  data: unknown;
  createdAt: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
}

/** What the transcript shows, in order: one entry per thing a person reads. */
export type Item =
  | { kind: 'user'; seq: number; text: string; state: 'sent' | 'queued' | 'dropped' }
  | { kind: 'assistant'; seq: number; text: string }
  | {
      kind: 'tool';
      seq: number;
      id: string;
      name: string;
      input: unknown;
      result?: { output: string; isError: boolean };
    }
  | { kind: 'setup'; seq: number; text: string; hasErrors: boolean }
  | { kind: 'hook'; seq: number; hook: string; text: string; isError: boolean; exitCode?: number }
  | { kind: 'compaction'; seq: number; trigger: string; preTokens?: number; postTokens?: number }
  | { kind: 'blocked'; seq: number; host: string; port: number; reason: string }
  /** GitHub stopped taking the session's credential: what to do (reconnecting fixes it). */
  | { kind: 'access'; seq: number; repo: string; code: string; message: string }
  | {
      kind: 'turn';
      seq: number;
      isError: boolean;
      error?: string;
      interrupted?: boolean;
      durationMs?: number;
      costUsd?: number;
      usage?: Usage;
    }
  | { kind: 'status'; seq: number; status: string; subStep?: string; reason?: string }
  | { kind: 'diff'; seq: number; files: number; additions: number; deletions: number }
  | {
      kind: 'github';
      seq: number;
      /** What woke the agent (auto-fix): the follow-up it caused comes next. */
      trigger: 'ci' | 'review' | 'conflict';
      title: string;
      lines: string[];
      /** A failing check's log tail, shown folded. */
      logs: { name: string; text: string }[];
    };

export interface Transcript {
  items: Item[];
  /** A turn is under way: a new message waits for it (queued), and it can be interrupted. */
  turnRunning: boolean;
  lastSeq: number;
}

/** Statuses worth a line of their own; idle and running show in the header badge. */
const NOTABLE_STATUSES = new Set(['provisioning', 'failed', 'hibernated']);

/**
 * Folds the event log into transcript items. A user message sent while a turn runs is
 * queued until a turn ends (the runner delivers one per turn); an interrupt drops
 * what was queued.
 */
export function buildTranscript(events: readonly SessionEvent[]): Transcript {
  const items: Item[] = [];
  const tools = new Map<string, Extract<Item, { kind: 'tool' }>>();
  const queued: Extract<Item, { kind: 'user' }>[] = [];
  let turnRunning = false;
  let lastSeq = 0;
  let lastDiff = JSON.stringify({ files: 0, additions: 0, deletions: 0 });

  for (const event of events) {
    lastSeq = Math.max(lastSeq, event.seq);
    const seq = event.seq;
    const data = (event.data ?? {}) as Record<string, unknown>;
    switch (event.type) {
      case 'message.user': {
        const item = { kind: 'user' as const, seq, text: str(data.text), state: 'sent' as const };
        const entry: Extract<Item, { kind: 'user' }> = { ...item };
        if (turnRunning) {
          entry.state = 'queued';
          queued.push(entry);
        }
        turnRunning = true;
        items.push(entry);
        break;
      }
      case 'message.assistant':
        items.push({ kind: 'assistant', seq, text: str(data.text) });
        break;
      case 'tool.call': {
        const item = {
          kind: 'tool' as const,
          seq,
          id: str(data.id),
          name: str(data.name),
          input: data.input,
        };
        tools.set(item.id, item);
        items.push(item);
        break;
      }
      case 'tool.result': {
        const call = tools.get(str(data.id));
        const result = { output: str(data.output), isError: data.isError === true };
        if (call) call.result = result;
        else items.push({ kind: 'tool', seq, id: str(data.id), name: 'tool', input: null, result });
        break;
      }
      case 'setup.output': {
        const last = items.at(-1);
        const isError = data.stream === 'stderr';
        if (last?.kind === 'setup') {
          last.text += str(data.text);
          last.hasErrors ||= isError;
        } else items.push({ kind: 'setup', seq, text: str(data.text), hasErrors: isError });
        break;
      }
      case 'hook.output': {
        const hook: Extract<Item, { kind: 'hook' }> = {
          kind: 'hook',
          seq,
          hook: str(data.hook),
          text: str(data.text),
          isError: data.isError === true,
        };
        if (typeof data.exitCode === 'number') hook.exitCode = data.exitCode;
        items.push(hook);
        break;
      }
      case 'context.compacted': {
        const compaction: Extract<Item, { kind: 'compaction' }> = {
          kind: 'compaction',
          seq,
          trigger: str(data.trigger),
        };
        if (typeof data.preTokens === 'number') compaction.preTokens = data.preTokens;
        if (typeof data.postTokens === 'number') compaction.postTokens = data.postTokens;
        items.push(compaction);
        break;
      }
      case 'network.blocked':
        items.push({
          kind: 'blocked',
          seq,
          host: str(data.host),
          port: typeof data.port === 'number' ? data.port : 0,
          reason: str(data.reason),
        });
        break;
      case 'turn.result': {
        const turn: Extract<Item, { kind: 'turn' }> = {
          kind: 'turn',
          seq,
          isError: data.isError === true,
        };
        if (typeof data.error === 'string') turn.error = data.error;
        if (data.interrupted === true) turn.interrupted = true;
        if (typeof data.durationMs === 'number') turn.durationMs = data.durationMs;
        if (typeof data.costUsd === 'number') turn.costUsd = data.costUsd;
        if (data.usage && typeof data.usage === 'object') turn.usage = data.usage as Usage;
        items.push(turn);
        if (turn.interrupted) {
          for (const message of queued.splice(0)) message.state = 'dropped';
        }
        const next = queued.shift();
        if (next) next.state = 'sent';
        turnRunning = next !== undefined;
        break;
      }
      case 'session.status': {
        const status = str(data.status);
        if (status === 'failed' || status === 'hibernated' || status === 'archived') {
          turnRunning = false;
          for (const message of queued.splice(0))
            message.state = status === 'failed' ? 'dropped' : 'sent';
        }
        // A queued session says so only when it waits for one of its user's slots.
        const waiting = status === 'queued' && typeof data.reason === 'string';
        if (!NOTABLE_STATUSES.has(status) && !waiting) break;
        const item: Extract<Item, { kind: 'status' }> = { kind: 'status', seq, status };
        if (typeof data.subStep === 'string') item.subStep = data.subStep;
        if (typeof data.reason === 'string') item.reason = data.reason;
        // Provisioning's sub-steps replace each other on one line.
        const last = items.at(-1);
        if (
          last?.kind === 'status' &&
          last.status === 'provisioning' &&
          status === 'provisioning'
        ) {
          items[items.length - 1] = item;
        } else items.push(item);
        break;
      }
      case 'diff.updated': {
        // The diff is taken after every turn; only a change is worth a line.
        const stats = {
          files: num(data.files),
          additions: num(data.additions),
          deletions: num(data.deletions),
        };
        const key = JSON.stringify(stats);
        if (key !== lastDiff) items.push({ kind: 'diff', seq, ...stats });
        lastDiff = key;
        break;
      }
      case 'github.access_failed':
        items.push({
          kind: 'access',
          seq,
          repo: str(data.repo),
          code: str(data.code),
          message: str(data.message),
        });
        break;
      case 'github.ci':
      case 'github.review':
      case 'github.conflict':
        items.push(wakeUpItem(seq, event.type, data));
        break;
      default:
        break;
    }
  }
  return { items, turnRunning, lastSeq };
}

/** An auto-fix wake-up as one transcript line, with what GitHub said. */
function wakeUpItem(
  seq: number,
  type: 'github.ci' | 'github.review' | 'github.conflict',
  data: Record<string, unknown>,
): Extract<Item, { kind: 'github' }> {
  const pr = `PR #${num(data.number)}`;
  if (type === 'github.conflict') {
    return {
      kind: 'github',
      seq,
      trigger: 'conflict',
      title: `${pr} conflicts with ${str(data.base)}: asked the agent to merge it in`,
      lines: [],
      logs: [],
    };
  }
  if (type === 'github.review') {
    const comments = list(data.comments);
    return {
      kind: 'github',
      seq,
      trigger: 'review',
      title: `${comments.length} new ${comments.length === 1 ? 'comment' : 'comments'} on ${pr}`,
      lines: comments.map((c) => {
        const at = typeof c.path === 'string' ? ` on ${c.path}:${str(c.line ?? '?')}` : '';
        return `${str(c.author)}${at}: ${str(c.body)}`;
      }),
      logs: [],
    };
  }
  const checks = list(data.checks);
  return {
    kind: 'github',
    seq,
    trigger: 'ci',
    title: `CI failed on ${pr} (${str(data.sha).slice(0, 7)})`,
    lines: checks.flatMap((c) => [
      `${str(c.name)}: ${str(c.conclusion)}${typeof c.summary === 'string' ? ` — ${c.summary}` : ''}`,
      ...(Array.isArray(c.annotations) ? c.annotations.map((a) => `  ${str(a)}`) : []),
    ]),
    logs: checks.flatMap((c) =>
      typeof c.logTail === 'string' ? [{ name: str(c.name), text: c.logTail }] : [],
    ),
  };
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

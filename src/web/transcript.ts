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

/** Events per block: a new event copies one block, never the whole transcript. */
export const BLOCK_SIZE = 50;

/**
 * Items whose events lie in one range of BLOCK_SIZE seqs. `key` is that range's number,
 * so a block keeps its key when earlier events are loaded before it.
 */
export interface TranscriptBlock {
  key: number;
  items: readonly Item[];
}

type UserItem = Extract<Item, { kind: 'user' }>;

/** Where an item is: its block and its place in it. */
interface Place {
  block: number;
  at: number;
}

/**
 * Folds the event log into transcript items one event at a time. A user message sent
 * while a turn runs is queued until a turn ends (the runner delivers one per turn); an
 * interrupt drops what was queued.
 *
 * Items are never changed in place: an update (a tool's result, more setup output, a
 * queued message delivered) puts a new item at the old one's place. They are kept in
 * blocks (see TranscriptBlock), and only the blocks an event touches are new objects, so
 * a view can skip every block (and every item) that is the same object as before: each
 * event costs the same, however long the transcript.
 *
 * A fold may start midway through the log (a long session opens at its end): then what
 * came before is not known, so a tool result whose call is earlier shows nothing, and
 * whether a turn runs is `undefined` until a message or a turn's end says.
 */
export class TranscriptFold {
  private blocks: TranscriptBlock[] = [];
  private count = 0;
  /** Where each tool call is, by its id, for its result. */
  private readonly tools = new Map<string, Place>();
  /** Where the queued user messages are, oldest first. */
  private queued: Place[] = [];
  private lastDiff = JSON.stringify({ files: 0, additions: 0, deletions: 0 });
  turnRunning: boolean | undefined;
  lastSeq = 0;

  /** `midway`: the first event added is not the log's first. */
  constructor(private readonly midway = false) {
    this.turnRunning = midway ? undefined : false;
  }

  /** The items so far, block by block (a block the last `add` did not touch is the same object). */
  get itemBlocks(): readonly TranscriptBlock[] {
    return this.blocks;
  }

  get size(): number {
    return this.count;
  }

  /** Adds one event (events come in seq order). */
  add(event: SessionEvent): void {
    this.lastSeq = Math.max(this.lastSeq, event.seq);
    const seq = event.seq;
    const data = (event.data ?? {}) as Record<string, unknown>;
    switch (event.type) {
      case 'message.user': {
        const queued = this.turnRunning === true;
        this.turnRunning = true;
        const place = this.push({
          kind: 'user',
          seq,
          text: str(data.text),
          state: queued ? 'queued' : 'sent',
        });
        if (queued) this.queued.push(place);
        break;
      }
      case 'message.assistant':
        this.push({ kind: 'assistant', seq, text: str(data.text) });
        break;
      case 'tool.call': {
        const id = str(data.id);
        this.tools.set(
          id,
          this.push({ kind: 'tool', seq, id, name: str(data.name), input: data.input }),
        );
        break;
      }
      case 'tool.result': {
        const place = this.tools.get(str(data.id));
        const call = place && this.at(place);
        const result = { output: str(data.output), isError: data.isError === true };
        if (place && call?.kind === 'tool') this.set(place, { ...call, result });
        // Its call may be before a midway fold's first event: it shows once that is loaded.
        else if (!this.midway)
          this.push({ kind: 'tool', seq, id: str(data.id), name: 'tool', input: null, result });
        break;
      }
      case 'setup.output': {
        const last = this.last();
        const isError = data.stream === 'stderr';
        if (last?.kind === 'setup') {
          this.set(this.lastPlace(), {
            ...last,
            text: last.text + str(data.text),
            hasErrors: last.hasErrors || isError,
          });
        } else this.push({ kind: 'setup', seq, text: str(data.text), hasErrors: isError });
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
        this.push(hook);
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
        this.push(compaction);
        break;
      }
      case 'network.blocked':
        this.push({
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
        this.push(turn);
        if (turn.interrupted) this.settleQueued('dropped');
        const next = this.queued.shift();
        if (next) this.setUserState(next, 'sent');
        this.turnRunning = next !== undefined;
        break;
      }
      case 'session.status': {
        const status = str(data.status);
        if (status === 'failed' || status === 'hibernated' || status === 'archived') {
          this.turnRunning = false;
          this.settleQueued(status === 'failed' ? 'dropped' : 'sent');
        }
        // A queued session says so only when it waits for one of its user's slots.
        const waiting = status === 'queued' && typeof data.reason === 'string';
        if (!NOTABLE_STATUSES.has(status) && !waiting) break;
        const item: Extract<Item, { kind: 'status' }> = { kind: 'status', seq, status };
        if (typeof data.subStep === 'string') item.subStep = data.subStep;
        if (typeof data.reason === 'string') item.reason = data.reason;
        // Provisioning's sub-steps replace each other on one line.
        const last = this.last();
        if (last?.kind === 'status' && last.status === 'provisioning' && status === 'provisioning')
          this.set(this.lastPlace(), item);
        else this.push(item);
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
        if (key !== this.lastDiff) this.push({ kind: 'diff', seq, ...stats });
        this.lastDiff = key;
        break;
      }
      case 'github.access_failed':
        this.push({
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
        this.push(wakeUpItem(seq, event.type, data));
        break;
      default:
        break;
    }
  }

  private at(place: Place): Item | undefined {
    return this.blocks[place.block]?.items[place.at];
  }

  private lastPlace(): Place {
    const block = this.blocks.length - 1;
    return { block, at: (this.blocks[block]?.items.length ?? 0) - 1 };
  }

  private last(): Item | undefined {
    return this.at(this.lastPlace());
  }

  /** Adds an item after the last one, in its seq's block; answers where it went. */
  private push(item: Item): Place {
    const key = Math.floor(item.seq / BLOCK_SIZE);
    const b = this.blocks.length - 1;
    const block = this.blocks[b];
    this.count += 1;
    if (block?.key === key) {
      this.replaceBlock(b, { key, items: [...block.items, item] });
      return { block: b, at: block.items.length };
    }
    this.blocks = [...this.blocks, { key, items: [item] }];
    return { block: b + 1, at: 0 };
  }

  private set(place: Place, item: Item): void {
    const block = this.blocks[place.block];
    if (!block) return;
    const items = [...block.items];
    items[place.at] = item;
    this.replaceBlock(place.block, { key: block.key, items });
  }

  /** A new outer array too, so a view that holds the old one sees the change. */
  private replaceBlock(b: number, block: TranscriptBlock): void {
    this.blocks = this.blocks.slice();
    this.blocks[b] = block;
  }

  private setUserState(place: Place, state: UserItem['state']): void {
    const item = this.at(place);
    if (item?.kind === 'user') this.set(place, { ...item, state });
  }

  private settleQueued(state: UserItem['state']): void {
    for (const place of this.queued.splice(0)) this.setUserState(place, state);
  }
}

/** The transcript of a whole event log at once. */
export function buildTranscript(events: readonly SessionEvent[]): Transcript {
  const fold = new TranscriptFold();
  for (const event of events) fold.add(event);
  return {
    items: fold.itemBlocks.flatMap((block) => block.items),
    turnRunning: fold.turnRunning === true,
    lastSeq: fold.lastSeq,
  };
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

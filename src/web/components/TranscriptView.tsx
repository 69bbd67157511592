import { memo, useEffect, useRef, useState } from 'react';
import type { Item, TranscriptBlock, Usage } from '../transcript';
import { Link } from '../router';
import { Markdown } from './Markdown';

interface EntryProps {
  sessionId: string;
  /** The agent's product name: who answers. */
  agent: string;
  /** Who wrote the messages: you, or on a session shared with you its owner. */
  user: string;
}

/** The events before those loaded, and how to load them. */
export interface Earlier {
  /** There are events before the first one loaded. */
  more: boolean;
  loading: boolean;
  /** Why the last load failed. */
  error?: string;
  /** Loads the page before; `auto`: the reader scrolled to the top rather than pressed. */
  load: (auto?: boolean) => Promise<void>;
}

/**
 * The transcript: messages, tool calls, setup and hook output, blocked requests,
 * compactions and turn results. It renders block by block (see TranscriptFold): a block
 * or an item that is the same object as before is skipped, and a block out of view
 * renders nothing, so a new event costs one block's worth, however long the transcript.
 * A long session opens at its end; earlier events load at the top, on request.
 */
export function TranscriptView({
  blocks,
  earlier,
  ...props
}: EntryProps & { blocks: readonly TranscriptBlock[]; earlier: Earlier }) {
  return (
    <section className="transcript" aria-label="Transcript">
      {earlier.more && <ShowEarlier earlier={earlier} />}
      {blocks.map((block, b) => (
        <Block
          key={block.key}
          id={block.key}
          items={block.items}
          newest={b >= blocks.length - 2}
          {...props}
        />
      ))}
    </section>
  );
}

/**
 * "Show earlier events" at the top of a transcript that does not start at the session's
 * start. Scrolling up to it loads them too, as a chat does.
 */
function ShowEarlier({ earlier }: { earlier: Earlier }) {
  const button = useRef<HTMLButtonElement>(null);
  const latest = useRef(earlier);
  useEffect(() => {
    latest.current = earlier;
  });
  useEffect(() => {
    const element = button.current;
    if (!element) return;
    const observer = new IntersectionObserver(([entry]) => {
      if (entry?.isIntersecting) void latest.current.load(true);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return (
    <div className="transcript-earlier">
      <button
        ref={button}
        type="button"
        disabled={earlier.loading}
        onClick={() => void earlier.load()}
      >
        {earlier.loading ? 'Loading earlier events…' : 'Show earlier events'}
      </button>
      {earlier.error && (
        <p className="field-error" role="alert">
          Could not load earlier events: {earlier.error}
        </p>
      )}
    </div>
  );
}

/** How far outside the view a block still renders its entries. */
const NEAR = '1500px 0px';
/** A never-rendered block's guessed height per entry. */
const GUESSED_ENTRY_PX = 60;

/**
 * One block of entries. Only blocks near the view render their entries: one far away
 * is an empty box of the height it last had, so a 10 000-event transcript opens (and
 * grows) at the cost of what can be seen.
 */
const Block = memo(function Block({
  id,
  items,
  newest,
  ...props
}: EntryProps & {
  /** The block's key (TranscriptBlock), which the page finds it by. */
  id: number;
  items: readonly Item[];
  /** One of the last two blocks, which always render: the end of the transcript. */
  newest: boolean;
}) {
  const box = useRef<HTMLOListElement>(null);
  const [near, setNear] = useState(false);
  /** The height it had when it went out of view, for its empty box. */
  const [height, setHeight] = useState<number | undefined>(undefined);
  // An IntersectionObserver rather than scroll math: it runs off the main thread.
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new IntersectionObserver(
      ([entry]) => {
        if (!entry) return;
        if (!entry.isIntersecting) setHeight(element.offsetHeight);
        setNear(entry.isIntersecting);
      },
      { rootMargin: NEAR },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  if (!near && !newest) {
    const px = height ?? items.length * GUESSED_ENTRY_PX;
    return <ol ref={box} className="transcript-block" data-block={id} style={{ height: px }} />;
  }
  return (
    <ol ref={box} className="transcript-block" data-block={id}>
      {items.map((item) => (
        <Entry key={`${item.kind}-${item.seq}`} item={item} {...props} />
      ))}
    </ol>
  );
});

const Entry = memo(function Entry({ item, ...props }: EntryProps & { item: Item }) {
  return (
    <li className={`entry entry-${item.kind}`} data-kind={item.kind} data-seq={item.seq}>
      <EntryBody item={item} {...props} />
    </li>
  );
});

function EntryBody({ item, sessionId, agent, user }: EntryProps & { item: Item }) {
  switch (item.kind) {
    case 'user':
      return (
        <div className={`bubble user-bubble${item.state === 'sent' ? '' : ` ${item.state}`}`}>
          <p className="who">
            {user}
            {item.state === 'queued' && <span className="tag">queued</span>}
            {item.state === 'dropped' && <span className="tag">not delivered</span>}
          </p>
          <div className="plain">{item.text}</div>
        </div>
      );
    case 'assistant':
      return (
        <div className="bubble assistant-bubble">
          <p className="who">{agent}</p>
          <Markdown text={item.text} />
        </div>
      );
    case 'tool':
      return (
        <details className={`tool${item.result?.isError ? ' tool-error' : ''}`}>
          <summary>
            <span className="tool-name">{item.name}</span>{' '}
            <span className="tool-brief">{brief(item.input)}</span>
            {!item.result && <span className="tag">running…</span>}
            {item.result?.isError && <span className="tag error">error</span>}
          </summary>
          <h4>Input</h4>
          <pre>{JSON.stringify(item.input, null, 2)}</pre>
          {item.result && (
            <>
              <h4>Output</h4>
              <pre>{item.result.output || '(no output)'}</pre>
            </>
          )}
        </details>
      );
    case 'setup':
      return (
        <details className="setup" open={item.hasErrors}>
          <summary>Setup script output</summary>
          <pre>{item.text}</pre>
        </details>
      );
    case 'hook':
      return (
        <details className={`setup${item.isError ? ' tool-error' : ''}`} open={item.isError}>
          <summary>
            {item.hook} hook output
            {item.isError && (
              <span className="tag error">
                failed{item.exitCode === undefined ? '' : ` (exit ${item.exitCode})`}
              </span>
            )}
          </summary>
          <pre>{item.text || '(no output)'}</pre>
        </details>
      );
    case 'compaction':
      return (
        <p className="divider" role="separator">
          <span>
            Conversation compacted
            <span className="muted">{compactionDetail(item)}</span>
          </span>
        </p>
      );
    case 'blocked':
      return (
        <p className="notice warning" role="status">
          Network request blocked:{' '}
          <code>
            {item.host}:{item.port}
          </code>{' '}
          — {item.reason}
        </p>
      );
    case 'access':
      return (
        <p className="notice error" role="alert">
          GitHub refused this session's access to <code>{item.repo}</code>: {item.message}{' '}
          <Link href="/settings">GitHub settings</Link>
        </p>
      );
    case 'turn':
      return <TurnResult item={item} />;
    case 'status':
      return (
        <p className={`notice${item.status === 'failed' ? ' error' : ''}`}>
          {statusLine(item, agent)}
        </p>
      );
    case 'github':
      return (
        <div className={`notice wake-up wake-${item.trigger}`} role="status">
          <strong>Auto-fix: {item.title}</strong>
          {item.lines.length > 0 && (
            <ul className="wake-lines">
              {item.lines.map((line, i) => (
                <li key={i}>{line}</li>
              ))}
            </ul>
          )}
          {item.logs.map((log) => (
            <details key={log.name} className="setup">
              <summary>The end of {log.name}'s log</summary>
              <pre>{log.text}</pre>
            </details>
          ))}
        </div>
      );
    case 'diff':
      return (
        <p className="notice">
          <Link href={`/sessions/${sessionId}/diff`}>
            Changed {item.files} {item.files === 1 ? 'file' : 'files'}{' '}
            <span className="add">+{item.additions}</span>{' '}
            <span className="del">−{item.deletions}</span>
          </Link>
        </p>
      );
  }
}

function TurnResult({ item }: { item: Extract<Item, { kind: 'turn' }> }) {
  const parts: string[] = [];
  if (item.durationMs !== undefined) parts.push(`${(item.durationMs / 1000).toFixed(1)} s`);
  if (item.usage) parts.push(tokens(item.usage));
  if (item.costUsd !== undefined) parts.push(`$${item.costUsd.toFixed(4)}`);
  const outcome = item.interrupted ? 'Interrupted' : item.isError ? 'Turn failed' : 'Turn done';
  return (
    <p className={`turn-result${item.isError && !item.interrupted ? ' error' : ''}`}>
      <strong>{outcome}</strong>
      {item.error ? `: ${item.error}` : ''}
      {parts.length > 0 && <span className="muted"> · {parts.join(' · ')}</span>}
    </p>
  );
}

/** Why the conversation was compacted, and by how much: " · manual · 12.5k → 2.6k tokens". */
function compactionDetail(item: Extract<Item, { kind: 'compaction' }>): string {
  const parts = [item.trigger === 'auto' ? 'context full' : item.trigger];
  if (item.preTokens !== undefined && item.postTokens !== undefined)
    parts.push(`${kTokens(item.preTokens)} → ${kTokens(item.postTokens)} tokens`);
  return parts
    .filter(Boolean)
    .map((part) => ` · ${part}`)
    .join('');
}

function kTokens(count: number): string {
  return count < 1000 ? String(count) : `${(count / 1000).toFixed(1)}k`;
}

function tokens(usage: Usage): string {
  const cached = usage.cacheReadInputTokens ? `, ${usage.cacheReadInputTokens} cached` : '';
  return `${usage.inputTokens} in${cached} / ${usage.outputTokens} out tokens`;
}

const PROVISIONING: Record<string, string> = {
  sandbox: 'Creating the sandbox',
  clone: 'Cloning the repository',
  setup: 'Running the setup script',
};

function statusLine(item: Extract<Item, { kind: 'status' }>, agent: string): string {
  const line = statusText(item, agent);
  // A reason on any other status says why it changed, e.g. a session moved to another runner.
  const said = item.status === 'failed' || item.status === 'queued';
  return item.reason && !said ? `${line} — ${item.reason}` : line;
}

function statusText(item: Extract<Item, { kind: 'status' }>, agent: string): string {
  switch (item.status) {
    case 'provisioning':
      if (item.subStep === 'agent') return `Starting ${agent}`;
      return PROVISIONING[item.subStep ?? ''] ?? 'Provisioning';
    case 'failed':
      return `Failed: ${item.reason ?? 'no reason recorded'}`;
    case 'hibernated':
      return 'Hibernated: the sandbox is stopped; a message starts it again.';
    case 'queued':
      return `Queued, ${item.reason ?? 'waiting'}: it starts when one of your running sessions finishes its turn.`;
    default:
      return item.status;
  }
}

/** A one-line hint of a tool call: the command, the file, or the pattern. */
function brief(input: unknown): string {
  if (!input || typeof input !== 'object') return '';
  const fields = input as Record<string, unknown>;
  for (const key of ['description', 'command', 'file_path', 'path', 'pattern', 'url']) {
    const value = fields[key];
    if (typeof value === 'string') return value.length > 90 ? `${value.slice(0, 90)}…` : value;
  }
  return '';
}

import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { parseSse } from '../../sse.js';
import { ApiClient, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import { StopTracker, type Stop } from '../session-stop.js';

/** An event as the API sends it. */
export type EventJson = Schemas['Event'];

interface LogsOptions {
  follow?: boolean;
  untilIdle?: boolean;
  json?: boolean;
}

export function registerSessions(program: Command, io: Io): void {
  const client = () => new ApiClient(resolveCredentials(io.env));

  program
    .command('send')
    .description('send a follow-up to a session (queued if the agent is busy)')
    .argument('<id>', 'session id')
    .argument('<text...>', 'the message')
    .action(async (id: string, words: string[]) => {
      const api = client();
      const { queued } = await api.data(
        api.http.POST('/api/v1/sessions/{id}/messages', {
          params: { path: { id } },
          body: { text: words.join(' ') },
        }),
      );
      io.out(queued ? 'Queued: the agent gets it when its current turn ends.' : 'Sent.');
    });

  program
    .command('logs')
    .description("print a session's transcript")
    .argument('<id>', 'session id')
    .option('-f, --follow', 'keep printing events as they arrive (Ctrl-C to stop)')
    .option(
      '--until-idle',
      'follow (so -f is implied) until the session next stops running: exit 0 when it is idle, 1 naming its status otherwise',
    )
    .option('--json', 'one JSON event per line')
    .action(async (id: string, options: LogsOptions) => {
      const api = client();
      const print = (event: EventJson) => {
        // Lines of the agent Hangar does not read are for --json and the raw log only.
        if (options.json) io.out(JSON.stringify(event));
        else if (event.type !== 'agent.unknown') io.out(formatEvent(event));
      };
      if (options.untilIdle) {
        const stop = await followUntilStopped(api, id, print);
        if (stop.status !== 'idle') throw stoppedError(id, stop);
        return;
      }
      const last = await readEvents(api, id, print);
      if (options.follow) {
        await followEvents(api, id, last, (event) => {
          print(event);
          return undefined;
        });
      }
    });

  program
    .command('archive')
    .description('archive a session: hidden from lists, kept; its sandbox stops when idle')
    .argument('<id>', 'session id')
    .action(async (id: string) => {
      const api = client();
      const session = await api.data(
        api.http.POST('/api/v1/sessions/{id}/archive', { params: { path: { id } } }),
      );
      io.out(`Archived "${session.title}".`);
    });

  program
    .command('delete')
    .description('delete a session for good: sandbox, disk, transcript')
    .argument('<id>', 'session id')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, options: { yes?: boolean }) => {
      const api = client();
      const session = await api.data(
        api.http.GET('/api/v1/sessions/{id}', { params: { path: { id } } }),
      );
      if (!options.yes) {
        if (!process.stdin.isTTY) {
          throw new CliError(`Deleting "${session.title}" is permanent: add --yes to confirm.`);
        }
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(
          `Delete "${session.title}" (${session.id}) for good? [y/N] `,
        );
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) {
          io.out('Nothing deleted.');
          return;
        }
      }
      await api.data(api.http.DELETE('/api/v1/sessions/{id}', { params: { path: { id } } }));
      io.out(`Deleted "${session.title}".`);
    });
}

/** Reads a session's events so far, page by page; answers the last one's seq (0: none). */
async function readEvents(
  api: ApiClient,
  id: string,
  onEvent: (event: EventJson) => void,
): Promise<number> {
  let after = 0;
  for (;;) {
    const page = await api.data(
      api.http.GET('/api/v1/sessions/{id}/events', {
        params: { path: { id }, query: { after: String(after) } },
      }),
    );
    page.events.forEach(onEvent);
    const last = page.events.at(-1);
    if (!last) return after;
    after = last.seq;
  }
}

/**
 * Prints a session's events until it stops running (see StopTracker) and answers how it
 * stopped: at once when it already has, else when it next does.
 */
export async function followUntilStopped(
  api: ApiClient,
  id: string,
  onEvent: (event: EventJson) => void,
): Promise<Stop> {
  const tracker = new StopTracker();
  const last = await readEvents(api, id, (event) => {
    onEvent(event);
    tracker.see(event);
  });
  return (
    tracker.stopped ??
    followEvents(api, id, last, (event) => {
      onEvent(event);
      return tracker.see(event);
    })
  );
}

/** A stop other than idle, as the error a script sees: it names the status and the reason. */
export function stoppedError(id: string, stop: Stop): CliError {
  if (stop.status === 'hibernated') {
    return new CliError(
      `Session ${id} hibernated in the middle of a turn${stop.reason ? `: ${stop.reason}` : ' (the server stopped)'}.`,
      [`Send a message to continue it: hangar send ${id} TEXT`],
    );
  }
  return new CliError(`Session ${id} ${stop.status}: ${stop.reason ?? 'no reason recorded'}`);
}

/** How long a follow keeps reconnecting to a server it cannot reach before it gives up. */
export const RECONNECT_FOR_MS = 30_000;

/**
 * Follows a session's SSE stream after seq `after`, reconnecting from the last seen
 * event when the connection drops or a connect fails (a reset keep-alive connection, a
 * server restarting), as EventSource does, until `onEvent` answers something; answers
 * that. A server unreachable for `reconnectForMs` in a row is an error.
 */
export async function followEvents<T>(
  api: ApiClient,
  id: string,
  after: number,
  onEvent: (event: EventJson) => T | undefined,
  reconnectForMs = RECONNECT_FOR_MS,
): Promise<T> {
  let last = after;
  let unreachableSince: number | undefined;
  for (;;) {
    let body: ReadableStream<Uint8Array> | null;
    try {
      body = await api.data(
        api.http.GET('/api/v1/sessions/{id}/events', {
          params: { path: { id } },
          headers: { accept: 'text/event-stream', 'last-event-id': String(last) },
          parseAs: 'stream',
        }),
      );
    } catch (error) {
      if (!(error instanceof CliError && error.code === 'unreachable')) throw error;
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince >= reconnectForMs) throw error;
      await sleep(250);
      continue;
    }
    unreachableSince = undefined;
    if (!body) throw new CliError('The server sent no event stream.');
    const messages = parseSse(body);
    try {
      for (;;) {
        // A stream cut mid-way (its connection reset) is a drop: connect again from `last`.
        const next = await messages.next().catch(() => undefined);
        if (!next) await sleep(250);
        if (!next || next.done === true) break;
        const event = JSON.parse(next.value.data) as EventJson;
        last = event.seq;
        const answer = onEvent(event);
        if (answer !== undefined) return answer;
      }
    } finally {
      // Closes the connection: an open stream would keep the process from exiting.
      await messages.return(undefined).catch(() => undefined);
    }
  }
}

/** One line (or a few) a person reads in a terminal. */
export function formatEvent(event: EventJson): string {
  const d = (event.data ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  switch (event.type) {
    case 'session.status':
      return `· ${str(d.status)}${d.subStep ? ` (${str(d.subStep)})` : ''}${d.reason ? `: ${str(d.reason)}` : ''}`;
    case 'message.user':
      return `> ${str(d.text)}`;
    case 'message.assistant':
      return str(d.text);
    case 'tool.call':
      return `⏺ ${str(d.name)}(${summarizeInput(d.input)})`;
    case 'tool.result': {
      const lines = str(d.output).split('\n');
      const more = lines.length > 3 ? ` … (${lines.length} lines)` : '';
      return `  ⎿ ${d.isError ? 'error: ' : ''}${lines.slice(0, 3).join('\n    ')}${more}`;
    }
    case 'turn.result': {
      const cost = typeof d.costUsd === 'number' ? `, $${d.costUsd.toFixed(4)}` : '';
      const time =
        typeof d.durationMs === 'number' ? ` in ${(d.durationMs / 1000).toFixed(1)} s` : '';
      return d.interrupted
        ? '— turn interrupted'
        : `— turn ${d.isError ? 'failed' : 'done'}${time}${cost}`;
    }
    case 'setup.output':
      return str(d.text).replace(/\n$/, '');
    case 'hook.output': {
      const failed = d.isError
        ? ` failed${typeof d.exitCode === 'number' ? ` (exit ${d.exitCode})` : ''}`
        : '';
      return `· ${str(d.hook)} hook${failed}\n${str(d.text).replace(/\n$/, '')}`.trimEnd();
    }
    case 'context.compacted':
      return `— conversation compacted (${d.trigger === 'auto' ? 'context full' : str(d.trigger)})`;
    case 'network.blocked':
      return `! blocked ${str(d.host)}:${str(d.port)}: ${str(d.reason)}`;
    case 'github.access_failed':
      return `! GitHub refused the session's git: ${str(d.message)}`;
    case 'diff.updated':
      return `± +${str(d.additions)} −${str(d.deletions)} in ${str(d.files)} files`;
    default:
      return `[${event.type}]`;
  }
}

function summarizeInput(input: unknown): string {
  if (typeof input !== 'object' || input === null) return '';
  const record = input as Record<string, unknown>;
  const main =
    record.command ?? record.file_path ?? record.pattern ?? record.url ?? record.description;
  const text = typeof main === 'string' ? main : JSON.stringify(input);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

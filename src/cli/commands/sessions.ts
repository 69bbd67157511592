import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ApiClient } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import { parseSse } from '../../sse.js';

/** An event as the API sends it. */
export interface EventJson {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  createdAt: string;
}

interface SessionJson {
  id: string;
  title: string;
  status: string;
}

export function registerSessions(program: Command, io: Io): void {
  const client = () => new ApiClient(resolveCredentials(io.env));

  program
    .command('send')
    .description('send a follow-up to a session (queued if the agent is busy)')
    .argument('<id>', 'session id')
    .argument('<text...>', 'the message')
    .action(async (id: string, words: string[]) => {
      const { queued } = await client().post<{ queued: boolean }>(
        `/sessions/${encodeURIComponent(id)}/messages`,
        {
          text: words.join(' '),
        },
      );
      io.out(queued ? 'Queued: the agent gets it when its current turn ends.' : 'Sent.');
    });

  program
    .command('logs')
    .description("print a session's transcript")
    .argument('<id>', 'session id')
    .option('-f, --follow', 'keep printing events as they arrive (Ctrl-C to stop)')
    .option('--json', 'one JSON event per line')
    .action(async (id: string, options: { follow?: boolean; json?: boolean }) => {
      const api = client();
      const path = `/sessions/${encodeURIComponent(id)}/events`;
      const print = (event: EventJson) => {
        // Lines of the agent Hangar does not read are for --json and the raw log only.
        if (options.json) io.out(JSON.stringify(event));
        else if (event.type !== 'agent.unknown') io.out(formatEvent(event));
      };
      if (!options.follow) {
        let after = 0;
        for (;;) {
          const page = await api.get<{ events: EventJson[] }>(`${path}?after=${after}`);
          page.events.forEach(print);
          const last = page.events.at(-1);
          if (!last) break;
          after = last.seq;
        }
        return;
      }
      await followEvents(api, path, 0, (event) => {
        print(event);
        return false;
      });
    });

  program
    .command('archive')
    .description('archive a session: hidden from lists, kept; its sandbox stops when idle')
    .argument('<id>', 'session id')
    .action(async (id: string) => {
      const session = await client().post<SessionJson>(
        `/sessions/${encodeURIComponent(id)}/archive`,
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
      const session = await api.get<SessionJson>(`/sessions/${encodeURIComponent(id)}`);
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
      await api.delete(`/sessions/${encodeURIComponent(id)}`);
      io.out(`Deleted "${session.title}".`);
    });
}

/**
 * Follows a session's SSE stream from `after`, reconnecting from the last seen event
 * if the connection drops, until `onEvent` answers true.
 */
export async function followEvents(
  api: ApiClient,
  path: string,
  after: number,
  onEvent: (event: EventJson) => boolean,
): Promise<void> {
  let last = after;
  for (;;) {
    const response = await api.stream(path, last);
    const body = response.body;
    if (!body) throw new CliError('The server sent no event stream.');
    for await (const message of parseSse(body)) {
      const event = JSON.parse(message.data) as EventJson;
      last = event.seq;
      if (onEvent(event)) return;
    }
  }
}

/** One line (or a few) a person reads in a terminal. */
export function formatEvent(event: EventJson): string {
  const d = event.data;
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

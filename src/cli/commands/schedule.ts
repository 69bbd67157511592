import type { Command } from 'commander';
import { ApiClient, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { table, type Io } from '../io.js';
import { findEnvironment } from './env.js';

type Schedule = Schemas['Schedule'];
type Detail = Schemas['ScheduleDetail'];
type Run = Schemas['ScheduleRun'];
type Update = Schemas['UpdateSchedule'];

interface Flags {
  cron?: string;
  tz?: string;
  repo?: string;
  branch?: string;
  env?: string;
  agent?: string;
  model?: string;
  title?: string;
}

/** `hangar schedule …`: tasks started as new sessions on a cron. */
export function registerSchedule(program: Command, io: Io): void {
  const schedule = program
    .command('schedule')
    .description(
      'run a task as a new session on a cron: create, list, show, edit, pause, resume, run, rm',
    );
  const client = () => new ApiClient(resolveCredentials(io.env));

  schedule
    .command('create')
    .description('make a schedule; each run is a new session on the repo')
    .argument('<task...>', 'what the agent should do at each run')
    .requiredOption(
      '--cron <cron>',
      'five fields: minute hour day month weekday, e.g. "0 9 * * 1-5"',
    )
    .option('--tz <zone>', 'the time zone the cron is read in, e.g. Europe/Berlin (default UTC)')
    .requiredOption('--repo <url>', "the repository's git URL")
    .option('--branch <branch>', "the branch each run starts from (default: the remote's HEAD)")
    .option('--env <env>', 'environment name or id (default: your default, pinned now)')
    .option('--agent <agent>', 'the agent (default claude-code)')
    .option('--model <model>', 'the model the agent uses')
    .option('--title <title>', "the sessions' title (default: from the task)")
    .action(async (task: string[], flags: Flags) => {
      const api = client();
      const environmentId = flags.env ? (await findEnvironment(api, flags.env)).id : undefined;
      const made = await api.data(
        api.http.POST('/api/v1/schedules', {
          body: {
            prompt: task.join(' '),
            cron: flags.cron ?? '',
            repoUrl: flags.repo ?? '',
            ...(flags.tz === undefined ? {} : { timezone: flags.tz }),
            ...(flags.branch === undefined ? {} : { branch: flags.branch }),
            ...(environmentId === undefined ? {} : { environmentId }),
            ...(flags.agent === undefined ? {} : { agent: flags.agent as Update['agent'] }),
            ...(flags.model === undefined ? {} : { model: flags.model }),
            ...(flags.title === undefined ? {} : { title: flags.title }),
          },
        }),
      );
      io.out(
        `Created schedule ${made.id}: "${made.title}", next run ${made.nextRuns[0] ?? 'never'}.`,
      );
    });

  schedule
    .command('list')
    .description('list your schedules with their next run')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const api = client();
      const { schedules } = await api.data(api.http.GET('/api/v1/schedules'));
      if (options.json) {
        io.out(JSON.stringify(schedules, null, 2));
        return;
      }
      io.out(
        table(
          ['ID', 'TITLE', 'CRON', 'NEXT RUN', 'LAST RUN'],
          schedules.map((s) => [
            s.id,
            s.title,
            `${s.cron} (${s.timezone})`,
            s.paused ? 'paused' : (s.nextRuns[0] ?? 'never'),
            s.lastRun ? describeRun(s.lastRun) : '-',
          ]),
        ),
      );
    });

  schedule
    .command('show')
    .description('show a schedule, its next runs and its runs with their sessions')
    .argument('<id>', 'schedule id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const api = client();
      const found = await api.data(
        api.http.GET('/api/v1/schedules/{id}', { params: { path: { id } } }),
      );
      io.out(options.json ? JSON.stringify(found, null, 2) : describe(found));
    });

  schedule
    .command('edit')
    .description('change any field of a schedule (only the flags given)')
    .argument('<id>', 'schedule id')
    .option('--cron <cron>', 'five-field cron')
    .option('--tz <zone>', 'time zone')
    .option('--repo <url>', "the repository's git URL")
    .option('--branch <branch>', 'the branch each run starts from ("" for the remote\'s HEAD)')
    .option('--env <env>', 'environment name or id')
    .option('--agent <agent>', 'the agent')
    .option('--model <model>', 'the model ("" for the agent\'s default)')
    .option('--title <title>', "the sessions' title")
    .option('--task <task>', 'what the agent should do at each run')
    .action(async (id: string, flags: Flags & { task?: string }) => {
      const api = client();
      const body: Update = {};
      if (flags.cron !== undefined) body.cron = flags.cron;
      if (flags.tz !== undefined) body.timezone = flags.tz;
      if (flags.repo !== undefined) body.repoUrl = flags.repo;
      if (flags.branch !== undefined) body.branch = flags.branch === '' ? null : flags.branch;
      if (flags.env !== undefined) body.environmentId = (await findEnvironment(api, flags.env)).id;
      if (flags.agent !== undefined) body.agent = flags.agent as Update['agent'];
      if (flags.model !== undefined) body.model = flags.model === '' ? null : flags.model;
      if (flags.title !== undefined) body.title = flags.title;
      if (flags.task !== undefined) body.prompt = flags.task;
      const edited = await api.data(
        api.http.PATCH('/api/v1/schedules/{id}', { params: { path: { id } }, body }),
      );
      io.out(describe(edited));
    });

  for (const action of ['pause', 'resume'] as const) {
    schedule
      .command(action)
      .description(
        action === 'pause' ? 'stop starting runs' : 'start runs again, from the next time due',
      )
      .argument('<id>', 'schedule id')
      .action(async (id: string) => {
        const api = client();
        const path = `/api/v1/schedules/{id}/${action}` as const;
        const done = await api.data(api.http.POST(path, { params: { path: { id } } }));
        io.out(
          action === 'pause'
            ? `Paused schedule ${done.id}.`
            : `Resumed schedule ${done.id}: next run ${done.nextRuns[0] ?? 'never'}.`,
        );
      });
  }

  schedule
    .command('run')
    .description('start a run now, outside the cron')
    .argument('<id>', 'schedule id')
    .action(async (id: string) => {
      const api = client();
      const run = await api.data(
        api.http.POST('/api/v1/schedules/{id}/run', { params: { path: { id } } }),
      );
      io.out(`Started session ${run.sessionId ?? '?'}.`);
    });

  schedule
    .command('rm')
    .description('delete a schedule (the sessions it started are kept)')
    .argument('<id>', 'schedule id')
    .action(async (id: string) => {
      const api = client();
      await api.data(api.http.DELETE('/api/v1/schedules/{id}', { params: { path: { id } } }));
      io.out(`Deleted schedule ${id}.`);
    });
}

function describeRun(run: Run): string {
  const what =
    run.status === 'started'
      ? `${run.sessionId ?? ''} (${run.sessionStatus ?? 'deleted'})`
      : `${run.status}${run.reason ? `: ${run.reason}` : ''}`;
  return `${run.dueAt} ${what}`;
}

function describe(s: Schedule | Detail): string {
  const lines = [
    `${s.title}${s.paused ? ' (paused)' : ''}`,
    `  id:          ${s.id}`,
    `  cron:        ${s.cron} (${s.timezone})`,
    `  repo:        ${s.repoUrl}${s.branch ? ` @ ${s.branch}` : ''}`,
    `  environment: ${s.environmentId}`,
    `  agent:       ${s.agent}${s.model ? ` (${s.model})` : ''}`,
    `  task:        ${s.prompt}`,
    `  next runs:   ${s.nextRuns.length === 0 ? 'none' : s.nextRuns.join(', ')}`,
  ];
  if ('runs' in s) {
    lines.push(`  runs:        ${s.runs.length === 0 ? 'none yet' : ''}`);
    for (const run of s.runs)
      lines.push(`    ${run.trigger === 'manual' ? '(by hand) ' : ''}${describeRun(run)}`);
  }
  return lines.join('\n');
}

import { useState, type SyntheticEvent } from 'react';
import { api, ApiError, asApiError, unwrap, type AgentName } from '../api/client';
import type { components } from '../../api/schema';
import { Field, FormError } from '../components/Field';
import { useLoad } from '../hooks';
import { Link } from '../router';

type Schedule = components['schemas']['Schedule'];
type Run = components['schemas']['ScheduleRun'];

/** Fields the new-schedule form shows errors beside. */
const FIELDS = ['cron', 'timezone', 'repoUrl', 'branch', 'environmentId', 'agent', 'prompt'];

/** Schedules: tasks started as new sessions on a cron, each with its next runs. */
export function SchedulesPage() {
  const list = useLoad(() => unwrap(api.GET('/api/v1/schedules')), []);
  const [error, setError] = useState<ApiError | null>(null);

  const act = async (call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
    } catch (failure) {
      setError(asApiError(failure));
    }
    list.reload();
  };

  const schedules = list.data?.schedules ?? [];
  return (
    <section className="page schedules-page">
      <h1>Schedules</h1>
      <p className="muted">
        Each run starts a new session on the repository, in the environment and with the agent the
        schedule names. A run due while the previous one still runs is skipped.
      </p>
      <FormError error={error ?? list.error} placed={() => false} />
      {list.data && schedules.length === 0 && <p className="muted">No schedules yet.</p>}
      <ul className="schedule-list">
        {schedules.map((s) => (
          <li key={s.id} className="card schedule" aria-label={s.title}>
            <ScheduleCard schedule={s} act={act} />
          </li>
        ))}
      </ul>
      <NewScheduleForm onCreated={list.reload} />
    </section>
  );
}

function ScheduleCard({
  schedule: s,
  act,
}: {
  schedule: Schedule;
  act: (call: () => Promise<unknown>) => Promise<void>;
}) {
  const path = { params: { path: { id: s.id } } };
  return (
    <>
      <h2>
        {s.title} {s.paused && <span className="badge">paused</span>}
      </h2>
      <p className="schedule-when">
        <code>{s.cron}</code> ({s.timezone}) on <code>{s.repoUrl}</code>
        {s.branch && <> @ {s.branch}</>} · {s.agent}
      </p>
      <div className="next-runs">
        <h3>Next runs</h3>
        {s.nextRuns.length === 0 ? (
          <p className="muted">None while paused.</p>
        ) : (
          <ol>
            {s.nextRuns.map((at) => (
              <li key={at}>
                <time dateTime={at}>{new Date(at).toLocaleString()}</time>
              </li>
            ))}
          </ol>
        )}
      </div>
      {s.lastRun && (
        <p className="last-run">
          Last run: <RunText run={s.lastRun} />
        </p>
      )}
      <div className="form-actions">
        {s.paused ? (
          <button
            type="button"
            onClick={() => void act(() => unwrap(api.POST('/api/v1/schedules/{id}/resume', path)))}
          >
            Resume
          </button>
        ) : (
          <button
            type="button"
            onClick={() => void act(() => unwrap(api.POST('/api/v1/schedules/{id}/pause', path)))}
          >
            Pause
          </button>
        )}
        <button
          type="button"
          onClick={() => void act(() => unwrap(api.POST('/api/v1/schedules/{id}/run', path)))}
        >
          Run now
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => void act(() => unwrap(api.DELETE('/api/v1/schedules/{id}', path)))}
        >
          Delete
        </button>
      </div>
    </>
  );
}

function RunText({ run }: { run: NonNullable<Schedule['lastRun']> | Run }) {
  const when = <time dateTime={run.dueAt}>{new Date(run.dueAt).toLocaleString()}</time>;
  if (run.status === 'started' && run.sessionId) {
    return (
      <>
        {when}, <Link href={`/sessions/${run.sessionId}`}>session</Link> (
        {run.sessionStatus ?? 'deleted'})
      </>
    );
  }
  return (
    <>
      {when}, {run.status}
      {run.reason && <>: {run.reason}</>}
    </>
  );
}

function NewScheduleForm({ onCreated }: { onCreated: () => void }) {
  const envs = useLoad(() => unwrap(api.GET('/api/v1/environments')), []);
  const agents = useLoad(() => unwrap(api.GET('/api/v1/agents')), []);
  const [repoUrl, setRepoUrl] = useState('');
  const [branch, setBranch] = useState('');
  const [cron, setCron] = useState('0 9 * * 1-5');
  const [timezone, setTimezone] = useState(
    () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  );
  const [environmentId, setEnvironmentId] = useState('');
  const [agent, setAgent] = useState<AgentName | ''>('');
  const [prompt, setPrompt] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.POST('/api/v1/schedules', {
          body: {
            cron,
            timezone,
            repoUrl,
            prompt,
            ...(branch.trim() ? { branch: branch.trim() } : {}),
            ...(environmentId ? { environmentId } : {}),
            ...(agent ? { agent } : {}),
          },
        }),
      );
      setPrompt('');
      onCreated();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form" onSubmit={(e) => void submit(e)} noValidate>
      <h2>New schedule</h2>
      <FormError error={error} placed={(issue) => FIELDS.includes(issue.path)} />
      <Field id="schedule-repo" label="Repository" error={error} field="repoUrl">
        <input
          id="schedule-repo"
          value={repoUrl}
          placeholder="https://github.com/acme/app"
          onChange={(e) => setRepoUrl(e.target.value)}
        />
      </Field>
      <Field
        id="schedule-branch"
        label="Branch"
        hint="Empty: the default branch"
        error={error}
        field="branch"
      >
        <input id="schedule-branch" value={branch} onChange={(e) => setBranch(e.target.value)} />
      </Field>
      <Field
        id="schedule-cron"
        label="Cron"
        hint="minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5"
        error={error}
        field="cron"
      >
        <input id="schedule-cron" value={cron} onChange={(e) => setCron(e.target.value)} />
      </Field>
      <Field id="schedule-tz" label="Time zone" error={error} field="timezone">
        <input id="schedule-tz" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
      </Field>
      <Field id="schedule-env" label="Environment" error={error} field="environmentId">
        <select
          id="schedule-env"
          value={environmentId}
          onChange={(e) => setEnvironmentId(e.target.value)}
        >
          <option value="">Your default</option>
          {(envs.data?.environments ?? [])
            .filter((env) => !env.archived)
            .map((env) => (
              <option key={env.id} value={env.id}>
                {env.name}
              </option>
            ))}
        </select>
      </Field>
      <Field id="schedule-agent" label="Agent" error={error} field="agent">
        <select
          id="schedule-agent"
          value={agent}
          onChange={(e) => setAgent(e.target.value as AgentName | '')}
        >
          <option value="">Claude Code (default)</option>
          {(agents.data?.agents ?? [])
            .filter((a) => a.usable)
            .map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
        </select>
      </Field>
      <Field id="schedule-task" label="Task" error={error} field="prompt">
        <textarea
          id="schedule-task"
          rows={3}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
        />
      </Field>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create schedule'}
        </button>
      </div>
    </form>
  );
}

import { useState, type SyntheticEvent } from 'react';
import { api, ApiError, asApiError, unwrap, type AgentName } from '../api/client';
import { aboutAny, Field, FormError } from '../components/Field';
import { RepoPicker } from '../components/RepoPicker';
import { useLoad, useStoredState } from '../hooks';
import { Link, navigate } from '../router';

/** The server's default agent: chosen when the environment names none and the server can run it. */
const DEFAULT_AGENT: AgentName = 'claude-code';

const FIELDS = ['source.url', 'source.branch', 'environmentId', 'agent', 'model', 'prompt'];

const PROMPT_KEY = 'hangar.new.prompt';

/** GitHub's refusals that connecting (again) in Settings can fix. */
const RECONNECT = new Set([
  'github_token_invalid',
  'github_not_connected',
  'github_app_not_installed',
]);

/**
 * GitHub's refusal of a repo (missing, no push access, App not installed, token
 * revoked) is about the Repository field: shown under it, with the field kept.
 */
function placed(error: ApiError): ApiError {
  if (!error.code.startsWith('github_') || error.issues.length > 0) return error;
  return new ApiError(error.status, error.code, error.message, [
    { path: 'source.url', message: error.message },
  ]);
}

/** Start a task: a repository and branch, an environment, an agent, and the prompt. */
export function NewSessionPage() {
  const environments = useLoad(
    () => unwrap(api.GET('/api/v1/environments')).then((page) => page.environments),
    [],
  );
  const agents = useLoad(() => unwrap(api.GET('/api/v1/agents')).then((page) => page.agents), []);
  const github = useLoad(() => unwrap(api.GET('/api/v1/github')), []);
  const [repo, setRepo] = useStoredState('hangar.new.repo', '');
  const [branch, setBranch] = useStoredState('hangar.new.branch', '');
  // Kept across a visit to Settings (to connect GitHub), until the session starts.
  const [prompt, setPrompt] = useStoredState(PROMPT_KEY, '');
  const [model, setModel] = useState('');
  const [environmentId, setEnvironmentId] = useState<string | null>(null);
  const [agentName, setAgentName] = useState<AgentName | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const live = environments.data ?? [];
  // The list is fetched on every visit, so its default is the current one.
  const chosen = environmentId ?? live.find((e) => e.isDefault)?.id ?? live[0]?.id ?? '';

  // Only the agents whose model key the server has are offered. The environment's
  // default agent is preselected even when it cannot run here, so its reason is shown.
  const usable = (agents.data ?? []).filter((a) => a.usable);
  const envAgent = live.find((e) => e.id === chosen)?.defaultAgent as AgentName | null | undefined;
  const agent =
    agentName ??
    envAgent ??
    usable.find((a) => a.name === DEFAULT_AGENT)?.name ??
    usable[0]?.name ??
    DEFAULT_AGENT;
  const offered = usable.some((a) => a.name === agent) ? usable : [{ name: agent }, ...usable];
  // The server says at once when it cannot run the agent (e.g. it has no model key).
  const unusable = agents.data?.find((a) => a.name === agent && !a.usable);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await unwrap(
        api.POST('/api/v1/sessions', {
          body: {
            prompt,
            source: {
              type: 'git',
              url: repo.trim(),
              ...(branch.trim() ? { branch: branch.trim() } : {}),
            },
            agent,
            ...(chosen ? { environmentId: chosen } : {}),
            ...(model.trim() ? { model: model.trim() } : {}),
          },
        }),
      );
      setPrompt('');
      localStorage.removeItem(PROMPT_KEY);
      navigate(`/sessions/${created.id}`);
    } catch (failure) {
      setError(placed(asApiError(failure)));
      setBusy(false);
    }
  };

  return (
    <section className="page">
      <h1>New session</h1>
      <form className="card form" onSubmit={(e) => void submit(e)} noValidate>
        <FormError error={error} placed={aboutAny(error, FIELDS)} />
        <Field
          id="repo"
          label="Repository"
          field="source.url"
          error={error}
          hint={
            error && RECONNECT.has(error.code) ? (
              <>
                Connect GitHub in <Link href="/settings">Settings</Link>, then start the session
                again: what you typed here is kept.
              </>
            ) : github.data?.connected ? (
              'Type to search your GitHub repositories, or paste an HTTPS git URL.'
            ) : (
              <>
                An HTTPS git URL the server can clone.{' '}
                {github.data && (
                  <>
                    To search your GitHub repositories, <Link href="/settings">connect GitHub</Link>
                    .
                  </>
                )}
              </>
            )
          }
        >
          <RepoPicker
            id="repo"
            placeholder="https://github.com/acme/app.git"
            value={repo}
            onChange={setRepo}
            searchable={github.data?.connected === true}
          />
        </Field>
        <Field
          id="branch"
          label="Branch"
          field="source.branch"
          error={error}
          hint="Leave empty for the default branch."
        >
          <input
            id="branch"
            value={branch}
            placeholder="main"
            onChange={(e) => setBranch(e.target.value)}
          />
        </Field>
        <div className="field-row">
          <Field
            id="environment"
            label="Environment"
            field="environmentId"
            error={error}
            hint={<Link href="/environments">Manage environments</Link>}
          >
            <select
              id="environment"
              value={chosen}
              onChange={(e) => {
                setEnvironmentId(e.target.value);
                // The new environment's default agent applies again.
                setAgentName(null);
              }}
            >
              {live
                .filter((env) => !env.archived)
                .map((env) => (
                  <option key={env.id} value={env.id}>
                    {env.name}
                    {env.isDefault ? ' (default)' : ''}
                  </option>
                ))}
            </select>
          </Field>
          <Field
            id="agent"
            label="Agent"
            field="agent"
            error={error}
            hint={unusable ? 'Not available on this server.' : undefined}
          >
            <select
              id="agent"
              value={agent}
              onChange={(e) => setAgentName(e.target.value as AgentName)}
            >
              {offered.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name}
                  {a.name === envAgent ? ' (environment default)' : ''}
                </option>
              ))}
            </select>
          </Field>
          <Field id="model" label="Model" field="model" error={error} hint="Optional.">
            <input
              id="model"
              value={model}
              placeholder="default"
              onChange={(e) => setModel(e.target.value)}
            />
          </Field>
        </div>
        <Field id="prompt" label="Task" field="prompt" error={error}>
          <textarea
            id="prompt"
            rows={6}
            value={prompt}
            placeholder="Fix the flaky test in tests/test_api.py"
            onChange={(e) => setPrompt(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey))
                e.currentTarget.form?.requestSubmit();
            }}
          />
        </Field>
        {unusable && (
          <p className="notice warning" role="status" id="agent-unusable">
            {unusable.reason}
          </p>
        )}
        <button
          type="submit"
          className="primary"
          disabled={busy || unusable !== undefined}
          aria-describedby={unusable ? 'agent-unusable' : undefined}
        >
          {busy ? 'Starting…' : 'Start session'}
        </button>
      </form>
    </section>
  );
}

import { useState, type SyntheticEvent } from 'react';
import {
  api,
  ApiError,
  asApiError,
  unwrap,
  type AgentName,
  type ApiResult,
  type Environment,
  type Issue,
} from '../api/client';
import { aboutAny, Field, FormError } from '../components/Field';
import { LinedTextarea } from '../components/LinedTextarea';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';

const LEVELS = [
  { value: 'none', label: 'None', hint: 'No network access (the model API still works).' },
  {
    value: 'trusted',
    label: 'Trusted',
    hint: 'Package registries, git hosts and the like: the default list.',
  },
  {
    value: 'custom',
    label: 'Custom',
    hint: 'Your own allowlist, optionally with the default list.',
  },
  { value: 'full', label: 'Full', hint: 'Any public host.' },
] as const;

type Level = (typeof LEVELS)[number]['value'];

// Fields whose problems show beside them; the rest show at the top of the form.
const FIELDS = ['name', 'setupScript', 'image', 'defaultAgent'];

/** Environments: the list, and the editor for the one selected (or a new one). */
export function EnvironmentsPage({ selected }: { selected: string | null }) {
  const [showArchived, setShowArchived] = useState(false);
  const list = useLoad(
    () =>
      unwrap(api.GET('/api/v1/environments', { params: { query: { archived: 'true' } } })).then(
        (page) => page.environments,
      ),
    [],
  );
  const environments = (list.data ?? []).filter((env) => showArchived || !env.archived);
  const current = selected === 'new' ? null : (list.data ?? []).find((env) => env.id === selected);

  return (
    <section className="page environments-page">
      <h1>Environments</h1>
      <p className="muted">
        An environment sets a session&apos;s network access, its environment variables and the setup
        script run before the agent starts.
      </p>
      <div className="split">
        <div className="env-list">
          <Link href="/environments/new" className="button primary">
            Add environment
          </Link>
          <label className="toggle">
            <input
              type="checkbox"
              checked={showArchived}
              onChange={(e) => setShowArchived(e.target.checked)}
            />
            Show archived environments
          </label>
          {list.error && <p className="field-error">{list.error.message}</p>}
          <ul>
            {environments.map((env) => (
              <li key={env.id} className={env.id === selected ? 'current' : undefined}>
                <Link
                  href={`/environments/${env.id}`}
                  aria-current={env.id === selected ? 'page' : undefined}
                >
                  {env.name}
                </Link>{' '}
                <span className="muted">{env.networkLevel}</span>
                {env.isDefault && <span className="tag">default</span>}
                {env.archived && <span className="tag">archived</span>}
              </li>
            ))}
          </ul>
          <TrustedList />
        </div>
        <div className="env-editor">
          {selected === null ? (
            <p className="muted">Select an environment to edit it, or add one.</p>
          ) : selected !== 'new' && !current ? (
            list.loading ? (
              <p className="muted">Loading…</p>
            ) : (
              <p className="field-error">No environment with id {selected}.</p>
            )
          ) : (
            <EnvironmentForm
              key={current?.id ?? 'new'}
              environment={current ?? null}
              onSaved={list.reload}
            />
          )}
        </div>
      </div>
    </section>
  );
}

/** The allowlist as the API wants it: the non-empty lines, remembering where each was. */
function patternsOf(text: string): { patterns: string[]; lineOf: number[] } {
  const patterns: string[] = [];
  const lineOf: number[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const pattern = raw.trim();
    if (!pattern || pattern.startsWith('#')) continue;
    patterns.push(pattern);
    lineOf.push(i + 1);
  }
  return { patterns, lineOf };
}

function EnvironmentForm({
  environment,
  onSaved,
}: {
  environment: Environment | null;
  onSaved: () => void;
}) {
  const [name, setName] = useState(environment?.name ?? '');
  const [level, setLevel] = useState<Level>(environment?.networkLevel ?? 'trusted');
  const [allowlist, setAllowlist] = useState((environment?.allowlist ?? []).join('\n'));
  const [includeDefaults, setIncludeDefaults] = useState(environment?.includeDefaults ?? false);
  const [envVars, setEnvVars] = useState(environment?.envVars ?? '');
  const [setupScript, setSetupScript] = useState(environment?.setupScript ?? '');
  const [image, setImage] = useState(environment?.image ?? '');
  const images = useLoad(
    () =>
      unwrap(api.GET('/api/v1/images')).then((page) =>
        page.images.filter((i) => i.state === 'ready').map((i) => i.name),
      ),
    [],
  );
  // '' is the server's default agent (null in the API).
  const [defaultAgent, setDefaultAgent] = useState(environment?.defaultAgent ?? '');
  const agents = useLoad(() => unwrap(api.GET('/api/v1/agents')).then((page) => page.agents), []);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { patterns, lineOf } = patternsOf(allowlist);

  const allowlistProblems = new Map<number, string>();
  for (const issue of error?.about('allowlist') ?? []) {
    const index = /^allowlist\[(\d+)\]/.exec(issue.path)?.[1];
    const line = index === undefined ? undefined : lineOf[Number(index)];
    if (line !== undefined) allowlistProblems.set(line, issue.message);
  }
  const envVarProblems = new Map<number, string>();
  for (const issue of error?.about('envVars') ?? []) {
    const line = issue.line ?? Number(/^line (\d+)/.exec(issue.message)?.[1] ?? NaN);
    if (Number.isInteger(line)) envVarProblems.set(line, issue.message.replace(/^line \d+: /, ''));
  }
  // Line problems show in their box; other field problems beside their field.
  const placed = (issue: Issue) =>
    (level === 'custom' && /^allowlist\[\d+\]/.test(issue.path)) ||
    (issue.path === 'envVars' && envVarProblems.size > 0) ||
    aboutAny(error, FIELDS)(issue);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    const body = {
      name,
      networkLevel: level,
      allowlist: patterns,
      includeDefaults,
      envVars,
      setupScript,
      image: image === '' ? null : image,
      defaultAgent: defaultAgent === '' ? null : (defaultAgent as AgentName),
    };
    try {
      if (environment) {
        await unwrap(
          api.PATCH('/api/v1/environments/{id}', {
            params: { path: { id: environment.id } },
            body,
          }),
        );
        setNotice('Saved.');
      } else {
        const created = await unwrap(api.POST('/api/v1/environments', { body }));
        navigate(`/environments/${created.id}`, { replace: true });
      }
      onSaved();
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  const act = async (call: Promise<ApiResult<unknown>>, done: string) => {
    setError(null);
    try {
      await unwrap(call);
      setNotice(done);
      onSaved();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };

  return (
    <form
      className="card form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label="Environment"
    >
      <h2>{environment ? `Edit ${environment.name}` : 'Add environment'}</h2>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <FormError error={error} placed={placed} />
      <Field id="env-name" label="Name" field="name" error={error}>
        <input id="env-name" value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <fieldset className="field">
        <legend>Network access</legend>
        {LEVELS.map((option) => (
          <label key={option.value} className="radio">
            <input
              type="radio"
              name="networkLevel"
              value={option.value}
              checked={level === option.value}
              onChange={() => setLevel(option.value)}
            />
            <strong>{option.label}</strong> <span className="muted">{option.hint}</span>
          </label>
        ))}
      </fieldset>
      {level === 'custom' && (
        <Field
          id="allowlist"
          label="Allowed domains"
          field="allowlist-box"
          error={error}
          hint="One per line: host, *.host for its subdomains, optionally :port."
        >
          <LinedTextarea
            id="allowlist"
            value={allowlist}
            problems={allowlistProblems}
            placeholder={'api.example.com\n*.example.org\nregistry.example.net:8443'}
            onChange={(e) => setAllowlist(e.target.value)}
          />
          <label className="checkbox">
            <input
              type="checkbox"
              checked={includeDefaults}
              onChange={(e) => setIncludeDefaults(e.target.checked)}
            />
            Also include the default list of trusted domains
          </label>
        </Field>
      )}
      <Field
        id="env-vars"
        label="Environment variables"
        field="env-vars-box"
        error={error}
        hint=".env format, one KEY=value per line. Quotes are kept as part of the value."
      >
        <LinedTextarea
          id="env-vars"
          value={envVars}
          problems={envVarProblems}
          placeholder={'NODE_ENV=development\nLOG_LEVEL=debug'}
          onChange={(e) => setEnvVars(e.target.value)}
        />
      </Field>
      <Field
        id="env-image"
        label="Image"
        field="image"
        error={error}
        hint="The root filesystem sessions run on: its toolchains, and nothing of this server's."
      >
        <select id="env-image" value={image} onChange={(e) => setImage(e.target.value)}>
          <option value="">Default (universal once built)</option>
          {[...new Set([...(images.data ?? []), ...(image ? [image] : [])])].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        {environment?.imageWarning && (
          <p className="notice warning" role="alert">
            {environment.imageWarning}
          </p>
        )}
      </Field>
      <Field
        id="setup-script"
        label="Setup script"
        field="setupScript"
        error={error}
        hint="Bash, run as root in the sandbox before the agent starts."
      >
        <textarea
          id="setup-script"
          className="code"
          rows={Math.max(4, setupScript.split('\n').length + 1)}
          spellCheck={false}
          value={setupScript}
          placeholder={'#!/bin/bash\napt-get install -y jq'}
          onChange={(e) => setSetupScript(e.target.value)}
        />
      </Field>
      <Field
        id="default-agent"
        label="Default agent"
        field="defaultAgent"
        error={error}
        hint="The agent of a session started here that names none."
      >
        <select
          id="default-agent"
          value={defaultAgent}
          onChange={(e) => setDefaultAgent(e.target.value)}
        >
          <option value="">The server&apos;s default</option>
          {(agents.data ?? []).map((a) => (
            <option key={a.name} value={a.name}>
              {a.name}
              {a.usable ? '' : ' (no model key on this server)'}
            </option>
          ))}
        </select>
      </Field>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : environment ? 'Save' : 'Create environment'}
        </button>
        {environment && !environment.archived && !environment.isDefault && (
          <button
            type="button"
            onClick={() =>
              void act(
                api.POST('/api/v1/environments/{id}/default', {
                  params: { path: { id: environment.id } },
                }),
                'This is now your default environment.',
              )
            }
          >
            Set as default
          </button>
        )}
        {environment && !environment.archived && (
          <button
            type="button"
            onClick={() =>
              void act(
                api.POST('/api/v1/environments/{id}/archive', {
                  params: { path: { id: environment.id } },
                }),
                'Archived: hidden from the selector; sessions using it keep running.',
              )
            }
          >
            Archive
          </button>
        )}
      </div>
    </form>
  );
}

/** The default trusted domains, as the server ships them. */
function TrustedList() {
  const [open, setOpen] = useState(false);
  const trusted = useLoad(
    () => (open ? unwrap(api.GET('/api/v1/network/trusted-domains')) : Promise.resolve(null)),
    [open],
  );
  const count = trusted.data?.groups.reduce((n, g) => n + g.patterns.length, 0);
  return (
    <details className="trusted" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>The default trusted list{count !== undefined ? ` (${count} domains)` : ''}</summary>
      {trusted.error && <p className="field-error">{trusted.error.message}</p>}
      <div className="trusted-groups">
        {trusted.data?.groups.map((group) => (
          <section key={group.name}>
            <h3>{group.name}</h3>
            <ul className="patterns">
              {group.patterns.map((p) => (
                <li key={p}>
                  <code>{p}</code>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </details>
  );
}

import { useState, type SyntheticEvent } from 'react';
import { api, ApiError, asApiError, unwrap, type GitHubStatus } from '../api/client';
import { Field, FormError } from '../components/Field';
import { useLoad } from '../hooks';

/** Settings: for now, how the server reaches GitHub for you. */
export function SettingsPage() {
  return (
    <section className="page">
      <h1>Settings</h1>
      <GitHubCard />
    </section>
  );
}

/**
 * GitHub: connected as whom and how (the server's App or your token), a field to paste
 * a token when the server allows it, and Disconnect for a token.
 */
function GitHubCard() {
  const loaded = useLoad(() => unwrap(api.GET('/api/v1/github')), []);
  // What the last connect or disconnect answered: newer than what was loaded.
  const [answered, setAnswered] = useState<GitHubStatus | null>(null);
  const status = answered ?? loaded.data;
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const change = async (call: () => Promise<GitHubStatus>) => {
    setBusy(true);
    setError(null);
    try {
      setAnswered(await call());
      setToken('');
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  const connect = (event: SyntheticEvent) => {
    event.preventDefault();
    void change(() => unwrap(api.POST('/api/v1/github/token', { body: { token: token.trim() } })));
  };

  return (
    <div className="card form github-card" aria-labelledby="github-heading" role="region">
      <h2 id="github-heading">GitHub</h2>
      {loaded.error && !status && <FormError error={loaded.error} placed={() => false} />}
      {!status && !loaded.error && <p className="muted">Loading…</p>}
      {status && (
        <p className="github-status" role="status">
          {status.via === 'token' && (
            <>
              Connected as <strong>{status.login}</strong> with your token.
            </>
          )}
          {status.via === 'app' && <>Connected through this server&apos;s GitHub App.</>}
          {!status.connected &&
            'Not connected: sessions can only use repositories anyone can clone.'}
        </p>
      )}
      {status?.via === 'token' && (
        <div className="form-actions">
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => void change(() => unwrap(api.DELETE('/api/v1/github/token')))}
          >
            {busy ? 'Disconnecting…' : 'Disconnect'}
          </button>
        </div>
      )}
      {status && !status.connected && !status.tokenLogin && (
        <p className="muted">
          This server reaches GitHub only through its GitHub App: ask its admin to install the App
          on your repositories.
        </p>
      )}
      {status && status.via !== 'token' && status.tokenLogin && (
        <form className="form" onSubmit={connect} noValidate>
          <FormError error={error} placed={(issue) => issue.path === 'token'} />
          <Field
            id="github-token"
            label="GitHub token"
            field="token"
            error={error}
            hint={
              <>
                A token that can read and push your repositories: <code>gh auth token</code> prints
                yours. It is checked with GitHub, stored encrypted, and never shown again.
              </>
            }
          >
            <input
              id="github-token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          </Field>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
              {busy ? 'Connecting…' : 'Connect GitHub'}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { api, auth, unwrap } from '../api/client';

/** Only paths inside this app, so a crafted link cannot send a person elsewhere. */
function safeNext(next: string | null): string {
  return next && /^\/(?!\/)[\w\-/.]*$/.test(next) && next !== '/login' ? next : '/';
}

/**
 * Sign-in with an API token, or through the one-time link `hangar open` makes: the
 * code is in the URL's fragment (never sent to the server in a request line) and is
 * exchanged once for a token of this browser's own.
 */
export function LoginPage({ onSignedIn }: { onSignedIn: (next: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const redeemed = useRef(false);

  useEffect(() => {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const code = fragment.get('code');
    if (!code || redeemed.current) return;
    redeemed.current = true;
    const next = safeNext(fragment.get('next'));
    window.history.replaceState(null, '', '/login');
    setBusy(true);
    unwrap(api.POST('/api/v1/login-links/redeem', { body: { code } })).then(
      (answer) => {
        auth.signIn(answer.token, { owned: true });
        onSignedIn(next);
      },
      (failure: unknown) => {
        setBusy(false);
        setError((failure as Error).message);
      },
    );
  }, [onSignedIn]);

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError('Paste a token: `hangar token create` makes one.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.GET('/api/v1/me', { headers: { authorization: `Bearer ${value}` } }));
      // A pasted token may be one the CLI uses too: signing out only forgets it.
      auth.signIn(value, { owned: false });
      // Signed out on a page (a token revoked elsewhere): back to that page.
      const here = window.location.pathname;
      onSignedIn(here === '/login' ? '/' : safeNext(here));
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="card login-card" onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <h1>Sign in to Hangar</h1>
        <p className="muted">
          Run <code>hangar open</code> in a terminal to open this page already signed in, or paste
          an API token.
        </p>
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? 'token-error' : undefined}
          autoFocus
        />
        {error && (
          <p id="token-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

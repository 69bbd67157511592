import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { api, auth, unwrap, type Me } from './api/client';
import { Icon } from './components/Icon';
import { Sidebar } from './components/Sidebar';
import { SessionsProvider } from './sessions';
import { match, navigate, usePath } from './router';
import { EnvironmentsPage } from './pages/EnvironmentsPage';
import { LoginPage } from './pages/LoginPage';
import { NewSessionPage } from './pages/NewSessionPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { SessionPage } from './pages/SessionPage';
import { SettingsPage } from './pages/SettingsPage';

// The diff view brings a syntax highlighter: loaded when a diff is first opened.
const DiffPage = lazy(() => import('./pages/DiffPage').then((m) => ({ default: m.DiffPage })));

/** The whole app: sign-in, then the sidebar beside whichever page the path names. */
export function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null>(null);
  const [token, setToken] = useState(auth.token);
  // The phone-width menu stays open only on the page it was opened on.
  const [menuOpenOn, setMenuOpenOn] = useState<string | null>(null);
  const menuOpen = menuOpenOn === path;
  const main = useRef<HTMLElement>(null);
  const shownPath = useRef(path);

  // After moving to another page, keyboard and screen-reader focus starts on it.
  useEffect(() => {
    if (shownPath.current === path) return;
    shownPath.current = path;
    main.current?.focus({ preventScroll: true });
  }, [path]);

  useEffect(() => {
    const onSignedOut = () => {
      setToken(null);
      setMe(null);
    };
    window.addEventListener('hangar:signed-out', onSignedOut);
    return () => window.removeEventListener('hangar:signed-out', onSignedOut);
  }, []);

  useEffect(() => {
    if (!token) return;
    unwrap(api.GET('/api/v1/me')).then(setMe, () => undefined);
  }, [token]);

  if (!token || path === '/login') {
    return (
      <LoginPage
        onSignedIn={(next) => {
          setToken(auth.token);
          navigate(next, { replace: true });
        }}
      />
    );
  }

  return (
    <SessionsProvider>
      <div className={`layout${menuOpen ? ' menu-open' : ''}`}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <button
            type="button"
            className="menu-button"
            aria-label={menuOpen ? 'Close the menu' : 'Open the menu'}
            aria-expanded={menuOpen}
            aria-controls="sidebar"
            onClick={() => setMenuOpenOn(menuOpen ? null : path)}
          >
            <Icon name="menu" />
          </button>
          <span className="brand">Hangar</span>
          <span className="spacer" />
          {me && <span className="who">{me.name}</span>}
          <button type="button" className="link-button" onClick={() => void signOut(me)}>
            Sign out
          </button>
        </header>
        <Sidebar path={path} />
        <main id="main" tabIndex={-1} ref={main}>
          <Page path={path} />
        </main>
      </div>
    </SessionsProvider>
  );
}

/** Forgets the token; one this browser was given by a sign-in link is revoked too. */
async function signOut(me: Me | null): Promise<void> {
  if (auth.ownsToken) {
    // Best effort: if the server is unreachable, the token still expires in 30 days.
    // Signed out before the page knew who it is: ask, so the token is revoked all the same.
    const tokenId =
      me?.tokenId ??
      (await api
        .GET('/api/v1/me')
        .then((answer) => answer.data?.tokenId)
        .catch(() => undefined));
    if (tokenId) {
      await api
        .DELETE('/api/v1/tokens/{id}', { params: { path: { id: tokenId } } })
        .catch(() => undefined);
    }
  }
  auth.signOut();
}

function Page({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if ((params = match('/sessions/:id/diff', path))) {
    return (
      <Suspense fallback={<section className="page muted">Loading…</section>}>
        <DiffPage key={params.id} id={params.id ?? ''} />
      </Suspense>
    );
  }
  if ((params = match('/sessions/:id', path))) {
    return <SessionPage key={params.id} id={params.id ?? ''} />;
  }
  if ((params = match('/environments/:id', path))) {
    return <EnvironmentsPage key={params.id} selected={params.id ?? null} />;
  }
  if (match('/environments', path)) return <EnvironmentsPage selected={null} />;
  if (match('/schedules', path)) return <SchedulesPage />;
  if (match('/settings', path)) return <SettingsPage />;
  if (path === '/' || path === '') return <NewSessionPage />;
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <a href="/">Start a new session</a>.
      </p>
    </section>
  );
}

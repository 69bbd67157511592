import { useEffect, useState, type KeyboardEvent } from 'react';
import { api, unwrap, type GitHubRepo } from '../api/client';

/** How long typing must pause before the picker asks the server. */
const DEBOUNCE_MS = 250;

/** A pasted URL (or `git@` address) is taken as it is, not searched for. */
function looksLikeUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.startsWith('git@');
}

/**
 * The repository field: a text input that, when GitHub is connected, searches the
 * repos you can start a session on as you type and offers them in a list; picking one
 * fills the field with its `owner/repo`. A pasted git URL is kept as typed.
 */
export function RepoPicker({
  id,
  value,
  onChange,
  searchable,
  placeholder,
  ...aria
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  /** Whether GitHub is connected, so there is something to search. */
  searchable: boolean;
  placeholder?: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [found, setFound] = useState<{ query: string; repos: GitHubRepo[] } | null>(null);
  const query = value.trim();
  const searching = searchable && open && query !== '' && !looksLikeUrl(query);

  useEffect(() => {
    if (!searching) return;
    let live = true;
    const timer = setTimeout(() => {
      unwrap(api.GET('/api/v1/github/repos', { params: { query: { q: query } } })).then(
        (page) => {
          if (live) setFound({ query, repos: page.repos });
        },
        // A failed search leaves the field as a plain text input: the form still works.
        () => {
          if (live) setFound({ query, repos: [] });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [searching, query]);

  // While the next search runs, the last one's repos stay, so the list does not flicker.
  const repos = searching ? (found?.repos ?? []) : [];
  // Nothing to offer when the one match is what is already typed.
  const shown = repos.length === 1 && repos[0]?.fullName === query ? [] : repos;
  const listId = `${id}-options`;

  const pick = (repo: GitHubRepo) => {
    onChange(repo.fullName);
    setOpen(false);
    setActive(-1);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (shown.length === 0) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (i + step + shown.length) % shown.length);
    } else if (event.key === 'Enter' && shown[active]) {
      event.preventDefault();
      pick(shown[active]);
    } else if (event.key === 'Escape') {
      setOpen(false);
    }
  };

  return (
    <div className="picker">
      <input
        id={id}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown.length > 0}
        aria-controls={listId}
        aria-activedescendant={shown[active] ? `${listId}-${active}` : undefined}
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder}
        value={value}
        onChange={(e) => {
          onChange(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={onKeyDown}
        // A click on an option lands before the blur closes the list.
        onBlur={() => setOpen(false)}
        {...aria}
      />
      {shown.length > 0 && (
        <ul className="picker-options" id={listId} role="listbox" aria-label="GitHub repositories">
          {shown.map((repo, i) => (
            <li
              key={repo.fullName}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(repo);
              }}
            >
              <span className="picker-name">{repo.fullName}</span>
              {repo.private && <span className="tag">Private</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

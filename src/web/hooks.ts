import { useCallback, useEffect, useState } from 'react';
import { asApiError, type ApiError } from './api/client';

/**
 * Loads data with `load`, again when `deps` change or `reload()` is called. While a
 * reload runs, the last data stays on screen.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify([...deps, generation]);
  const [state, setState] = useState<{ key?: string; data?: T; error?: ApiError }>({});
  useEffect(() => {
    let live = true;
    load().then(
      (data) => {
        if (live) setState({ key, data });
      },
      (error: unknown) => {
        if (live) setState({ key, error: asApiError(error) });
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the caller's deps
  }, [key]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return {
    data: state.data,
    error: state.key === key ? state.error : undefined,
    loading: state.key !== key,
    reload,
  };
}

/** Follows the `prefers-color-scheme` media query. */
export function useDarkMode(): boolean {
  const query = '(prefers-color-scheme: dark)';
  const [dark, setDark] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setDark(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return dark;
}

/** A value kept in localStorage under `key`, so a draft survives a reload. */
export function useStoredState<T>(key: string, initial: T) {
  const [value, setValue] = useState<T>(() => {
    try {
      const stored = localStorage.getItem(key);
      return stored === null ? initial : (JSON.parse(stored) as T);
    } catch {
      return initial;
    }
  });
  useEffect(() => {
    localStorage.setItem(key, JSON.stringify(value));
  }, [key, value]);
  return [value, setValue] as const;
}

/** "3 minutes ago" for an ISO date. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(iso).toLocaleDateString();
}

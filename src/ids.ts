import { ulid } from 'ulid';

/** Ids are a kind prefix and a ULID (time-ordered), e.g. `env_01J9…`. */
export type IdKind = 'usr' | 'tok' | 'env' | 'ses' | 'bun' | 'lnk';

export function newId(kind: IdKind): string {
  return `${kind}_${ulid().toLowerCase()}`;
}

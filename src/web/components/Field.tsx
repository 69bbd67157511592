import { cloneElement, isValidElement, type ReactElement, type ReactNode } from 'react';
import type { ApiError, Issue } from '../api/client';

/** A labelled form field with the API's complaints about it right under it. */
export function Field({
  id,
  label,
  hint,
  error,
  field,
  children,
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  error: ApiError | null;
  /** The API's name for the field, e.g. `source.url`. */
  field: string;
  children: ReactNode;
}) {
  const issues = error?.about(field) ?? [];
  const describedBy = [hint ? `${id}-hint` : '', issues.length > 0 ? `${id}-errors` : '']
    .filter(Boolean)
    .join(' ');
  // A single control is tied to its hint and its errors, for screen readers.
  const control = isValidElement(children)
    ? cloneElement(children as ReactElement<Record<string, unknown>>, {
        'aria-describedby': describedBy || undefined,
        'aria-invalid': issues.length > 0 || undefined,
      })
    : children;
  return (
    <div className={`field${issues.length > 0 ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {control}
      {issues.length > 0 && (
        <div id={`${id}-errors`} role="alert">
          {issues.map((issue) => (
            <p key={`${issue.path}-${issue.message}`} className="field-error">
              {issue.message}
            </p>
          ))}
        </div>
      )}
    </div>
  );
}

/**
 * What no field shows: an error without issues (a conflict, a lost connection), or the
 * issues that `placed` does not claim, at the top of the form.
 */
export function FormError({
  error,
  placed,
}: {
  error: ApiError | null | undefined;
  placed: (issue: Issue) => boolean;
}) {
  if (!error) return null;
  const unplaced = error.issues.filter((issue) => !placed(issue));
  if (error.issues.length > 0 && unplaced.length === 0) return null;
  return (
    <div className="field-error form-error" role="alert">
      {unplaced.length === 0
        ? error.message
        : unplaced.map((issue) => (
            <p key={`${issue.path}-${issue.message}`}>
              {issue.path}: {issue.message}
            </p>
          ))}
    </div>
  );
}

/** Claims the issues about any of `fields` (and their items). */
export function aboutAny(error: ApiError | null, fields: string[]): (issue: Issue) => boolean {
  return (issue) => fields.some((field) => error?.about(field).includes(issue));
}

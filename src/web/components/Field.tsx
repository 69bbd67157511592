import type { ReactNode } from 'react';
import type { ApiError } from '../api/client';

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
  return (
    <div className={`field${issues.length > 0 ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children}
      {issues.map((issue) => (
        <p
          key={`${issue.path}-${issue.message}`}
          className="field-error"
          id={`${id}-error`}
          role="alert"
        >
          {issue.line !== undefined && !issue.message.startsWith('line')
            ? `Line ${issue.line}: `
            : ''}
          {issue.message}
        </p>
      ))}
    </div>
  );
}

/** The part of an error no field claims, shown at the top of the form. */
export function FormError({ error, fields }: { error: ApiError | null; fields: string[] }) {
  if (!error) return null;
  const claimed = fields.some((field) => error.about(field).length > 0);
  if (
    claimed &&
    error.issues.every((issue) => fields.some((f) => error.about(f).includes(issue)))
  ) {
    return null;
  }
  return (
    <p className="field-error form-error" role="alert">
      {error.message}
    </p>
  );
}

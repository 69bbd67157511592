import type { TextareaHTMLAttributes } from 'react';

/**
 * A textarea with line numbers beside it; a line with a problem is marked in the
 * gutter and its message is listed under the box, so each bad line is easy to find.
 */
export function LinedTextarea({
  value,
  problems,
  ...rest
}: TextareaHTMLAttributes<HTMLTextAreaElement> & {
  value: string;
  /** 1-based line → what is wrong with it. */
  problems: Map<number, string>;
}) {
  const lines = value.split('\n');
  return (
    <>
      <div className="lined">
        <div className="gutter" aria-hidden="true">
          {lines.map((_, i) => (
            <span key={i} className={problems.has(i + 1) ? 'bad' : undefined}>
              {problems.has(i + 1) ? '!' : ''}
              {i + 1}
            </span>
          ))}
        </div>
        <textarea
          {...rest}
          value={value}
          rows={Math.max(4, lines.length + 1)}
          spellCheck={false}
          wrap="off"
          aria-invalid={problems.size > 0}
        />
      </div>
      {problems.size > 0 && (
        <ul className="line-problems" role="alert">
          {[...problems].map(([line, message]) => (
            <li key={line} className="field-error" data-line={line}>
              Line {line}: {message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

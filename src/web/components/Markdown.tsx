import ReactMarkdown from 'react-markdown';
import remarkGfm from 'remark-gfm';

/**
 * The agent's text as GitHub-flavoured Markdown. Raw HTML in it is shown as text, never
 * rendered, and links open in a new tab without access to this page.
 */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        components={{
          a: ({ href, children }) => (
            <a href={href} target="_blank" rel="noopener noreferrer">
              {children}
            </a>
          ),
        }}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}

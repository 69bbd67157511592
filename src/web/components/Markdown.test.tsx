import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './Markdown';

describe('Markdown', () => {
  it('renders the agent text as Markdown, with GitHub tables', () => {
    const html = renderToStaticMarkup(<Markdown text={'**bold**\n\n| a |\n| - |\n| 1 |'} />);
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<td>1</td>');
  });

  it('never renders HTML or a script link from the agent', () => {
    const html = renderToStaticMarkup(
      <Markdown
        text={
          '<img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n[click](javascript:alert(3))'
        }
      />,
    );
    expect(html).not.toMatch(/<img|<script|javascript:/i);
    expect(html).toContain('&lt;script&gt;');
  });

  it('opens links in a new tab without access to the page', () => {
    const html = renderToStaticMarkup(<Markdown text="[docs](https://example.com/x)" />);
    expect(html).toContain(
      '<a href="https://example.com/x" target="_blank" rel="noopener noreferrer">docs</a>',
    );
  });
});

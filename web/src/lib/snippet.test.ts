import { describe, expect, it } from 'vitest';
import { snippetParts } from './snippet';

describe('search snippets', () => {
  it('splits marked matches from plain text', () => {
    expect(snippetParts('монтировочная <b>опись</b> сцены')).toEqual([
      { text: 'монтировочная ', match: false },
      { text: 'опись', match: true },
      { text: ' сцены', match: false },
    ]);
  });

  it('unescapes entities into text, so markup in a document stays text', () => {
    const parts = snippetParts('&lt;script&gt;alert(1)&lt;/script&gt; <b>x&amp;y</b>');
    expect(parts[0]).toEqual({ text: '<script>alert(1)</script> ', match: false });
    expect(parts[1]).toEqual({ text: 'x&y', match: true });
  });
});

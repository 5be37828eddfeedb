// Search snippets arrive as HTML-escaped text with the matched words in <b>…</b>
// (documents::domain::marked_snippet). They are split into text parts here and rendered as text
// nodes: nothing from a document can become markup, even if the server's escaping were wrong.

export interface SnippetPart { text: string; match: boolean }

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

function unescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m);
}

export function snippetParts(marked: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const re = /<b>(.*?)<\/b>/gs;
  let last = 0;
  for (const m of marked.matchAll(re)) {
    if (m.index > last) parts.push({ text: unescape(marked.slice(last, m.index)), match: false });
    parts.push({ text: unescape(m[1]), match: true });
    last = m.index + m[0].length;
  }
  if (last < marked.length) parts.push({ text: unescape(marked.slice(last)), match: false });
  return parts;
}

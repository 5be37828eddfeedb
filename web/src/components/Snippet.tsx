import { snippetParts } from '../lib/snippet';

/** A search snippet with its matches highlighted, rendered as text nodes only. */
export function Snippet({ marked }: { marked: string }) {
  return (
    <span className="text-sm text-stone-600">
      {snippetParts(marked).map((p, i) => (p.match ? <mark key={i} className="bg-amber-200">{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </span>
  );
}

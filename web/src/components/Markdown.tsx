import ReactMarkdown from "react-markdown";

/**
 * Renders a note's Markdown safely: raw HTML in the source is shown as text, never parsed,
 * and link URLs with scripting schemes are dropped (react-markdown's defaults, kept on purpose).
 * `[[Title]]` becomes a link to the linked note when `links` knows it.
 */
export function Markdown({ text, links }: { text: string; links?: Map<string, number> }) {
  const withLinks = text.replace(/\[\[([^\]|\n]+)(?:\|([^\]\n]+))?\]\]/g, (_, label: string, shown?: string) => {
    const id = links?.get(label.trim().toLowerCase());
    const name = (shown ?? label).trim();
    return id ? `[${name}](/notes/${id})` : `*${name}*`;
  });
  return (
    <div className="markdown">
      <ReactMarkdown>{withLinks}</ReactMarkdown>
    </div>
  );
}

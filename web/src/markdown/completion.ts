// The text side of `[[` completion in the note editor: which link is being typed at the caret,
// and the text once a note is chosen.

/** An unfinished `[[` before the caret: where it starts and what was typed after it. */
export type OpenWikilink = { start: number; query: string };

/** The `[[` being typed at `caret`, if any: on the caret's line, not yet closed, no `|` (the
 * shown text after it needs no completion), and short enough to still be a title. */
export function openWikilink(text: string, caret: number): OpenWikilink | null {
  const lineStart = text.lastIndexOf("\n", caret - 1) + 1;
  const line = text.slice(lineStart, caret);
  const open = line.lastIndexOf("[[");
  if (open < 0) return null;
  const query = line.slice(open + 2);
  if (/[[\]|]/.test(query) || query.length > 200) return null;
  return { start: lineStart + open, query };
}

/** `text` with the link being typed replaced by `[[title]]`, and the caret just after it. A
 * rest of the same link after the caret (editing inside `[[Poo|l]]`) is replaced too. */
export function applyCompletion(text: string, open: OpenWikilink, caret: number, title: string): { text: string; caret: number } {
  const rest = /^[^[\]\n]*\]\]/.exec(text.slice(caret));
  const end = caret + (rest ? rest[0].length : 0);
  const link = `[[${title}]]`;
  return { text: text.slice(0, open.start) + link + text.slice(end), caret: open.start + link.length };
}

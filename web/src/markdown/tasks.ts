// Ticking a task of a rendered note edits its Markdown source. The list item's position in
// the source comes from the Markdown parser, so only that item's `[ ]` changes: never a
// look-alike in a code block or in running text.

// A list marker (`-`, `*`, `+`, `1.` or `1)`), spaces, then the task box.
const TASK = /^(?:[-*+]|[0-9]{1,9}[.)])[ \t]+\[([ xX])\]/;

/** `source` with the task of the list item starting at `offset` ticked or unticked, or null
 * when no task item starts there. */
export function toggleTask(source: string, offset: number): string | null {
  const m = TASK.exec(source.slice(offset));
  if (!m) return null;
  const mark = offset + m[0].length - 2;
  return source.slice(0, mark) + (m[1] === " " ? "x" : " ") + source.slice(mark + 1);
}

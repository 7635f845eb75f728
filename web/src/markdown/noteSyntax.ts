// Obsidian's inline syntax on top of Markdown: `[[wikilinks]]` and `#tags`. It is looked for
// only in the plain text nodes of the parsed Markdown, so code spans, code blocks and the text
// of links are never touched: what a reader sees as code stays code.

import type { Parent, PhrasingContent, Root, Text } from "mdast";

/** What each wikilink label opens, keyed by `labelKey`: a note id, `null` when no such note
 * exists (following the link creates it). A label not in the map is not known yet. */
export type WikilinkTargets = Map<string, number | null>;

export type Piece =
  | { kind: "text"; value: string }
  | { kind: "wikilink"; label: string; shown: string }
  | { kind: "tag"; tag: string };

// A wikilink ends at the first `]]`, as the server reads it; a tag is a run of letters,
// digits, `_`, `-` and `/` after `#`.
const SYNTAX = /\[\[([^\n]*?)\]\]|#([\p{Alphabetic}\p{N}_/-]+)/gu;

/** Labels name the same note whatever their case or surrounding spaces, as on the server. */
export function labelKey(label: string): string {
  return label.trim().toLowerCase();
}

/** The tag in a run of tag characters, or null when the server would not take it as a tag:
 * trailing `/` dropped, at most 50 characters, not only digits (`#42` is an issue number). */
export function readTag(run: string): string | null {
  const tag = run.replace(/\/+$/, "");
  if (!tag || [...tag].length > 50 || /^[0-9]+$/.test(tag)) return null;
  return tag;
}

/** `value` cut into text, wikilinks and tags. A tag needs whitespace before its `#`, or the
 * start of `value` when `atBoundary` says that is the start of a line or block. */
export function splitNoteSyntax(value: string, atBoundary: boolean): Piece[] {
  const out: Piece[] = [];
  let done = 0;
  const take = (at: number, piece: Piece, end: number) => {
    if (at > done) out.push({ kind: "text", value: value.slice(done, at) });
    out.push(piece);
    done = end;
  };
  for (const m of value.matchAll(SYNTAX)) {
    const at = m.index;
    if (m[1] !== undefined) {
      const bar = m[1].indexOf("|");
      const label = (bar < 0 ? m[1] : m[1].slice(0, bar)).trim();
      const shown = bar < 0 ? "" : m[1].slice(bar + 1).trim();
      if (label) take(at, { kind: "wikilink", label, shown: shown || label }, at + m[0].length);
      continue;
    }
    const before = at === 0 ? (atBoundary ? " " : "") : value[at - 1];
    const tag = /\s/.test(before) ? readTag(m[2]) : null;
    if (tag) take(at, { kind: "tag", tag }, at + 1 + tag.length);
  }
  if (done < value.length) out.push({ kind: "text", value: value.slice(done) });
  return out;
}

/** The href of a tag's page: tags are compared lower-case, as the server stores them. */
export function tagHref(tag: string): string {
  return `/notes?tag=${encodeURIComponent(tag.toLowerCase())}`;
}

function wikilinkNode(label: string, shown: string, targets: WikilinkTargets | undefined): PhrasingContent {
  const text: Text = { type: "text", value: shown };
  const id = targets?.get(labelKey(label));
  if (typeof id === "number") return { type: "link", url: `/notes/${id}`, children: [text], data: { hProperties: { className: ["wikilink"] } } };
  if (id === null) {
    const title = `No note “${label}” yet: follow to write it`;
    return { type: "link", url: `/notes/new?title=${encodeURIComponent(label)}`, title, children: [text], data: { hProperties: { className: ["wikilink", "missing"] } } };
  }
  // Not known (a comment, a label just typed): marked as a link-to-be, not followable.
  return { type: "emphasis", children: [text], data: { hName: "span", hProperties: { className: ["wikilink", "unknown"] } } };
}

function toNodes(pieces: Piece[], targets: WikilinkTargets | undefined): PhrasingContent[] {
  return pieces.map((p): PhrasingContent => {
    if (p.kind === "text") return { type: "text", value: p.value };
    if (p.kind === "tag") return { type: "link", url: tagHref(p.tag), children: [{ type: "text", value: `#${p.tag}` }], data: { hProperties: { className: ["tag"] } } };
    return wikilinkNode(p.label, p.shown, targets);
  });
}

function rewrite(parent: Parent, targets: WikilinkTargets | undefined) {
  if (parent.type === "link" || parent.type === "linkReference") return;
  const children = parent.children;
  parent.children = children.flatMap((child, i): Parent["children"] => {
    if (child.type !== "text") {
      if ("children" in child) rewrite(child, targets);
      return [child];
    }
    // Text right after emphasis, code or a link is not at a word boundary; after a line
    // break or at the start of a block it is.
    const before = children[i - 1];
    return toNodes(splitNoteSyntax(child.value, !before || before.type === "break"), targets);
  });
}

/** A remark plugin: wikilinks become links to their notes (or to writing a missing one), and
 * `#tags` links to the notes with that tag. */
export function remarkNoteSyntax(options: { wikilinks?: WikilinkTargets }) {
  return (tree: Root) => rewrite(tree, options.wikilinks);
}

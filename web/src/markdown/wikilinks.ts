// What a note's `[[labels]]` open, from the server's answer: the note page, its revisions and
// the editor's preview all draw wikilinks from this one map.

import type { Note } from "../api";
import { labelKey, type WikilinkTargets } from "./noteSyntax";

type Linked = Pick<Note, "links" | "unresolved_links"> & Partial<Pick<Note, "wikilinks">>;

/** Each label's note (or `null`: none yet). From `wikilinks` when the server sent them;
 * otherwise from the labels of `links`, with `unresolved_links` as the missing ones. */
export function wikilinkTargets(note: Linked): WikilinkTargets {
  const out: WikilinkTargets = new Map();
  if (note.wikilinks) {
    // A label written twice opens one note; a resolved spelling wins over an unresolved one.
    for (const w of note.wikilinks) if (out.get(labelKey(w.label)) == null) out.set(labelKey(w.label), w.id ?? null);
    return out;
  }
  for (const l of note.links) if (l.label) out.set(labelKey(l.label), l.id);
  for (const l of note.unresolved_links) if (!out.has(labelKey(l))) out.set(labelKey(l), null);
  return out;
}

/** The labels that open no note, once each, as first written. */
export function missingLabels(note: Linked): string[] {
  const targets = wikilinkTargets(note);
  const written = note.wikilinks?.map((w) => w.label) ?? note.unresolved_links;
  const seen = new Set<string>();
  return written.filter((l) => {
    const key = labelKey(l);
    if (seen.has(key) || targets.get(key) !== null) return false;
    seen.add(key);
    return true;
  });
}

// Removing a note-to-note link from the graph. A link the source note's body writes as
// `[[label]]` would come back with the next save of that body, so the server refuses to drop
// it alone (409 `link_in_body`); the user is asked whether to unbracket it in the body.

import { api, ApiError, type Note } from "../api";

export type LinkEnd = { id: number; title: string };

/** What removing needs of the API; `api` itself, or a stand-in in tests. */
export type Unlinker = {
  removeLink(id: number, target: number, editBody?: boolean): Promise<void>;
  note(id: number): Promise<Pick<Note, "links"> & Partial<Pick<Note, "wikilinks">>>;
};

/** The outcome to tell the user; `removed` when the graph changed. */
export type Unlinked = { removed: boolean; message: string };

const failed = (err: unknown): Unlinked => ({ removed: false, message: `Cannot remove: ${err instanceof Error ? err.message : String(err)}` });

/** The label `from`'s body writes for its link to `to`; the target's title when not found. */
async function bodyLabel(from: LinkEnd, to: LinkEnd, client: Unlinker): Promise<string> {
  const note = await client.note(from.id).catch(() => null);
  return note?.links.find((l) => l.id === to.id && l.via === "wikilink" && l.label)?.label ?? note?.wikilinks?.find((w) => w.id === to.id)?.label ?? to.title;
}

/** Removes the link from `from` to `to` once the user confirms; a link written in the body
 * only after a second confirmation naming it, and then by unbracketing it there. Null when the
 * user declined at once. */
export async function removeNoteLink(from: LinkEnd, to: LinkEnd, confirm: (question: string) => boolean, client: Unlinker = api): Promise<Unlinked | null> {
  if (!confirm(`Remove the link from “${from.title}” to “${to.title}”?`)) return null;
  try {
    await client.removeLink(from.id, to.id);
    return { removed: true, message: "Link removed." };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409 && err.code === "link_in_body")) return failed(err);
  }
  const label = await bodyLabel(from, to, client);
  if (!confirm(`This link is written as [[${label}]] in the body of '${from.title}'. Remove the brackets from the body?`)) {
    return { removed: false, message: `The link stays: [[${label}]] is still written in the body of '${from.title}'.` };
  }
  try {
    await client.removeLink(from.id, to.id, true);
    return { removed: true, message: `Link removed; the body of '${from.title}' keeps the words without the brackets.` };
  } catch (err) {
    return failed(err);
  }
}

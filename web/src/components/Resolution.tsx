import { Link } from "react-router-dom";
import { api, type ErrorResolution } from "../api";
import { useData } from "../hooks";
import { wikilinkTargets } from "../markdown/wikilinks";
import { fixedBefore } from "../resolution";
import { ago } from "../util";
import { Markdown } from "./Markdown";

/** The note's link, by its title (or, when the server did not send one, plainly). */
function NoteLink({ id, title }: { id: number; title?: string | null }) {
  return <Link to={`/notes/${id}`}>{title ?? "the resolution note"}</Link>;
}

/**
 * A regressed error that was fixed before says so first: by whom, when, in which release,
 * and the note that tells how, so whoever meets it again starts from what was learnt.
 */
export function FixedBefore({ resolution }: { resolution: ErrorResolution }) {
  return (
    <p className="alert-banner wide" data-testid="fixed-before">
      {fixedBefore(resolution)}
      {resolution.note_id != null && <> — <NoteLink id={resolution.note_id} title={resolution.note_title} /></>}
    </p>
  );
}

/**
 * The resolution note, pinned at the top of its error's page: who resolved the error, when,
 * in which release, and the note itself (cause, fix, the link to it), read fresh so an edit
 * of the note shows here too. `current` says the error is still resolved; otherwise it is the
 * last resolution, kept because the error came back.
 */
export function ResolutionCard({ resolution, noteId, current }: { resolution: ErrorResolution; noteId: number; current: boolean }) {
  const note = useData(() => api.note(noteId), [noteId]);
  const who = [resolution.resolved_by && `by ${resolution.resolved_by}`, ago(resolution.resolved_at), resolution.release && `release ${resolution.release}`].filter(Boolean).join(" · ");
  return (
    <section className="card wide resolution" data-testid="resolution-card">
      <div className="card-head">
        <h2>{current ? "Resolution" : "Last resolution"}: <NoteLink id={noteId} title={note.data?.title ?? resolution.note_title} /></h2>
      </div>
      <p className="muted small" data-testid="resolution-meta">Resolved {who}</p>
      {note.data ? (
        <Markdown text={note.data.body} wikilinks={wikilinkTargets(note.data)} />
      ) : note.error ? (
        <p className="muted">The note could not be read: {note.error}</p>
      ) : (
        <div className="placeholder" style={{ height: 60 }} />
      )}
    </section>
  );
}

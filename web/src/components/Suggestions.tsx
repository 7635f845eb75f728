import { Link } from "react-router-dom";
import type { Suggestion } from "../api";
import { groupSuggestions } from "../suggestions";

/** A note that may explain the error: why it was chosen and, when it is on another error,
 * which one, so the reader can judge the match before opening it. */
function SuggestionItem({ s }: { s: Suggestion }) {
  return (
    <li data-testid="suggestion">
      <Link to={`/notes/${s.note.id}`}>{s.note.title}</Link> <span className="muted">by {s.note.author}</span>
      {s.error && (
        <div className="small" data-testid="suggestion-error">
          on <Link to={`/errors/${s.error.id}`}><code>{s.error.exception_type}</code></Link> in {s.error.service}{" "}
          <span className={`status ${s.error.status}`}>{s.error.status}</span>
        </div>
      )}
      <div className="muted small" data-testid="suggestion-why">{s.why}</div>
    </li>
  );
}

/**
 * The error page's notes: those written on it, as before, then "Solved before?": notes on
 * the error that caused it in another service, on similar errors, and general notes naming
 * it, grouped by that reason in the server's ranking. `list` is null while loading.
 */
export function Suggestions({ list, newNote }: { list: Suggestion[] | null; newNote: string }) {
  const groups = groupSuggestions(list ?? []);
  const own = groups.find((g) => g.key === "this_error");
  const others = groups.filter((g) => g !== own);
  return (
    <section className="card" data-testid="error-notes">
      <h2>Notes</h2>
      {list && !own && <p className="muted">No notes on this error yet. <Link to={newNote}>Write the first one.</Link></p>}
      {own && (
        <ul className="note-list">
          {own.items.map(({ note }) => <li key={note.id}><Link to={`/notes/${note.id}`}>{note.title}</Link> <span className="muted">by {note.author}</span></li>)}
        </ul>
      )}
      {others.length > 0 && (
        <div data-testid="solved-before">
          <h2 className="subhead">Solved before?</h2>
          {others.map((g) => (
            <div key={g.key}>
              <h3>{g.label}</h3>
              <ul className="note-list suggestions">{g.items.map((s) => <SuggestionItem key={s.note.id} s={s} />)}</ul>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, ApiError, type User } from "../api";
import { useData } from "../hooks";
import { LocalGraph } from "../components/LocalGraph";
import { Markdown } from "../components/Markdown";
import { NotFound } from "../components/NotFound";
import { missingLabels, wikilinkTargets } from "../markdown/wikilinks";
import { ago, urlId } from "../util";

export function NotePage({ user }: { user: User }) {
  const raw = useParams().id ?? "";
  const id = urlId(raw) ?? 0;
  const navigate = useNavigate();
  const note = useData(() => api.note(id), [id]);
  const comments = useData(() => api.comments(id), [id]);
  const revisions = useData(() => api.revisions(id), [id]);
  const [comment, setComment] = useState("");
  const [showRev, setShowRev] = useState<number | null>(null);
  // A ticked task shows at once; the boxes wait while it is saved.
  const [saving, setSaving] = useState<{ id: number; body: string } | null>(null);
  const [taskError, setTaskError] = useState("");
  const route = useRef(id);
  route.current = id;
  if (id === 0 || note.missing) return <NotFound what={`Note ${raw}`} />;
  if (note.error) return <p className="error-text">{note.error}</p>;
  const n = note.data;
  if (!n) return <div className="placeholder" style={{ height: 300 }} />;
  const mine = n.author_id === user.id;
  const targets = wikilinkTargets(n);
  const missing = missingLabels(n);
  const pending = saving?.id === n.id ? saving.body : null;
  // The body edited is the one shown: `n`, which may still be the previous note for a moment
  // after following a link, so its own id is the one saved to.
  const saveTasks = async (body: string) => {
    setSaving({ id: n.id, body });
    setTaskError("");
    try {
      const saved = await api.updateNote(n.id, { body });
      if (saved.id === route.current) note.set(saved);
      revisions.reload();
    } catch (err) {
      setTaskError(`The task was not saved: ${err instanceof ApiError ? err.message : String(err)}`);
    } finally {
      setSaving(null);
    }
  };
  const post = async (e: FormEvent) => {
    e.preventDefault();
    await api.addComment(id, comment);
    setComment("");
    comments.reload();
  };
  const rev = revisions.data?.find((r) => r.revision === showRev);
  return (
    <div className="note-page">
      <header className="page-head">
        <div>
          <h1 data-testid="note-title">{n.title}</h1>
          <p className="muted">
            {n.kind === "error" ? <>Error note on <Link to={`/errors/${n.error_id}`}>error {n.error_id}</Link></> : "General note"} · by {n.author} · {n.visibility} · revision {n.revision} · {ago(n.updated_at)}
          </p>
          <p data-testid="note-tags">{n.tags.map((t) => <Link key={t} className="tag" to={`/notes?tag=${encodeURIComponent(t)}`}>#{t}</Link>)}</p>
        </div>
        {mine && (
          <div className="actions">
            <Link className="button" to={`/notes/${id}/edit`}>Edit</Link>
            <button className="ghost" onClick={() => window.confirm("Delete this note?") && api.deleteNote(id).then(() => navigate("/notes"))}>Delete</button>
          </div>
        )}
      </header>
      <article className="card wide" data-testid="note-body">
        {taskError && <p className="error-text" role="alert">{taskError}</p>}
        <Markdown text={pending ?? n.body} wikilinks={targets} onTaskToggle={mine && pending === null ? saveTasks : undefined} />
      </article>
      <section className="card">
        <h2>Links <small>{n.link_count}</small></h2>
        <ul className="note-list">{n.links.map((l) => <li key={`${l.id}${l.via}`}><Link to={`/notes/${l.id}`}>{l.title}</Link> <small className="muted">by {l.author}{l.via === "wikilink" ? ` · [[${l.label}]]` : ""}</small></li>)}</ul>
        {missing.length > 0 && (
          <p className="muted small" data-testid="missing-links">
            No such note yet (follow to write it):{" "}
            {missing.map((l, i) => <span key={l}>{i > 0 && ", "}<Link className="wikilink missing" to={`/notes/new?title=${encodeURIComponent(l)}`}>[[{l}]]</Link></span>)}
          </p>
        )}
        <h2>Backlinks <small>{n.backlink_count}</small></h2>
        <ul className="note-list">{n.backlinks.map((l) => <li key={`${l.id}${l.via}`}><Link to={`/notes/${l.id}`}>{l.title}</Link> <small className="muted">by {l.author}</small></li>)}</ul>
      </section>
      <LocalGraph noteId={id} revision={n.revision} />
      <section className="card">
        <h2>Revisions</h2>
        <ul className="note-list">
          <li><b>{n.revision}</b> (current)</li>
          {revisions.data?.map((r) => <li key={r.revision}><button className="link" onClick={() => setShowRev(r.revision === showRev ? null : r.revision)}>{r.revision}: {r.title}</button> <small className="muted">replaced {ago(r.saved_at)}</small></li>)}
        </ul>
        {rev && <div className="revision"><h3>{rev.title}</h3><Markdown text={rev.body} wikilinks={targets} /></div>}
      </section>
      <section className="card wide">
        <h2>Comments <small>{comments.data?.length ?? 0}</small></h2>
        {comments.data?.map((c) => (
          <div key={c.id} className="comment">
            <p className="muted small">{c.author} · {ago(c.created_at)} {c.author_id === user.id && <button className="link" onClick={() => api.deleteComment(c.id).then(comments.reload)}>delete</button>}</p>
            <Markdown text={c.body} />
          </div>
        ))}
        <form onSubmit={post} className="comment-form">
          <textarea value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Add a comment" aria-label="Comment" aria-describedby="mention-hint" />
          <button type="submit" disabled={!comment.trim()}>Comment</button>
        </form>
        <p className="muted small" id="mention-hint" data-testid="mention-hint">
          Write <code>@username</code> to notify someone who can read this note.
        </p>
      </section>
    </div>
  );
}

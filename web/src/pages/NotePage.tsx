import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, type User } from "../api";
import { useData } from "../hooks";
import { Markdown } from "../components/Markdown";
import { NotFound } from "../components/NotFound";
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
  if (id === 0 || note.missing) return <NotFound what={`Note ${raw}`} />;
  if (note.error) return <p className="error-text">{note.error}</p>;
  const n = note.data;
  if (!n) return <div className="placeholder" style={{ height: 300 }} />;
  const mine = n.author_id === user.id;
  const labels = new Map(n.links.filter((l) => l.label).map((l) => [l.label!.toLowerCase(), l.id]));
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
          <p>{n.tags.map((t) => <Link key={t} className="tag" to={`/notes?tag=${encodeURIComponent(t)}`}>#{t}</Link>)}</p>
        </div>
        {mine && (
          <div className="actions">
            <Link className="button" to={`/notes/${id}/edit`}>Edit</Link>
            <button className="ghost" onClick={() => window.confirm("Delete this note?") && api.deleteNote(id).then(() => navigate("/notes"))}>Delete</button>
          </div>
        )}
      </header>
      <article className="card wide" data-testid="note-body"><Markdown text={n.body} links={labels} /></article>
      <section className="card">
        <h2>Links <small>{n.link_count}</small></h2>
        <ul className="note-list">{n.links.map((l) => <li key={`${l.id}${l.via}`}><Link to={`/notes/${l.id}`}>{l.title}</Link> <small className="muted">by {l.author}{l.via === "wikilink" ? ` · [[${l.label}]]` : ""}</small></li>)}</ul>
        {n.unresolved_links.length > 0 && <p className="muted small">Not linked yet: {n.unresolved_links.map((l) => `[[${l}]]`).join(", ")}</p>}
        <h2>Backlinks <small>{n.backlink_count}</small></h2>
        <ul className="note-list">{n.backlinks.map((l) => <li key={`${l.id}${l.via}`}><Link to={`/notes/${l.id}`}>{l.title}</Link> <small className="muted">by {l.author}</small></li>)}</ul>
      </section>
      <section className="card">
        <h2>Revisions</h2>
        <ul className="note-list">
          <li><b>{n.revision}</b> (current)</li>
          {revisions.data?.map((r) => <li key={r.revision}><button className="link" onClick={() => setShowRev(r.revision === showRev ? null : r.revision)}>{r.revision}: {r.title}</button> <small className="muted">replaced {ago(r.saved_at)}</small></li>)}
        </ul>
        {rev && <div className="revision"><h3>{rev.title}</h3><Markdown text={rev.body} /></div>}
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
          <textarea value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Add a comment" aria-label="Comment" />
          <button type="submit" disabled={!comment.trim()}>Comment</button>
        </form>
      </section>
    </div>
  );
}

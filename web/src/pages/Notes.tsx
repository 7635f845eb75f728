import { Link } from "react-router-dom";
import { api, type User } from "../api";
import { useData, useUrlFilters } from "../hooks";
import { VaultTools } from "../components/VaultTools";
import { ago } from "../util";

export function NotesPage({ user }: { user: User }) {
  const [params, set] = useUrlFilters();
  const filters = { q: params.get("q") ?? undefined, tag: params.get("tag") ?? undefined, author: params.get("author") ?? undefined, kind: params.get("kind") ?? undefined };
  const notes = useData(() => api.notes(filters), [params.toString()]);
  const tags = useData(() => api.tags(), []);
  return (
    <div className="notes-page">
      <header className="page-head">
        <h1>Notes</h1>
        <div className="actions">
          <Link className="button" to="/notes/graph">Graph view</Link>
          <Link className="button primary" to="/notes/new">New note</Link>
        </div>
      </header>
      <VaultTools
        onImported={() => {
          notes.reload();
          tags.reload();
        }}
      />
      <div className="filters">
        <input placeholder="Search notes" defaultValue={filters.q} onChange={(e) => set("q", e.target.value)} aria-label="Search notes" />
        <select value={filters.kind ?? ""} onChange={(e) => set("kind", e.target.value)} aria-label="Kind">
          <option value="">All kinds</option><option value="error">Error notes</option><option value="general">General notes</option>
        </select>
        <select value={filters.author ?? ""} onChange={(e) => set("author", e.target.value)} aria-label="Author">
          <option value="">Everyone</option><option value={user.username}>Mine</option>
        </select>
      </div>
      <div className="tag-cloud">
        {tags.data?.map((t) => (
          <button key={t.tag} className={filters.tag === t.tag ? "tag active" : "tag"} onClick={() => set("tag", filters.tag === t.tag ? "" : t.tag)}>#{t.tag} <small>{t.notes}</small></button>
        ))}
      </div>
      <ul className="note-cards">
        {notes.data?.map((n) => (
          <li key={n.id} className="card" data-testid="note-card">
            <Link to={`/notes/${n.id}`}><h3>{n.title}</h3></Link>
            {/* snippet_html is escaped by the server; only <mark> is markup */}
            {n.snippet_html && <p className="snippet" dangerouslySetInnerHTML={{ __html: n.snippet_html }} />}
            <p className="muted small">
              {n.kind === "error" ? "Error note" : "General note"} · {n.author} · {n.visibility} · {ago(n.updated_at)} · {n.link_count} links · {n.backlink_count} backlinks · {n.comment_count} comments
            </p>
            <p>{n.tags.map((t) => <span key={t} className="tag">#{t}</span>)}</p>
          </li>
        ))}
      </ul>
      {notes.data?.length === 0 && <p className="muted">No notes match.</p>}
    </div>
  );
}

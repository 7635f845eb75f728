import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, type ErrorGroup, type ErrorStatus } from "../api";
import { useData, useUrlFilters } from "../hooks";
import { ago } from "../util";

/** Error rows with resolve/ignore buttons; `selected` is the keyboard cursor. */
export function ErrorRows({ rows, onChange, selected }: { rows: ErrorGroup[]; onChange: () => void; selected?: number }) {
  const set = (id: number, status: ErrorStatus) => api.setErrorStatus(id, status).then(onChange);
  return (
    <table className="errors">
      <thead>
        <tr><th>Type</th><th>Message</th><th>Service</th><th>Project</th><th>Status</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Notes</th><th /></tr>
      </thead>
      <tbody>
        {rows.map((e, i) => (
          <tr key={e.id} className={i === selected ? "selected" : ""} data-testid="error-row">
            <td><Link to={`/errors/${e.id}`}><code>{e.exception_type}</code></Link>{e.regressed && <span className="pill red small">regressed</span>}</td>
            <td className="message">{e.message}</td>
            <td>{e.service}</td>
            <td>{e.project}</td>
            <td><span className={`status ${e.status}`}>{e.status}</span></td>
            <td>{e.occurrence_count}</td>
            <td title={e.first_seen}>{ago(e.first_seen)}</td>
            <td title={e.last_seen}>{ago(e.last_seen)}</td>
            <td>{e.note_count}</td>
            <td className="actions">
              {e.status === "unresolved" ? (
                <>
                  <button onClick={() => set(e.id, "resolved")} data-testid="resolve">Resolve</button>
                  <button className="ghost" onClick={() => set(e.id, "ignored")}>Ignore</button>
                </>
              ) : (
                <button className="ghost" onClick={() => set(e.id, "unresolved")}>Reopen</button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const FILTERS = ["q", "status", "service", "project", "sort"] as const;

export function ErrorList() {
  const [params, setFilter] = useUrlFilters();
  const navigate = useNavigate();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined]));
  const key = params.toString();
  const first = useData(() => api.errors({ ...filters, limit: 50 }), [key]);
  const projects = useData(() => api.projects(), []);
  const [more, setMore] = useState<{ rows: ErrorGroup[]; cursor: string | null }>({ rows: [], cursor: null });
  const [cursorIndex, setCursorIndex] = useState(0);
  useEffect(() => setMore({ rows: [], cursor: first.data?.next_cursor ?? null }), [first.data]);
  const rows = useMemo(() => [...(first.data?.errors ?? []), ...more.rows], [first.data, more.rows]);
  const loadMore = async () => {
    if (!more.cursor) return;
    const page = await api.errors({ ...filters, limit: 50, cursor: more.cursor });
    setMore((m) => ({ rows: [...m.rows, ...page.errors], cursor: page.next_cursor ?? null }));
  };
  const onKey = useCallback(
    (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).tagName === "INPUT" || (e.target as HTMLElement).tagName === "SELECT") return;
      if (e.key === "j") setCursorIndex((i) => Math.min(i + 1, rows.length - 1));
      if (e.key === "k") setCursorIndex((i) => Math.max(i - 1, 0));
      if (e.key === "Enter" && rows[cursorIndex]) navigate(`/errors/${rows[cursorIndex].id}`);
      if (e.key === "r" && rows[cursorIndex]) api.setErrorStatus(rows[cursorIndex].id, "resolved").then(first.reload);
    },
    [rows, cursorIndex, navigate, first.reload],
  );
  useEffect(() => {
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onKey]);
  return (
    <div>
      <header className="page-head">
        <h1>Errors</h1>
        <span className="muted small">j/k to move, Enter to open, r to resolve</span>
      </header>
      <div className="filters">
        <input placeholder="Search type or message" defaultValue={filters.q} onChange={(e) => setFilter("q", e.target.value)} aria-label="Search" />
        <select value={filters.status ?? ""} onChange={(e) => setFilter("status", e.target.value)} aria-label="Status">
          <option value="">Any status</option><option value="unresolved">Unresolved</option><option value="resolved">Resolved</option><option value="ignored">Ignored</option>
        </select>
        <select value={filters.project ?? ""} onChange={(e) => setFilter("project", e.target.value)} aria-label="Project">
          <option value="">All projects</option>
          {projects.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
        <input placeholder="Service" defaultValue={filters.service} onChange={(e) => setFilter("service", e.target.value)} aria-label="Service" />
        <select value={filters.sort ?? ""} onChange={(e) => setFilter("sort", e.target.value)} aria-label="Sort">
          <option value="">Last seen</option><option value="first_seen">First seen</option><option value="count">Count</option>
        </select>
      </div>
      {first.error && <p className="error-text">{first.error}</p>}
      <ErrorRows rows={rows} onChange={first.reload} selected={cursorIndex} />
      {rows.length === 0 && first.data && <p className="muted">No errors match.</p>}
      {more.cursor && <button onClick={loadMore}>Load more</button>}
    </div>
  );
}

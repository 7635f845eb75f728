import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, type ErrorGroup, type ErrorStatus } from "../api";
import { useData, useUrlFilters } from "../hooks";
import { useLiveRefresh } from "../live";
import { ago, isTraceId } from "../util";

/** Error rows with resolve/ignore buttons; `selected` is the keyboard cursor. The buttons
 * keep their place and width whatever the status, so a click never moves focus or layout. */
export function ErrorRows({ rows, onChange, selected }: { rows: ErrorGroup[]; onChange: () => void; selected?: number }) {
  const set = (id: number, status: ErrorStatus) => api.setErrorStatus(id, status).then(onChange);
  return (
    <table className="errors stack">
      <thead>
        <tr><th>Type</th><th>Message</th><th>Service</th><th>Project</th><th>Status</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Notes</th><th /></tr>
      </thead>
      <tbody>
        {rows.map((e, i) => (
          <tr key={e.id} className={i === selected ? "selected" : ""} data-testid="error-row" data-error-id={e.id}>
            <td className="type"><Link to={`/errors/${e.id}`}><code>{e.exception_type}</code></Link>{e.regressed && <span className="pill red small">regressed</span>}</td>
            <td className="message" data-label="Message">{e.message}</td>
            <td data-label="Service">{e.service}</td>
            <td data-label="Project">{e.project}</td>
            <td data-label="Status"><span className={`status ${e.status}`}>{e.status}</span></td>
            <td data-label="Count" data-testid="row-count">{e.occurrence_count}</td>
            <td data-label="First seen" title={e.first_seen}>{ago(e.first_seen)}</td>
            <td data-label="Last seen" title={e.last_seen}>{ago(e.last_seen)}</td>
            <td data-label="Notes">{e.note_count}</td>
            <td className="actions row-actions">
              <button onClick={() => set(e.id, e.status === "unresolved" ? "resolved" : "unresolved")} data-testid={e.status === "unresolved" ? "resolve" : "reopen"}>
                {e.status === "unresolved" ? "Resolve" : "Reopen"}
              </button>
              <button className="ghost" disabled={e.status === "ignored"} onClick={() => set(e.id, "ignored")}>Ignore</button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const FILTERS = ["q", "status", "service", "project", "sort", "environment", "release", "trace"] as const;

export function ErrorList() {
  const [params, setFilter] = useUrlFilters();
  const navigate = useNavigate();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined]));
  const key = params.toString();
  const first = useData(() => api.errors({ ...filters, limit: 50 }), [key]);
  // The first page as it is now, read when live activity arrives: rows already shown take its
  // counts in place; errors not shown wait behind the banner, so nothing jumps under the cursor.
  const [fresh, setFresh] = useState<{ key: string; rows: ErrorGroup[] } | null>(null);
  const project = filters.project ? Number(filters.project) : undefined;
  // Answers to a read started before the list was last loaded are older than the list.
  const generation = useRef(0);
  useLiveRefresh(() => {
    const asked = generation.current;
    api.errors({ ...filters, limit: 50 }).then((page) => asked === generation.current && setFresh({ key, rows: page.errors }), () => {});
  }, project);
  const projects = useData(() => api.projects(), []);
  const [more, setMore] = useState<{ rows: ErrorGroup[]; cursor: string | null }>({ rows: [], cursor: null });
  const [cursorIndex, setCursorIndex] = useState(0);
  useEffect(() => {
    generation.current += 1;
    setMore({ rows: [], cursor: first.data?.next_cursor ?? null });
    setFresh(null);
  }, [first.data]);
  const current = fresh?.key === key ? fresh.rows : null;
  const rows = useMemo(() => {
    const now = new Map((current ?? []).map((e) => [e.id, e]));
    return [...(first.data?.errors ?? []), ...more.rows].map((e) => now.get(e.id) ?? e);
  }, [first.data, more.rows, current]);
  // Errors first seen after the list was loaded are new; others not shown came back.
  const loadedAt = useMemo(() => (first.data ? Date.now() : 0), [first.data]);
  const arrived = useMemo(() => {
    const shown = new Set(rows.map((e) => e.id));
    return (current ?? []).filter((e) => !shown.has(e.id));
  }, [rows, current]);
  const brandNew = arrived.filter((e) => Date.parse(e.first_seen) >= loadedAt - 5000).length;
  const recurred = arrived.length - brandNew;
  const showArrived = () => {
    setFresh(null);
    first.reload();
  };
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
        <input placeholder="Search type, message or a trace id" defaultValue={filters.q ?? filters.trace} aria-label="Search"
          onChange={(e) => {
            // A trace id finds the errors of that trace.
            const v = e.target.value.trim();
            setFilter(isTraceId(v) ? "trace" : "q", isTraceId(v) ? v.toLowerCase() : e.target.value, isTraceId(v) ? "q" : "trace");
          }} />
        <select value={filters.status ?? ""} onChange={(e) => setFilter("status", e.target.value)} aria-label="Status">
          <option value="">Any status</option><option value="unresolved">Unresolved</option><option value="resolved">Resolved</option><option value="ignored">Ignored</option>
        </select>
        <select value={filters.project ?? ""} onChange={(e) => setFilter("project", e.target.value)} aria-label="Project">
          <option value="">All projects</option>
          {projects.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
        <input placeholder="Service" defaultValue={filters.service} onChange={(e) => setFilter("service", e.target.value)} aria-label="Service" />
        <input placeholder="Environment" defaultValue={filters.environment} onChange={(e) => setFilter("environment", e.target.value)} aria-label="Environment" />
        <input placeholder="Release" defaultValue={filters.release} onChange={(e) => setFilter("release", e.target.value)} aria-label="Release" />
        <select value={filters.sort ?? ""} onChange={(e) => setFilter("sort", e.target.value)} aria-label="Sort">
          <option value="">Last seen</option><option value="first_seen">First seen</option><option value="count">Count</option>
        </select>
      </div>
      {filters.trace && (
        <p data-testid="trace-hint">Errors of trace <code>{filters.trace}</code> · <Link to={`/traces/${filters.trace}`}>open the trace →</Link></p>
      )}
      {first.error && <p className="error-text">{first.error}</p>}
      {arrived.length > 0 && (
        <button className="banner" onClick={showArrived} data-testid="new-errors-banner">
          {[brandNew > 0 && `${brandNew} new ${brandNew === 1 ? "error" : "errors"}`, recurred > 0 && `${recurred} ${recurred === 1 ? "error" : "errors"} seen again`].filter(Boolean).join(", ")} — show
        </button>
      )}
      <ErrorRows rows={rows} onChange={first.reload} selected={cursorIndex} />
      {rows.length === 0 && first.data && <p className="muted">No errors match.</p>}
      {more.cursor && <button onClick={loadMore}>Load more</button>}
    </div>
  );
}

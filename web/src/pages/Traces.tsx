import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api } from "../api";
import { useData, useUrlFilters } from "../hooks";
import { Waterfall } from "../components/Waterfall";
import { NotFound } from "../components/NotFound";
import { ago, duration, isTraceId } from "../util";

/** A box that opens a trace by its id. */
export function TraceSearch() {
  const navigate = useNavigate();
  const [id, setId] = useState("");
  const [bad, setBad] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = id.trim().toLowerCase();
    if (isTraceId(t)) navigate(`/traces/${t}`);
    else setBad(true);
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <input className="grow" placeholder="Trace id (32 hex digits)" value={id} onChange={(e) => (setId(e.target.value), setBad(false))} aria-label="Trace id" />
      <button type="submit">Open trace</button>
      {bad && <span className="error-text small">A trace id is 32 hexadecimal digits.</span>}
    </form>
  );
}

const FILTERS = ["caller", "callee", "service", "failing", "since"] as const;

/** Stored traces of a project: the calls behind a service map edge or node. */
export function TracesPage() {
  const [params, setFilter] = useUrlFilters();
  const projects = useData(() => api.projects(), []);
  const project = Number(params.get("project")) || projects.data?.[0]?.id;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined]));
  const key = params.toString();
  const list = useData(() => (project ? api.traces(project, filters) : Promise.resolve([])), [key, project]);
  const what = filters.caller && filters.callee ? `Calls from ${filters.caller} to ${filters.callee}` : filters.callee ? `Calls to ${filters.callee}` : filters.service ? `Requests of ${filters.service}` : "Traces";
  return (
    <div>
      <header className="page-head">
        <h1>{what}{filters.failing ? " that failed" : ""}</h1>
      </header>
      <TraceSearch />
      <div className="filters">
        <select value={project ?? ""} onChange={(e) => setFilter("project", e.target.value)} aria-label="Project">
          {projects.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
        <label className="check"><input type="checkbox" checked={!!filters.failing} onChange={(e) => setFilter("failing", e.target.checked ? "true" : "")} /> failed only</label>
        {(filters.caller || filters.callee || filters.service) && <Link to={`/traces?project=${project ?? ""}`} className="small">all traces</Link>}
      </div>
      {list.error && <p className="error-text">{list.error}</p>}
      <table className="errors stack" data-testid="trace-list">
        <thead><tr><th>Trace</th><th>Entry</th><th>Started</th><th>Duration</th><th>Spans</th><th>Errors</th></tr></thead>
        <tbody>
          {list.data?.map((t) => (
            <tr key={t.trace_id} data-testid="trace-row">
              <td className="type"><Link to={`/traces/${t.trace_id}`}><code>{t.trace_id.slice(0, 16)}…</code></Link></td>
              <td data-label="Entry">{t.root_service ?? "?"}: {t.root_name ?? ""}</td>
              <td data-label="Started" title={t.started_at}>{ago(t.started_at)}</td>
              <td data-label="Duration">{duration(t.duration_us)}</td>
              <td data-label="Spans">{t.span_count}</td>
              <td data-label="Errors">{t.error_count > 0 ? <span className="pill red">{t.error_count}</span> : 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data?.length === 0 && <p className="muted">No traces match {filters.since ? `since ${new Date(filters.since).toLocaleString()}` : "in the last 24 hours"}.</p>}
    </div>
  );
}

/** One trace by id, as a waterfall. */
export function TracePage() {
  const id = (useParams().id ?? "").toLowerCase();
  const valid = isTraceId(id);
  const trace = useData(() => (valid ? api.trace(id) : Promise.reject(new Error("not a trace id"))), [id]);
  if (!valid || trace.missing) return <NotFound what={`Trace ${id}`} />;
  if (trace.error) return <p className="error-text">{trace.error}</p>;
  return (
    <div>
      <header className="page-head">
        <div>
          <h1>Trace</h1>
          <p className="muted"><code data-testid="trace-id">{id}</code></p>
        </div>
      </header>
      <section className="card wide">
        {trace.data ? <Waterfall trace={trace.data} /> : <div className="placeholder" style={{ height: 200 }} />}
      </section>
    </div>
  );
}

import { useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api } from "../api";
import { useData } from "../hooks";
import { useLive, useLiveRefresh } from "../live";
import { ServiceMap } from "../components/ServiceMap";
import { Timeline } from "../components/Timeline";
import { ErrorRows } from "./ErrorList";

const HOUR = 3600 * 1000;
const RANGES: Record<string, number> = { "1h": HOUR, "24h": 24 * HOUR, "7d": 7 * 24 * HOUR, "30d": 30 * 24 * HOUR };

export function Dashboard() {
  const [params, setParams] = useSearchParams();
  const { events, markSeen } = useLive();
  const projects = useData(() => api.projects(), []);
  const chosen = Number(params.get("project")) || projects.data?.[0]?.id;
  const range = params.get("range") ?? "24h";
  // The window ends now: each live refresh moves it on.
  const [now, setNow] = useState(() => Date.now());
  const since = useMemo(() => new Date(now - (RANGES[range] ?? RANGES["24h"])).toISOString(), [range, now]);
  const map = useData(() => (chosen ? api.serviceMap(chosen, since) : Promise.resolve(null)), [chosen, since]);
  const stats = useData(() => api.stats(chosen, since), [chosen, since]);
  const latest = useData(() => api.errors({ project: chosen, status: "unresolved", limit: 8 }), [chosen]);
  const lastEvent = events[events.length - 1];
  const { reload: reloadMap } = map, { reload: reloadStats } = stats, { reload: reloadLatest } = latest;
  useEffect(() => markSeen(), [markSeen, lastEvent]);
  // New occurrences and traffic: counts, chart, map and list follow without a reload (the
  // map and chart of a week or a month, costlier to draw, at most every ten seconds).
  useLiveRefresh(() => {
    setNow(Date.now());
    reloadLatest();
  }, chosen, undefined, range === "7d" || range === "30d" ? 10_000 : 1000);

  if (projects.data?.length === 0) {
    return (
      <div className="empty">
        <h2>Welcome to Omegi</h2>
        <p>Create a project and a service in <Link to="/settings">Settings</Link>, then follow the setup guide to send traces.</p>
      </div>
    );
  }
  const s = stats.data;
  return (
    <div className="dashboard">
      <header className="page-head">
        <h1>Dashboard</h1>
        <div className="actions">
          <select value={range} onChange={(e) => setParams({ project: String(chosen ?? ""), range: e.target.value })} aria-label="Time range">
            {Object.keys(RANGES).map((r) => <option key={r} value={r}>Last {r}</option>)}
          </select>
          <select value={chosen ?? ""} onChange={(e) => setParams({ project: e.target.value, range })} aria-label="Project" data-testid="project-switcher">
            {projects.data?.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </div>
      </header>
      <section className="card wide">
        <h2>Service flow</h2>
        {map.data && chosen ? <ServiceMap map={map.data} project={chosen} since={since} /> : <div className="placeholder" style={{ height: 160 }} />}
        <p className="muted small map-legend">Red: an unresolved error the service caused itself · dashed: a peer that sends no spans · click a service for its errors, a call for its traces</p>
      </section>
      <section className="card">
        <h2>Errors over time</h2>
        {s ? <Timeline stats={s} /> : <div className="placeholder" style={{ height: 136 }} />}
        {s && (
          <p className="counts">
            <span className="pill red">{s.unresolved} unresolved</span> <span className="pill blue">{s.resolved} resolved</span>{" "}
            <span className="pill">{s.ignored} ignored</span>
          </p>
        )}
      </section>
      <section className="card">
        <h2>By service and type</h2>
        <div className="two-col">
          <ul className="bars">{s?.by_service.map((c) => <li key={c.name}><span>{c.name}</span><b>{c.occurrences}</b></li>)}</ul>
          <ul className="bars">{s?.by_type.map((c) => <li key={c.name}><span>{c.name}</span><b>{c.occurrences}</b></li>)}</ul>
        </div>
      </section>
      <section className="card">
        <h2>Notes</h2>
        {s && (
          <ul className="bars">
            <li><span>Error notes</span><b>{s.notes.error_notes}</b></li>
            <li><span>General notes</span><b>{s.notes.general_notes}</b></li>
            <li><span>Links to others' notes</span><b>{s.notes.links_to_others}</b></li>
            <li><span>Backlinks from others</span><b>{s.notes.backlinks_from_others}</b></li>
            <li><span>Resolved errors with a note</span><b>{s.notes.resolved_errors_with_notes}</b></li>
          </ul>
        )}
      </section>
      <section className="card wide">
        <h2>Latest unresolved errors <Link to={`/errors?status=unresolved${chosen ? `&project=${chosen}` : ""}`} className="small">all →</Link></h2>
        {latest.data && <ErrorRows rows={latest.data.errors} onChange={() => { reloadLatest(); reloadMap(); reloadStats(); }} />}
        {latest.data?.errors.length === 0 && <p className="muted">No unresolved errors.</p>}
      </section>
    </div>
  );
}

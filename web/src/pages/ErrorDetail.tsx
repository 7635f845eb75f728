import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type Occurrence } from "../api";
import { useData } from "../hooks";
import { useLiveRefresh } from "../live";
import { Waterfall } from "../components/Waterfall";
import { ReportedDetails } from "../components/Reported";
import { DeliveryTable } from "../components/Alerts";
import { NotFound } from "../components/NotFound";
import { ResolveDialog } from "../components/ResolveDialog";
import { FixedBefore, ResolutionCard } from "../components/Resolution";
import { Suggestions } from "../components/Suggestions";
import { StackTrace } from "../components/StackTrace";
import { Timeline } from "../components/Timeline";
import { ago, operationLine, urlId } from "../util";

const HOUR = 3600 * 1000;
const RANGES: Record<string, number> = { "1h": HOUR, "24h": 24 * HOUR, "7d": 7 * 24 * HOUR, "30d": 30 * 24 * HOUR };

export function ErrorDetailPage() {
  const raw = useParams().id ?? "";
  const id = urlId(raw) ?? 0;
  const [range, setRange] = useState("24h");
  const since = useMemo(() => new Date(Date.now() - RANGES[range]).toISOString(), [range]);
  const detail = useData(() => api.error(id), [id]);
  const occurrences = useData(() => api.occurrences(id), [id]);
  const stats = useData(() => api.errorStats(id, since), [id, since]);
  const notes = useData(() => api.errorNotes(id), [id]);
  const alerts = useData(() => api.errorAlerts(id), [id]);
  const [picked, setPicked] = useState<Occurrence | null>(null);
  const [focus, setFocus] = useState<{ span: string; n: number } | undefined>(undefined);
  const [resolving, setResolving] = useState(false);
  // The occurrence being read stays put while new ones arrive; a prompt offers the newest.
  const latestLoaded = detail.data?.latest ?? null;
  useEffect(() => {
    if (latestLoaded) setPicked((p) => p ?? latestLoaded);
  }, [latestLoaded]);
  // Each new occurrence updates the counts, "last seen", the chart and the list in place.
  useLiveRefresh(() => {
    detail.reload();
    occurrences.reload();
    stats.reload();
    alerts.reload();
  }, detail.data?.project_id, id);
  if (id === 0 || detail.missing) return <NotFound what={`Error ${raw}`} />;
  if (detail.error) return <p className="error-text">{detail.error}</p>;
  const e = detail.data;
  if (!e) return <div className="placeholder" style={{ height: 400 }} />;
  const o = picked ?? e.latest;
  const newer = e.latest && o && e.latest.id !== o.id && Date.parse(e.latest.occurred_at) > Date.parse(o.occurred_at) ? e.latest : null;
  // Resolving offers to say how (the dialog); re-opening needs no words.
  const toggle = () => (e.status === "unresolved" ? setResolving(true) : api.setErrorStatus(id, "unresolved").then(detail.reload));
  const resolved = () => {
    setResolving(false);
    detail.reload();
    notes.reload();
  };
  const resolutionNote = e.resolution?.note_id;
  const newNote = o ? `/notes/new?error=${id}&occurrence=${o.id}` : `/notes/new?error=${id}`;
  const showSpan = (span: string) => setFocus((f) => ({ span, n: (f?.n ?? 0) + 1 }));
  const facet = (key: "environment" | "release", list: { name?: string | null; occurrences: number }[] | undefined) => (
    <ul className="bars facet" data-testid={`facet-${key}`}>
      {list?.map((f) => (
        <li key={f.name ?? ""}>
          {f.name ? <Link to={`/errors?${key}=${encodeURIComponent(f.name)}&project=${e.project_id}`}>{f.name}</Link> : <span className="muted">not sent</span>}
          <b>{f.occurrences}</b>
        </li>
      ))}
      {list?.length === 0 && <li className="muted">none in this range</li>}
    </ul>
  );
  return (
    <div className="error-detail">
      <header className="page-head">
        <div>
          <h1><code>{e.exception_type}</code> <span className={`status ${e.status}`} data-testid="error-status">{e.status}</span>{e.regressed && <span className="pill red">regressed</span>}</h1>
          <p className="lead">{e.message}</p>
          <p className="muted" data-testid="error-counts">{e.project} · {e.service} · {e.occurrence_count} occurrences · first {ago(e.first_seen)} · last {ago(e.last_seen)}</p>
        </div>
        <div className="actions">
          <button className="primary" onClick={toggle} data-testid="toggle-status">{e.status === "unresolved" ? "Resolve" : "Reopen"}</button>
          <button className="ghost" disabled={e.status === "ignored"} onClick={() => api.setErrorStatus(id, "ignored").then(detail.reload)}>Ignore</button>
          <Link className="button" to={newNote} data-testid="write-note">Write an error note</Link>
        </div>
      </header>
      {resolving && <ResolveDialog error={e} release={occurrences.data?.[0]?.release ?? null} onResolved={resolved} onClose={() => setResolving(false)} />}
      {e.regressed && e.resolution && <FixedBefore resolution={e.resolution} />}
      {e.resolution && resolutionNote != null && <ResolutionCard resolution={e.resolution} noteId={resolutionNote} current={e.status === "resolved"} />}
      {!o && (
        <section className="card wide" data-testid="expired">
          <h2>Occurrences expired</h2>
          <p className="muted">Every occurrence of this error is older than the retention in force (see Settings) and was deleted with its trace. Its counts and notes are kept, and a new occurrence shows here again.</p>
        </section>
      )}
      {newer && (
        <button className="banner wide" onClick={() => setPicked(newer)} data-testid="newer-occurrence">
          A newer occurrence arrived {ago(newer.occurred_at)} — show it
        </button>
      )}
      {o && (<>
      <section className="card wide">
        <h2>Summary</h2>
        <dl className="summary" data-testid="summary">
          <dt>Type</dt><dd><code>{o.summary.exception_type}</code></dd>
          <dt>Message</dt><dd>{o.summary.message}</dd>
          <dt>Service</dt><dd>{o.summary.service}</dd>
          <dt>Operation</dt><dd data-testid="operation">{operationLine(o.summary.operation)}</dd>
          {o.summary.passed_from && (<><dt>Cause</dt><dd data-testid="passed-from">Passed up from a failed call to <b>{o.summary.passed_from}</b>; see its errors for the cause.</dd></>)}
          <dt>Time</dt><dd>{new Date(o.summary.timestamp).toLocaleString()}</dd>
          <dt>Trace</dt><dd><Link to={`/traces/${o.trace_id}`}><code>{o.trace_id}</code></Link></dd>
          {Object.keys(o.summary.environment).length > 0 && (<><dt>Environment</dt><dd>{Object.entries(o.summary.environment).map(([k, v]) => `${k}=${String(v)}`).join(" · ")}</dd></>)}
        </dl>
        <h3>Flow</h3>
        <ol className="flow">{o.summary.flow.map((step) => <li key={step}>{step.replace(/^\d+\. /, "")}</li>)}</ol>
      </section>
      <section className="card wide">
        <h2>Trace</h2>
        <Waterfall trace={o.trace} focus={focus} />
      </section>
      <section className="card wide">
        <h2>Log</h2>
        {o.log.stacktrace ? (
          <StackTrace key={o.id} text={o.log.stacktrace} spans={o.trace.spans} service={o.summary.service} environment={o.summary.environment} onSpan={showSpan} />
        ) : (
          <pre className="log" data-testid="log">(no stack trace was sent)</pre>
        )}
        {o.log.events.length > 0 && (
          <ul className="events">{o.log.events.map((ev, i) => <li key={i}><code>{ev.name}</code> {Object.entries(ev.attributes).filter(([k]) => k !== "exception.stacktrace").map(([k, v]) => `${k}=${String(v)}`).join(" ")}</li>)}</ul>
        )}
      </section>
      {o.log.reported && (
        <section className="card wide">
          <h2>Reported by the Sentry SDK <small className="muted">{o.log.reported.platform ?? ""} · level {o.log.reported.level ?? "?"}</small></h2>
          <ReportedDetails reported={o.log.reported} />
        </section>
      )}
      </>)}
      <section className="card wide" data-testid="error-occurrences">
        <h2>
          Occurrences{" "}
          <select value={range} onChange={(ev) => setRange(ev.target.value)} aria-label="Time range">
            {Object.keys(RANGES).map((r) => <option key={r} value={r}>Last {r}</option>)}
          </select>
        </h2>
        {stats.data ? <Timeline stats={stats.data} label="Occurrences over time" /> : <div className="placeholder" style={{ height: 136 }} />}
        <div className="two-col">
          <div><h3>Environments</h3>{facet("environment", stats.data?.environments)}</div>
          <div><h3>Releases</h3>{facet("release", stats.data?.releases)}</div>
        </div>
        <h3>Latest occurrences</h3>
        <table className="errors stack occurrences">
          <thead><tr><th>When</th><th>Environment</th><th>Release</th><th>Trace</th><th /></tr></thead>
          <tbody>
            {occurrences.data?.map((x) => (
              <tr key={x.id} className={x.id === o?.id ? "selected" : ""} data-testid="occurrence-row">
                <td className="type" title={x.occurred_at}>{ago(x.occurred_at)}</td>
                <td data-label="Environment">{x.environment ?? "—"}</td>
                <td data-label="Release">{x.release ?? "—"}</td>
                <td data-label="Trace"><Link to={`/traces/${x.trace_id}`}><code>{x.trace_id.slice(0, 12)}…</code></Link></td>
                <td className="row-actions">
                  <button className="ghost" disabled={x.id === o?.id} onClick={() => api.occurrence(x.id).then((occ) => (setPicked(occ), window.scrollTo({ top: 0, behavior: "smooth" })))}>
                    {x.id === o?.id ? "Shown" : "Show"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Suggestions list={notes.data} newNote={newNote} />
      <section className="card" data-testid="error-alerts">
        <h2>Alerts sent</h2>
        <DeliveryTable deliveries={alerts.data ?? []} />
      </section>
    </div>
  );
}

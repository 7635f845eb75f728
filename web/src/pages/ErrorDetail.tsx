import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import { api, type Occurrence } from "../api";
import { useData } from "../hooks";
import { Waterfall } from "../components/Waterfall";
import { ReportedDetails } from "../components/Reported";
import { DeliveryTable } from "../components/Alerts";
import { ago } from "../util";

const REASON: Record<string, string> = { this_error: "Notes on this error", same_type: "Solved before? (same exception type)", text_match: "Mentions this message" };

export function ErrorDetailPage() {
  const id = Number(useParams().id);
  const detail = useData(() => api.error(id), [id]);
  const occurrences = useData(() => api.occurrences(id), [id]);
  const notes = useData(() => api.errorNotes(id), [id]);
  const alerts = useData(() => api.errorAlerts(id), [id]);
  const [picked, setPicked] = useState<Occurrence | null>(null);
  const [copied, setCopied] = useState(false);
  if (detail.error) return <p className="error-text">{detail.error}</p>;
  const e = detail.data;
  if (!e) return <div className="placeholder" style={{ height: 400 }} />;
  const o = picked ?? e.latest;
  const toggle = () => api.setErrorStatus(id, e.status === "unresolved" ? "resolved" : "unresolved").then(detail.reload);
  const copy = () => navigator.clipboard?.writeText(o?.log.stacktrace ?? "").then(() => setCopied(true));
  const newNote = o ? `/notes/new?error=${id}&occurrence=${o.id}` : `/notes/new?error=${id}`;
  return (
    <div className="error-detail">
      <header className="page-head">
        <div>
          <h1><code>{e.exception_type}</code> <span className={`status ${e.status}`} data-testid="error-status">{e.status}</span>{e.regressed && <span className="pill red">regressed</span>}</h1>
          <p className="lead">{e.message}</p>
          <p className="muted">{e.project} · {e.service} · {e.occurrence_count} occurrences · first {ago(e.first_seen)} · last {ago(e.last_seen)}</p>
        </div>
        <div className="actions">
          <button className="primary" onClick={toggle} data-testid="toggle-status">{e.status === "unresolved" ? "Resolve" : "Reopen"}</button>
          {e.status === "unresolved" && <button className="ghost" onClick={() => api.setErrorStatus(id, "ignored").then(detail.reload)}>Ignore</button>}
          <Link className="button" to={newNote} data-testid="write-note">Write an error note</Link>
        </div>
      </header>
      {!o && (
        <section className="card wide" data-testid="expired">
          <h2>Occurrences expired</h2>
          <p className="muted">Every occurrence of this error is older than the retention in force (see Settings) and was deleted with its trace. Its counts and notes are kept, and a new occurrence shows here again.</p>
        </section>
      )}
      {o && (<>
      <section className="card wide">
        <h2>Summary</h2>
        <dl className="summary" data-testid="summary">
          <dt>Type</dt><dd><code>{o.summary.exception_type}</code></dd>
          <dt>Message</dt><dd>{o.summary.message}</dd>
          <dt>Service</dt><dd>{o.summary.service}</dd>
          <dt>Operation</dt><dd>{String(o.summary.operation.name ?? "")}{o.summary.operation.code_function ? ` (${o.summary.operation.code_namespace ?? ""}${o.summary.operation.code_namespace ? "." : ""}${o.summary.operation.code_function})` : ""}</dd>
          <dt>Time</dt><dd>{new Date(o.summary.timestamp).toLocaleString()}</dd>
          <dt>Trace</dt><dd><code>{o.trace_id}</code></dd>
          {Object.keys(o.summary.environment).length > 0 && (<><dt>Environment</dt><dd>{Object.entries(o.summary.environment).map(([k, v]) => `${k}=${String(v)}`).join(" · ")}</dd></>)}
        </dl>
        <h3>Flow</h3>
        <ol className="flow">{o.summary.flow.map((step) => <li key={step}>{step.replace(/^\d+\. /, "")}</li>)}</ol>
      </section>
      <section className="card wide">
        <h2>Trace</h2>
        <Waterfall trace={o.trace} />
      </section>
      <section className="card wide">
        <h2>Log <button className="ghost small" onClick={copy}>{copied ? "Copied" : "Copy"}</button></h2>
        <pre className="log" data-testid="log">{o.log.stacktrace ?? "(no stack trace was sent)"}</pre>
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
      <section className="card">
        <h2>Notes</h2>
        {notes.data?.length === 0 && <p className="muted">No notes yet. <Link to={newNote}>Write the first one.</Link></p>}
        {Object.keys(REASON).map((reason) => {
          const list = notes.data?.filter((n) => n.reason === reason) ?? [];
          return list.length === 0 ? null : (
            <div key={reason}>
              <h3>{REASON[reason]}</h3>
              <ul className="note-list">{list.map(({ note }) => <li key={note.id}><Link to={`/notes/${note.id}`}>{note.title}</Link> <span className="muted">by {note.author}</span></li>)}</ul>
            </div>
          );
        })}
      </section>
      <section className="card" data-testid="error-alerts">
        <h2>Alerts sent</h2>
        <DeliveryTable deliveries={alerts.data ?? []} />
      </section>
      <section className="card">
        <h2>Occurrences</h2>
        <ul className="occurrences">
          {occurrences.data?.map((x) => (
            <li key={x.id}>
              <button className={x.id === o?.id ? "link active" : "link"} onClick={() => api.occurrence(x.id).then(setPicked)}>{ago(x.occurred_at)}</button>{" "}
              <code className="muted">{x.trace_id.slice(0, 12)}…</code>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

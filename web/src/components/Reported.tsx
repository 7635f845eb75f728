import { useState } from "react";
import type { Frame, Reported, ReportedException } from "../api";

/** What a Sentry SDK captured with an error: the exception chain with its frames (the
 *  application's own highlighted, library frames behind a toggle), breadcrumbs, the request,
 *  the user and tags. Only what was sent is shown. */
export function ReportedDetails({ reported }: { reported: Reported }) {
  const request = reported.request as Record<string, unknown> | null | undefined;
  const user = reported.user as Record<string, unknown> | null | undefined;
  const tags = Object.entries(reported.tags ?? {});
  return (
    <div className="reported" data-testid="reported">
      {reported.exceptions.map((e, i) => <ExceptionFrames key={i} exception={e} cause={i > 0} />)}
      {reported.breadcrumbs.length > 0 && (
        <>
          <h3>Breadcrumbs</h3>
          <table className="breadcrumbs" data-testid="breadcrumbs">
            <tbody>
              {reported.breadcrumbs.map((b, i) => {
                const c = b as Record<string, unknown>;
                return (
                  <tr key={i}>
                    <td className="muted">{typeof c.timestamp === "string" ? new Date(c.timestamp).toLocaleTimeString() : typeof c.timestamp === "number" ? new Date(c.timestamp * 1000).toLocaleTimeString() : ""}</td>
                    <td><code>{String(c.category ?? c.type ?? "")}</code></td>
                    <td className={`level ${String(c.level ?? "")}`}>{String(c.level ?? "")}</td>
                    <td>{String(c.message ?? (c.data ? JSON.stringify(c.data) : ""))}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      {request && (
        <>
          <h3>Request</h3>
          <p data-testid="request"><code>{String(request.method ?? "")} {String(request.url ?? "")}</code>{request.query_string ? <code>?{String(request.query_string)}</code> : null}</p>
          {request.headers != null && typeof request.headers === "object" && (
            <dl className="kv">{Object.entries(request.headers as Record<string, unknown>).map(([k, v]) => <Pair key={k} k={k} v={v} />)}</dl>
          )}
        </>
      )}
      {user && (
        <>
          <h3>User</h3>
          <dl className="kv">{Object.entries(user).map(([k, v]) => <Pair key={k} k={k} v={v} />)}</dl>
        </>
      )}
      {tags.length > 0 && (
        <>
          <h3>Tags</h3>
          <p className="tags" data-testid="tags">{tags.map(([k, v]) => <span key={k} className="pill">{k}={String(v)}</span>)}</p>
        </>
      )}
    </div>
  );
}

function Pair({ k, v }: { k: string; v: unknown }) {
  return <><dt>{k}</dt><dd>{typeof v === "object" ? JSON.stringify(v) : String(v)}</dd></>;
}

function ExceptionFrames({ exception, cause }: { exception: ReportedException; cause: boolean }) {
  const [all, setAll] = useState(false);
  const library = exception.frames.filter((f) => f.in_app !== true).length;
  const shown = all ? exception.frames : exception.frames.filter((f) => f.in_app === true);
  return (
    <div className="exception">
      <h3>{cause ? "Caused by " : ""}<code>{exception.type}</code>: {exception.value}</h3>
      <ol className="frames">
        {shown.map((f, i) => <FrameLine key={i} frame={f} />)}
      </ol>
      {library > 0 && (
        <button className="link" onClick={() => setAll(!all)}>{all ? "hide library frames" : `show ${library} library frame${library === 1 ? "" : "s"}`}</button>
      )}
    </div>
  );
}

function FrameLine({ frame: f }: { frame: Frame }) {
  const where = f.abs_path ?? f.filename ?? f.module ?? "";
  return (
    <li className={f.in_app ? "frame in-app" : "frame"}>
      <code>{f.function ?? "?"}</code> <span className="muted">{where}{f.lineno != null ? `:${f.lineno}` : ""}</span>
      {f.in_app && f.context_line && <pre className="context">{f.context_line}</pre>}
    </li>
  );
}

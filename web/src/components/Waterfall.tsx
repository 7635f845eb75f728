import { Fragment, useEffect, useState } from "react";
import type { TraceView } from "../api";
import { duration, serviceColor } from "../util";

/** The trace as a waterfall: one row per span, nested by depth, the failing path marked.
 * `focus` (a span id and a counter, so the same span can be asked for again) opens that span
 * and scrolls to it. Wide traces scroll sideways inside the card on a phone. */
export function Waterfall({ trace, focus }: { trace: TraceView; focus?: { span: string; n: number } }) {
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => {
    if (!focus) return;
    setOpen(focus.span);
    document.getElementById(`span-${focus.span}`)?.scrollIntoView({ behavior: "smooth", block: "center" });
  }, [focus]);
  const total = Math.max(1, trace.duration_us);
  return (
    <div className="waterfall" data-testid="waterfall">
      <div className="legend">
        {trace.services.map((s) => <span key={s}><i style={{ background: serviceColor(s) }} />{s}</span>)}
      </div>
      {trace.truncated && <p className="muted" data-testid="trace-truncated">This trace is large: {trace.truncated}.</p>}
      <div className="span-rows">
      {trace.spans.map((s) => (
        <div key={s.span_id} id={`span-${s.span_id}`}>
          <button
            className={`span-row${s.on_failing_path ? " on-path" : ""}${s.failing ? " failing" : ""}${focus?.span === s.span_id ? " focused" : ""}`}
            onClick={() => setOpen(open === s.span_id ? null : s.span_id)}
            data-testid="span-row"
          >
            <span className="span-name" style={{ paddingLeft: s.depth * 14 }}>
              <i style={{ background: serviceColor(s.service) }} />
              <b>{s.service}</b> {s.name}
            </span>
            <span className="span-bar-track">
              <span
                className={`span-bar${s.status === "error" ? " error" : ""}`}
                style={{ left: `${(s.offset_us / total) * 100}%`, width: `${Math.max(0.5, (s.duration_us / total) * 100)}%`, background: serviceColor(s.service) }}
              />
            </span>
            <span className="span-time">{duration(s.duration_us)}</span>
          </button>
          {open === s.span_id && (
            <div className="span-detail">
              <dl>
                <dt>kind</dt><dd>{s.kind}</dd>
                <dt>status</dt><dd>{s.status}{s.status_message && ` — ${s.status_message}`}</dd>
                {Object.entries(s.attributes).map(([k, v]) => (
                  <Fragment key={k}><dt>{k}</dt><dd>{JSON.stringify(v)}</dd></Fragment>
                ))}
              </dl>
            </div>
          )}
        </div>
      ))}
      </div>
    </div>
  );
}

import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { useLive, type LiveEvent } from "../live";
import { fixedBeforeShort } from "../resolution";

/** A toast for each new or regressed error, gone after eight seconds or when dismissed. They
 * sit bottom left, away from the row buttons on the right (on a phone, under the nav). A
 * regression that was fixed before says by whom and in which release: the first clue. */
export function Toasts() {
  const { events } = useLive();
  const [shown, setShown] = useState<LiveEvent[]>([]);
  const last = events[events.length - 1];
  useEffect(() => {
    if (!last || last.kind === "error.status") return;
    setShown((s) => [...s, last]);
    const t = setTimeout(() => setShown((s) => s.filter((e) => e !== last)), 8000);
    return () => clearTimeout(t);
  }, [last]);
  return (
    <div className="toasts">
      {shown.map((e) => (
        <div key={e.id} className="toast-row">
          <Link to={`/errors/${e.error.id}`} className="toast" data-testid="toast">
            <strong>{e.kind === "error.new" ? "New error" : "Regression"}</strong> in {e.error.service}:{" "}
            {e.error.exception_type} — {e.error.message}
            {e.kind === "error.regressed" && e.error.resolution && <small className="toast-fixed" data-testid="toast-fixed-before">{fixedBeforeShort(e.error.resolution)}</small>}
          </Link>
          <button className="ghost toast-close" aria-label="Dismiss" onClick={() => setShown((s) => s.filter((x) => x !== e))}>×</button>
        </div>
      ))}
    </div>
  );
}

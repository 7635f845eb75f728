import { useState } from "react";
import { api } from "../api";
import { useData } from "../hooks";
import { ForceGraph } from "./ForceGraph";

/** The notes, tags and errors around one note, one or two steps away, the note itself marked.
 * `revision` reloads it when the note changes. */
export function LocalGraph({ noteId, revision }: { noteId: number; revision: number }) {
  const [depth, setDepth] = useState<1 | 2>(2);
  const graph = useData(() => api.localGraph(noteId, depth), [noteId, depth, revision]);
  return (
    <section className="card local-graph" data-testid="local-graph">
      <header className="card-head">
        <h2>Local graph</h2>
        <div className="segmented" role="group" aria-label="Depth">
          {([1, 2] as const).map((d) => (
            <button key={d} type="button" className={d === depth ? "active" : undefined} aria-pressed={d === depth} onClick={() => setDepth(d)}>
              Depth {d}
            </button>
          ))}
        </div>
      </header>
      {graph.error && <p className="error-text">{graph.error}</p>}
      {graph.data && graph.data.nodes.length <= 1 && <p className="muted small">No links or tags yet.</p>}
      {graph.data && graph.data.nodes.length > 1 && (
        <>
          <ForceGraph graph={graph.data} compact current={`note:${noteId}`} />
          <p className="muted small">Click a node or press Enter on it to open it; Ctrl + wheel or pinch zooms.</p>
        </>
      )}
    </section>
  );
}

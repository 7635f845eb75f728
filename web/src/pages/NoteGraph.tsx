import { api, type User } from "../api";
import { ForceGraph } from "../components/ForceGraph";
import { useData, useUrlFilters } from "../hooks";

export function NoteGraphPage({ user }: { user: User }) {
  void user;
  const [params, set] = useUrlFilters();
  const scope = params.get("scope") === "all" ? "all" : "mine";
  const tag = params.get("tag") ?? "";
  const graph = useData(() => api.graph(scope, tag || undefined), [scope, tag]);
  const tags = useData(() => api.tags(), []);
  return (
    <div>
      <header className="page-head">
        <h1>Knowledge graph</h1>
        <div className="filters">
          <select value={scope} onChange={(e) => set("scope", e.target.value)} aria-label="Scope" data-testid="graph-scope">
            <option value="mine">My notes</option><option value="all">All notes</option>
          </select>
          <select value={tag} onChange={(e) => set("tag", e.target.value)} aria-label="Tag">
            <option value="">Any tag</option>
            {tags.data?.map((t) => <option key={t.tag} value={t.tag}>#{t.tag}</option>)}
          </select>
        </div>
      </header>
      <p className="muted small">
        Drag a node to move it, the background to pan; wheel to zoom, Fit to see everything. Click a node (or Tab to it and press Enter) to open it.
        Shift-click two of your notes to link them; click a link to remove it.
      </p>
      {graph.data && <ForceGraph graph={graph.data} onChange={graph.reload} />}
      <p className="legend-row"><span className="dot mine" /> my notes <span className="dot others" /> others' notes <span className="dot tag" /> tags <span className="dot error" /> errors</p>
    </div>
  );
}

import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import { forceCenter, forceCollide, forceLink, forceManyBody, forceSimulation, type SimulationLinkDatum, type SimulationNodeDatum } from "d3-force";
import { api, type Graph, type GraphEdge, type GraphNode, type User } from "../api";
import { useData, useUrlFilters } from "../hooks";

type Node = GraphNode & SimulationNodeDatum;
type Edge = SimulationLinkDatum<Node> & { kind: GraphEdge["kind"]; key: string };

const W = 900, H = 600;

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
      <p className="muted small">Drag to move, wheel to zoom, click a note to open it. Shift-click two of your notes to link them; click a link to remove it.</p>
      {graph.data && <ForceGraph graph={graph.data} onChange={graph.reload} />}
      <p className="legend-row"><span className="dot mine" /> my notes <span className="dot others" /> others' notes <span className="dot tag" /> tags <span className="dot error" /> errors</p>
    </div>
  );
}

function ForceGraph({ graph, onChange }: { graph: Graph; onChange: () => void }) {
  const navigate = useNavigate();
  const [, setTick] = useState(0);
  // Small graphs start zoomed in so their labels are readable.
  const [zoom, setZoom] = useState(() => (graph.nodes.length < 12 ? 1.8 : graph.nodes.length < 40 ? 1.3 : 1));
  const [selected, setSelected] = useState<string[]>([]);
  const [message, setMessage] = useState("");
  const sim = useRef<{ nodes: Node[]; edges: Edge[] } | null>(null);
  const drag = useRef<Node | null>(null);
  const svg = useRef<SVGSVGElement>(null);

  useEffect(() => {
    const nodes: Node[] = graph.nodes.map((n) => ({ ...n }));
    const edges: Edge[] = graph.edges.map((e) => ({ source: e.source, target: e.target, kind: e.kind, key: `${e.source}>${e.target}>${e.kind}` }));
    sim.current = { nodes, edges };
    const s = forceSimulation(nodes)
      .force("link", forceLink<Node, Edge>(edges).id((d) => d.id).distance(70))
      .force("charge", forceManyBody().strength(-220))
      .force("center", forceCenter(W / 2, H / 2))
      .force("collide", forceCollide(24))
      .on("tick", () => setTick((t) => t + 1));
    return () => {
      s.stop();
    };
  }, [graph]);

  const point = (e: React.PointerEvent) => {
    const r = svg.current!.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * W / zoom + (W - W / zoom) / 2, y: ((e.clientY - r.top) / r.height) * H / zoom + (H - H / zoom) / 2 };
  };
  const click = async (n: Node, e: React.MouseEvent) => {
    if (n.kind !== "note") return;
    if (!e.shiftKey) return navigate(`/notes/${n.id.slice(5)}`);
    const next = selected.includes(n.id) ? selected.filter((x) => x !== n.id) : [...selected, n.id].slice(-2);
    setSelected(next);
    if (next.length === 2) {
      try {
        await api.addLink(Number(next[0].slice(5)), Number(next[1].slice(5)));
        setMessage("Linked.");
        setSelected([]);
        onChange();
      } catch (err) {
        setMessage(`Cannot link: ${(err as Error).message}`);
      }
    }
  };
  const removeEdge = async (e: Edge) => {
    const s = (e.source as Node).id, t = (e.target as Node).id;
    if (e.kind !== "link" || !window.confirm(`Remove the link from “${(e.source as Node).label}” to “${(e.target as Node).label}”?`)) return;
    try {
      await api.removeLink(Number(s.slice(5)), Number(t.slice(5)));
      onChange();
    } catch (err) {
      setMessage(`Cannot remove: ${(err as Error).message}`);
    }
  };
  const data = sim.current;
  const vb = `${(W - W / zoom) / 2} ${(H - H / zoom) / 2} ${W / zoom} ${H / zoom}`;
  return (
    <>
      {message && <p className="muted">{message}</p>}
      <svg
        ref={svg}
        className="graph"
        viewBox={vb}
        data-testid="note-graph"
        onWheel={(e) => setZoom((z) => Math.min(4, Math.max(0.3, z * (e.deltaY < 0 ? 1.1 : 0.9))))}
        onPointerMove={(e) => {
          if (drag.current) {
            const p = point(e);
            drag.current.fx = p.x;
            drag.current.fy = p.y;
            setTick((t) => t + 1);
          }
        }}
        onPointerUp={() => {
          if (drag.current) drag.current.fx = drag.current.fy = null;
          drag.current = null;
        }}
      >
        {data?.edges.map((e) => {
          const s = e.source as Node, t = e.target as Node;
          return <line key={e.key} x1={s.x} y1={s.y} x2={t.x} y2={t.y} className={`g-edge ${e.kind}`} onClick={() => removeEdge(e)} />;
        })}
        {data?.nodes.map((n) => (
          <g
            key={n.id}
            transform={`translate(${n.x ?? 0},${n.y ?? 0})`}
            className={`g-node ${n.kind} ${n.mine ? "mine" : "others"}${selected.includes(n.id) ? " selected" : ""}`}
            onPointerDown={() => (drag.current = n)}
            onClick={(e) => click(n, e)}
            data-testid={`graph-node-${n.id}`}
          >
            <circle r={6 + Math.min(14, n.degree * 2)} />
            <text y={-12 - Math.min(14, n.degree * 2)} textAnchor="middle">{n.label}</text>
          </g>
        ))}
      </svg>
    </>
  );
}

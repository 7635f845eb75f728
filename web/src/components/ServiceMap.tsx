import type { KeyboardEvent } from "react";
import { useNavigate } from "react-router-dom";
import type { MapEdge, MapNode, ServiceMap as Map_ } from "../api";
import { query } from "../api";
import { layers } from "../util";

/** Short badges per service kind; plain text, so every font has them. */
const KIND_BADGE: Record<string, string> = {
  python: "PY", java: "JV", node: "JS", go: "GO", rust: "RS", dotnet: ".N", ruby: "RB", php: "PHP",
  database: "DB", cache: "C", queue: "Q", gateway: "GW", browser: "WEB", external: "EXT", other: "•",
};

const W = 170, H = 64, GX = 150, GY = 36;
/** Room under a box for its notes line, inside the gap to the box below. */
const NOTES_Y = H + 16;

/** What an edge says: calls, failures, latency; two short lines. */
function edgeLabel(e: MapEdge): [string, string] {
  return [`${e.calls} ${e.calls === 1 ? "call" : "calls"}${e.errors ? ` · ${e.errors} failed` : ""}`, `p95 ${e.p95_ms}ms`];
}

/** Activates on click and on Enter or Space, as a link does. */
function linkProps(label: string, go: () => void) {
  return {
    role: "link",
    tabIndex: 0,
    "aria-label": label,
    onClick: go,
    onKeyDown: (e: KeyboardEvent) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        go();
      }
    },
  };
}

/** What is known about why a red service is red: its notes, one click from the map (the
 * newest; the others are named in the tooltip and on its errors' pages). Drawn under the
 * box, not in it, as the box itself opens the service's errors. */
function NotesMark({ node, x, y, open }: { node: MapNode; x: number; y: number; open: (id: number) => void }) {
  const [first] = node.notes;
  const label = `${node.notes.length} ${node.notes.length === 1 ? "note" : "notes"}`;
  return (
    <text x={x + 12} y={y + NOTES_Y} className="node-notes" data-testid={`map-node-notes-${node.id}`}
      {...linkProps(`${label} on the errors of ${node.id}: open “${first.title}”`, () => open(first.id))}>
      <title>{node.notes.map((n) => n.title).join("\n")}</title>
      ✎ {label}
    </text>
  );
}

/**
 * Services as boxes, calls as arrows left to right, drawn at their natural size (the card
 * scrolls sideways when narrower), so labels stay readable. A service is red while an error it
 * caused itself is unresolved; the failing edge into it is red. A peer that sends no spans (a
 * database, a service without an agent, one that refused the connection) is a dashed box. A
 * node opens its errors (or, for a peer, the calls to it); an edge, the traces of its calls
 * over the map's range (from `since`). A red service with notes on its errors shows how many
 * under its box, opening the newest.
 */
export function ServiceMap({ map, project, since }: { map: Map_; project: number; since: string }) {
  const navigate = useNavigate();
  if (map.nodes.length === 0) return <p className="muted">No services yet. Register one in Settings and send traces.</p>;
  const depth = layers(map.nodes.map((n) => n.id), map.edges);
  const columns = new Map<number, string[]>();
  for (const n of map.nodes) {
    const d = depth.get(n.id) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), n.id]);
  }
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, ids] of columns) ids.forEach((id, i) => pos.set(id, { x: 10 + d * (W + GX), y: 24 + i * (H + GY) }));
  const width = 20 + Math.max(...[...columns.keys()].map((d) => d + 1)) * (W + GX) - GX;
  const noted = map.nodes.filter((n) => n.unresolved && n.notes.length > 0);
  // The bottom row's notes line needs room below the last box.
  const height = 34 + Math.max(...[...columns.values()].map((c) => c.length)) * (H + GY) - GY + (noted.length > 0 ? NOTES_Y - H : 0);
  const curve = (e: MapEdge) => {
    const a = pos.get(e.caller)!, b = pos.get(e.callee)!;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    return { x1, y1, x2, y2, d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}` };
  };
  // The traces behind the map, over the map's own time range.
  const traces = (params: Record<string, string | number>) => navigate(`/traces${query({ project, ...params, since })}`);
  // An edge opens the traces of its calls: the failed ones when some failed.
  const edgeTraces = (e: MapEdge) => traces({ caller: e.caller, callee: e.callee, ...(e.errors > 0 ? { failing: "true" } : {}) });
  return (
    <div className="map-scroll">
      <svg className="service-map" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Service map">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
          </marker>
          <marker id="arrow-red" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="arrow-head red" />
          </marker>
        </defs>
        {map.edges.map((e) => {
          const c = curve(e);
          const cls = e.culprit ? "edge culprit" : e.errors > 0 ? "edge failing" : "edge";
          const go = () => edgeTraces(e);
          return (
            <g key={`${e.caller}>${e.callee}`} className={cls} data-testid={`map-edge-${e.caller}-${e.callee}`} data-culprit={e.culprit}
              {...linkProps(`${e.caller} to ${e.callee}: ${edgeLabel(e).join(", ")}`, go)}>
              <path d={c.d} className="hit" />
              <path d={c.d} markerEnd={e.culprit ? "url(#arrow-red)" : "url(#arrow)"} />
            </g>
          );
        })}
        {map.nodes.map((n) => {
          const p = pos.get(n.id)!;
          const go = () => (n.traced ? navigate(`/errors${query({ project, service: n.id })}`) : traces({ callee: n.id }));
          const cls = `node${n.unresolved ? " unresolved" : ""}${n.traced ? "" : " untraced"}`;
          return (
            <g key={n.id} transform={`translate(${p.x},${p.y})`} className={cls} data-testid={`map-node-${n.id}`} data-unresolved={n.unresolved}
              {...linkProps(n.traced ? `Errors of ${n.id}` : `Calls to ${n.id}, which sends no spans`, go)}>
              <title>{n.traced ? `${n.id}: open its errors` : `${n.id} sends no spans: open the calls to it`}</title>
              <rect width={W} height={H} rx={10} />
              <text x={12} y={26} className="node-title">
                <tspan className="node-kind">{KIND_BADGE[n.kind ?? ""] ?? (n.traced ? "•" : "EXT")}</tspan> {n.id.length > 17 ? `${n.id.slice(0, 16)}…` : n.id}
              </text>
              <text x={12} y={48} className="node-sub">{n.traced ? `${n.requests} req · ${n.errors} err` : `no spans · ${n.requests} calls`}</text>
            </g>
          );
        })}
        {noted.map((n) => <NotesMark key={n.id} node={n} {...pos.get(n.id)!} open={(id) => navigate(`/notes/${id}`)} />)}
        {/* Labels last, on a halo: readable even where an edge passes behind a box. */}
        {map.edges.map((e) => {
          const c = curve(e);
          const [top, bottom] = edgeLabel(e);
          const x = (c.x1 + c.x2) / 2, y = (c.y1 + c.y2) / 2;
          return (
            <text key={`${e.caller}>${e.callee}`} x={x} y={y - 16} textAnchor="middle" className={`edge-label${e.culprit ? " culprit" : ""}`} aria-hidden="true"
              onClick={() => edgeTraces(e)} data-testid={`map-edge-label-${e.caller}-${e.callee}`}>
              <tspan x={x}>{top}</tspan>
              <tspan x={x} dy={13}>{bottom}</tspan>
            </text>
          );
        })}
      </svg>
    </div>
  );
}

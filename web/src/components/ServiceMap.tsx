import type { ServiceMap as Map_ } from "../api";
import { layers } from "../util";

/** Short badges per service kind; plain text, so every font has them. */
const KIND_BADGE: Record<string, string> = {
  python: "PY", java: "JV", node: "JS", go: "GO", rust: "RS", dotnet: ".N", ruby: "RB", php: "PHP",
  database: "DB", cache: "C", queue: "Q", gateway: "GW", browser: "WEB", external: "EXT", other: "•",
};

/** Services as boxes, calls as arrows left to right; red while an error is unresolved. */
export function ServiceMap({ map }: { map: Map_ }) {
  if (map.nodes.length === 0) return <p className="muted">No services yet. Register one in Settings and send traces.</p>;
  const depth = layers(map.nodes.map((n) => n.id), map.edges);
  const columns = new Map<number, string[]>();
  for (const n of map.nodes) {
    const d = depth.get(n.id) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), n.id]);
  }
  const W = 170, H = 64, GX = 90, GY = 28;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, ids] of columns) ids.forEach((id, i) => pos.set(id, { x: 10 + d * (W + GX), y: 10 + i * (H + GY) }));
  const width = 20 + Math.max(...[...columns.keys()].map((d) => d + 1)) * (W + GX) - GX;
  const height = 20 + Math.max(...[...columns.values()].map((c) => c.length)) * (H + GY) - GY;
  return (
    <svg className="service-map" viewBox={`0 0 ${width} ${height}`} style={{ maxHeight: height }} role="img" aria-label="Service map">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
        </marker>
      </defs>
      {map.edges.map((e) => {
        const a = pos.get(e.caller)!, b = pos.get(e.callee)!;
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
        return (
          <g key={`${e.caller}>${e.callee}`} className={e.errors > 0 ? "edge failing" : "edge"}>
            <path d={`M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`} markerEnd="url(#arrow)" />
            <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 6} textAnchor="middle">{e.calls} {e.calls === 1 ? "call" : "calls"}{e.errors ? ` · ${e.errors} err` : ""} · p95 {e.p95_ms}ms</text>
          </g>
        );
      })}
      {map.nodes.map((n) => {
        const p = pos.get(n.id)!;
        return (
          <g key={n.id} transform={`translate(${p.x},${p.y})`} className={n.unresolved ? "node unresolved" : "node"} data-testid={`map-node-${n.id}`} data-unresolved={n.unresolved}>
            <rect width={W} height={H} rx={10} />
            <text x={12} y={26} className="node-title">
              <tspan className="node-kind">{KIND_BADGE[n.kind ?? ""] ?? (n.traced ? "•" : "EXT")}</tspan> {n.id}
            </text>
            <text x={12} y={48} className="node-sub">{n.requests} req · {n.errors} err</text>
          </g>
        );
      })}
    </svg>
  );
}

import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import { useNavigate } from "react-router-dom";
import { api, type Graph } from "../api";
import { fitView, labelWidth, nodeHref, noteIdOf, placeLabels, viewAround, zoomView, type Point, type View } from "../graph/layout";
import { removeNoteLink } from "../graph/unlink";
import { ends, useForceLayout, type SimEdge, type SimNode } from "../graph/useForceLayout";
import { useElementSize } from "../hooks";

// Labels keep this screen size at any zoom, so zooming in makes room for more of them.
const LABEL_PX = 12;
const LONGEST_LABEL = 40;
const KIND_NAME: Record<string, string> = { note: "Note", tag: "Tag", error: "Error" };

type Gesture =
  | { kind: "pan"; x: number; y: number; view: View; scale: number }
  | { kind: "node"; node: SimNode; x: number; y: number; moved: boolean };

const short = (label: string) => (label.length > LONGEST_LABEL ? `${label.slice(0, LONGEST_LABEL - 1)}…` : label);

/**
 * Notes, tags and errors as a force-directed graph. Drag a node to move it, drag the
 * background to pan, wheel to zoom (with Ctrl, or pinch, when `compact`: the page scrolls
 * past it), Fit to see everything; it fits itself once the layout settles. A node opens on
 * click or Enter. With `onChange`, shift-click (or Shift+Enter) two notes to link them and
 * click a link to remove it; `onChange` is called when the graph changed. `current` is drawn
 * as the note being read.
 */
export function ForceGraph({ graph, compact = false, current, onChange }: { graph: Graph; compact?: boolean; current?: string; onChange?: () => void }) {
  const navigate = useNavigate();
  const svg = useRef<SVGSVGElement>(null);
  const size = useElementSize(svg);
  const aspect = size ? size.w / size.h : 1.5;
  const [view, setView] = useState<View | null>(null);
  // Once the user zooms or pans, the view is theirs: no more automatic fitting.
  const touched = useRef(false);
  const gesture = useRef<Gesture | null>(null);
  const dragged = useRef(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [message, setMessage] = useState("");
  const layout = useForceLayout(graph, () => touched.current || fit());
  const fit = () => {
    const v = layout && fitView(layout.nodes, aspect, 30, Math.min(layout.canvas.w, compact ? 360 : 480));
    if (v) setView(v);
  };
  const nodeIds = graph.nodes.map((n) => n.id).join(" ");
  useEffect(() => {
    touched.current = false;
  }, [nodeIds]);

  const shown = view ?? viewAround({ x: 0, y: 0, ...(layout?.canvas ?? { w: 900, h: 600 }) }, aspect);
  const shownRef = useRef(shown);
  shownRef.current = shown;
  const scale = size ? Math.min(size.w / shown.w, size.h / shown.h) : 1;
  const zoomLimits = layout ? ([layout.canvas.w / 20, layout.canvas.w * 2] as const) : ([45, 1800] as const);

  const toGraph = (clientX: number, clientY: number): Point | null => {
    const m = svg.current?.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  };
  const zoom = (factor: number, at?: Point) => {
    const v = shownRef.current;
    touched.current = true;
    setView(zoomView(v, factor, at ?? { x: v.x + v.w / 2, y: v.y + v.h / 2 }, ...zoomLimits));
  };
  const zoomRef = useRef(zoom);
  zoomRef.current = zoom;

  // React listens to wheel passively; zooming must keep the page from scrolling as well.
  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    const wheel = (e: WheelEvent) => {
      if (compact && !e.ctrlKey) return;
      e.preventDefault();
      const m = el.getScreenCTM();
      const p = m && new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
      zoomRef.current(Math.exp(-e.deltaY * 0.002), p ? { x: p.x, y: p.y } : undefined);
    };
    el.addEventListener("wheel", wheel, { passive: false });
    return () => el.removeEventListener("wheel", wheel);
  }, [compact]);

  const select = async (n: SimNode) => {
    const next = selected.includes(n.id) ? selected.filter((x) => x !== n.id) : [...selected, n.id].slice(-2);
    setSelected(next);
    if (next.length < 2) return;
    try {
      await api.addLink(noteIdOf(next[0])!, noteIdOf(next[1])!);
      setMessage("Linked.");
      setSelected([]);
      onChange?.();
    } catch (err) {
      setMessage(`Cannot link: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const open = (n: SimNode, shift: boolean) => {
    if (shift && onChange && n.kind === "note") return void select(n);
    const href = nodeHref(n);
    if (href) navigate(href);
  };
  const unlink = async (e: SimEdge) => {
    const [s, t] = ends(e);
    const said = await removeNoteLink({ id: noteIdOf(s.id)!, title: s.label }, { id: noteIdOf(t.id)!, title: t.label }, (q) => window.confirm(q));
    if (!said) return;
    setMessage(said.message);
    if (said.removed) onChange?.();
  };

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    dragged.current = false;
    if (e.target === svg.current) gesture.current = { kind: "pan", x: e.clientX, y: e.clientY, view: shown, scale };
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const g = gesture.current;
    if (g?.kind === "pan") {
      touched.current = true;
      setView({ ...g.view, x: g.view.x - (e.clientX - g.x) / g.scale, y: g.view.y - (e.clientY - g.y) / g.scale });
    } else if (g?.kind === "node" && layout) {
      if (!g.moved && Math.hypot(e.clientX - g.x, e.clientY - g.y) < 4) return;
      if (!g.moved) layout.sim.alphaTarget(0.3).restart();
      g.moved = dragged.current = true;
      const p = toGraph(e.clientX, e.clientY);
      if (p) [g.node.fx, g.node.fy] = [p.x, p.y];
    }
  };
  const endGesture = () => {
    const g = gesture.current;
    if (g?.kind === "node" && g.moved) {
      g.node.fx = g.node.fy = null;
      layout?.sim.alphaTarget(0);
    }
    gesture.current = null;
  };

  const labels = layout
    ? placeLabels(
        layout.nodes.map((n) => {
          const font = LABEL_PX / scale;
          const priority = n.id === current ? Infinity : selected.includes(n.id) ? 1e6 : n.degree;
          return { id: n.id, x: n.x, y: n.y - n.r - 4 / scale - font * 0.4, w: labelWidth(short(n.label), font), h: font * 1.2, priority };
        }),
        3 / scale,
      )
    : new Set<string>();
  const edgeKeys = (e: SimEdge) => (ev: KeyboardEvent) => {
    if (ev.key !== "Enter" && ev.key !== " " && ev.key !== "Delete") return;
    ev.preventDefault();
    void unlink(e);
  };

  return (
    <div className={compact ? "graph-wrap compact" : "graph-wrap"}>
      <div className="graph-tools">
        <button type="button" onClick={() => zoom(1.25)} aria-label="Zoom in">+</button>
        <button type="button" onClick={() => zoom(0.8)} aria-label="Zoom out">−</button>
        <button type="button" onClick={() => ((touched.current = false), fit())} data-testid="graph-fit">Fit</button>
      </div>
      <svg
        ref={svg}
        className="graph"
        viewBox={`${shown.x} ${shown.y} ${shown.w} ${shown.h}`}
        data-testid="note-graph"
        // Shift-click selects notes to link; without this it would also select the page's text.
        onMouseDown={(e) => e.shiftKey && e.preventDefault()}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endGesture}
        onPointerLeave={endGesture}
      >
        {layout?.edges.map((e) => {
          const [s, t] = ends(e);
          const line = <line x1={s.x} y1={s.y} x2={t.x} y2={t.y} className={`g-edge ${e.kind}`} />;
          if (!onChange || e.kind !== "link") return <g key={e.key}>{line}</g>;
          return (
            <g key={e.key} className="g-link" role="button" tabIndex={0} aria-label={`Remove the link from ${s.label} to ${t.label}`} onClick={() => unlink(e)} onKeyDown={edgeKeys(e)} data-testid={`graph-edge-${s.id}-${t.id}`}>
              <line x1={s.x} y1={s.y} x2={t.x} y2={t.y} className="g-edge-hit" />
              {line}
            </g>
          );
        })}
        {layout?.nodes.map((n) => (
          <g
            key={n.id}
            transform={`translate(${n.x},${n.y})`}
            className={`g-node ${n.kind} ${n.mine ? "mine" : "others"}${selected.includes(n.id) ? " selected" : ""}${n.id === current ? " current" : ""}`}
            role="link"
            tabIndex={0}
            aria-label={`${KIND_NAME[n.kind] ?? n.kind} ${n.kind === "tag" ? "#" : ""}${n.label}${n.id === current ? " (this note)" : ""}`}
            onPointerDown={(e) => (gesture.current = { kind: "node", node: n, x: e.clientX, y: e.clientY, moved: false })}
            onClick={(e) => !dragged.current && open(n, e.shiftKey)}
            onKeyDown={(e) => e.key === "Enter" && open(n, e.shiftKey)}
            data-testid={`graph-node-${n.id}`}
          >
            <title>{n.label}</title>
            <circle r={n.r} />
            <text y={-(n.r + 4 / scale)} fontSize={LABEL_PX / scale} textAnchor="middle" className={labels.has(n.id) ? undefined : "hidden"}>
              {short(n.label)}
            </text>
          </g>
        ))}
      </svg>
      <p className="muted graph-message" role="status">{message}</p>
    </div>
  );
}

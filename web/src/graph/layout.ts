// The knowledge graph's geometry, apart from React and d3: the canvas the layout keeps nodes
// on, the view that shows them all, zooming about a point, which labels fit, where a node leads.

export type View = { x: number; y: number; w: number; h: number };
export type Point = { x: number; y: number };

/** `value` kept within [lo, hi]. */
export function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** The canvas nodes are kept on: 900 × 600 up to 40 nodes, growing with the square root of the
 * count beyond, so a large graph spreads out instead of piling up against the edges. */
export function canvasFor(nodes: number): { w: number; h: number } {
  const k = Math.max(1, Math.sqrt(nodes / 40));
  return { w: 900 * k, h: 600 * k };
}

/** The smallest view of ratio `aspect` (width / height) around `box`, centred on it. */
export function viewAround(box: View, aspect: number): View {
  const w = Math.max(box.w, box.h * aspect);
  const h = w / aspect;
  return { x: box.x + box.w / 2 - w / 2, y: box.y + box.h / 2 - h / 2, w, h };
}

/** The view showing every node (centre and radius) with `pad` around it, of ratio `aspect`
 * and at least `minWidth` wide, so a lone node is not blown up to fill the screen. */
export function fitView(nodes: { x: number; y: number; r: number }[], aspect: number, pad: number, minWidth: number): View | null {
  if (nodes.length === 0) return null;
  const x0 = Math.min(...nodes.map((n) => n.x - n.r)) - pad, x1 = Math.max(...nodes.map((n) => n.x + n.r)) + pad;
  const y0 = Math.min(...nodes.map((n) => n.y - n.r)) - pad, y1 = Math.max(...nodes.map((n) => n.y + n.r)) + pad;
  const w = Math.max(x1 - x0, minWidth);
  return viewAround({ x: (x0 + x1) / 2 - w / 2, y: y0, w, h: y1 - y0 }, aspect);
}

/** `view` zoomed by `factor` (above 1 zooms in) about `at`, which stays where it is on
 * screen; the width is kept within [minW, maxW]. */
export function zoomView(view: View, factor: number, at: Point, minW: number, maxW: number): View {
  const w = clamp(view.w / factor, minW, maxW);
  const k = w / view.w;
  return { x: at.x - (at.x - view.x) * k, y: at.y - (at.y - view.y) * k, w, h: view.h * k };
}

/** About how wide `text` is at `fontSize` in the UI's sans-serif: CJK and other wide
 * characters take a full em, the rest a bit over half. */
export function labelWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const c of text) em += c.codePointAt(0)! >= 0x2e80 ? 1 : 0.58;
  return em * fontSize;
}

/** A label's box (centre and size) and how much it matters. */
export type LabelBox = { id: string; x: number; y: number; w: number; h: number; priority: number };

/** The labels to show: taken greedily, highest priority first (ties in the given order); a
 * label whose box would overlap one already taken, `gap` included, is left out. */
export function placeLabels(labels: LabelBox[], gap: number): Set<string> {
  const taken: LabelBox[] = [];
  const overlaps = (a: LabelBox, b: LabelBox) => Math.abs(a.x - b.x) * 2 < a.w + b.w + 2 * gap && Math.abs(a.y - b.y) * 2 < a.h + b.h + 2 * gap;
  for (const l of [...labels].sort((a, b) => b.priority - a.priority)) if (!taken.some((t) => overlaps(t, l))) taken.push(l);
  return new Set(taken.map((t) => t.id));
}

/** A note's id from its graph node id (`note:12`), or null for a tag or an error. */
export function noteIdOf(nodeId: string): number | null {
  return nodeId.startsWith("note:") ? Number(nodeId.slice(5)) : null;
}

/** The page a node opens: the note, the notes with the tag, the error. */
export function nodeHref(node: { id: string; kind: string }): string | null {
  const rest = node.id.slice(node.id.indexOf(":") + 1);
  if (node.kind === "note") return `/notes/${rest}`;
  if (node.kind === "tag") return `/notes?tag=${encodeURIComponent(rest)}`;
  if (node.kind === "error") return `/errors/${rest}`;
  return null;
}

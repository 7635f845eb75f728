// The force layout of the knowledge graph: d3-force moves the nodes, React draws each tick.

import { useEffect, useRef, useState } from "react";
import { forceCenter, forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type Simulation, type SimulationLinkDatum, type SimulationNodeDatum } from "d3-force";
import type { Graph, GraphNode } from "../api";
import { canvasFor, clamp } from "./layout";

export type SimNode = GraphNode & SimulationNodeDatum & { x: number; y: number; r: number };
export type SimEdge = SimulationLinkDatum<SimNode> & { kind: string; key: string };
export type Layout = { nodes: SimNode[]; edges: SimEdge[]; canvas: { w: number; h: number }; sim: Simulation<SimNode, SimEdge> };

/** The ends of an edge once the simulation has put its nodes in place of their ids. */
export function ends(e: SimEdge): [SimNode, SimNode] {
  return [e.source as SimNode, e.target as SimNode];
}

/** Bigger for nodes with more edges. */
export const radius = (degree: number) => 6 + Math.min(14, degree * 2);

// Below this the layout barely moves: time to fit it in view.
const SETTLED = 0.05;
// Room kept between a node and the canvas edge, for its circle and some of its label.
const MARGIN = 24;

/**
 * Lays out `graph`, calling `onSettled` once it has mostly settled. Nodes keep their places
 * across reloads of the graph (after linking), so a change does not reshuffle the picture;
 * every node is kept on the canvas, so one without links cannot drift out of sight.
 */
export function useForceLayout(graph: Graph, onSettled: () => void): Layout | null {
  const [layout, setLayout] = useState<Layout | null>(null);
  const [, setTick] = useState(0);
  const places = useRef(new Map<string, { x: number; y: number }>());
  const settled = useRef(onSettled);
  settled.current = onSettled;

  useEffect(() => {
    const canvas = canvasFor(graph.nodes.length);
    // New nodes start on d3's own phyllotaxis spiral, around the canvas centre.
    const turn = Math.PI * (3 - Math.sqrt(5));
    const nodes: SimNode[] = graph.nodes.map((n, i) => {
      const was = places.current.get(n.id), r = 10 * Math.sqrt(0.5 + i);
      return { ...n, r: radius(n.degree), x: was?.x ?? canvas.w / 2 + r * Math.cos(i * turn), y: was?.y ?? canvas.h / 2 + r * Math.sin(i * turn) };
    });
    const known = new Set(nodes.map((n) => n.id));
    const edges: SimEdge[] = graph.edges
      .filter((e) => known.has(e.source) && known.has(e.target))
      .map((e) => ({ source: e.source, target: e.target, kind: e.kind, key: `${e.source}>${e.target}>${e.kind}` }));
    let told = false;
    const sim = forceSimulation(nodes)
      .alpha(nodes.every((n) => places.current.has(n.id)) ? 0.3 : 1)
      .alphaDecay(0.03)
      .force("link", forceLink<SimNode, SimEdge>(edges).id((d) => d.id).distance(70))
      .force("charge", forceManyBody().strength(-220))
      .force("center", forceCenter(canvas.w / 2, canvas.h / 2))
      // A weak pull to the middle keeps separate clusters near each other.
      .force("x", forceX(canvas.w / 2).strength(0.06))
      .force("y", forceY(canvas.h / 2).strength(0.06))
      .force("collide", forceCollide<SimNode>((d) => d.r + 6))
      .on("tick", () => {
        for (const n of nodes) {
          n.x = clamp(n.x, MARGIN, canvas.w - MARGIN);
          n.y = clamp(n.y, MARGIN, canvas.h - MARGIN);
          places.current.set(n.id, { x: n.x, y: n.y });
        }
        setTick((t) => t + 1);
        if (!told && sim.alpha() < SETTLED) {
          told = true;
          settled.current();
        }
      });
    setLayout({ nodes, edges, canvas, sim });
    return () => {
      sim.stop();
    };
  }, [graph]);
  return layout;
}

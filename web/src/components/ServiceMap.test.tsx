import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { MemoryRouter } from "react-router-dom";
import type { MapNode, ServiceMap as Map_ } from "../api";
import { ServiceMap } from "./ServiceMap";

function node(id: string, unresolved: boolean, notes: MapNode["notes"]): MapNode {
  return { id, kind: "python", traced: true, requests: 3, errors: unresolved ? 1 : 0, unresolved, notes };
}

const render = (map: Map_) =>
  renderToStaticMarkup(
    <MemoryRouter>
      <ServiceMap map={map} project={1} since="2025-06-01T00:00:00Z" />
    </MemoryRouter>,
  );

describe("ServiceMap", () => {
  it("marks a red service's notes under its box, beside the links it already had", () => {
    const html = render({
      nodes: [node("orders", false, []), node("inventory", true, [{ id: 5, title: "Stock cache" }, { id: 4, title: "Restock job" }])],
      edges: [{ caller: "orders", callee: "inventory", calls: 3, errors: 1, p50_ms: 5, p95_ms: 12, culprit: true }],
    });
    expect(html).toMatch(/data-testid="map-node-notes-inventory"[^>]*>[\s\S]*?2 notes<\/text>/);
    expect(html).toContain("Stock cache\nRestock job");
    expect(html).toContain('data-testid="map-node-inventory"');
    expect(html).toContain('data-testid="map-edge-orders-inventory"');
    expect(html).not.toContain("map-node-notes-orders");
  });

  it("marks no notes on a service that is not red", () => {
    const html = render({ nodes: [node("orders", false, [{ id: 5, title: "Old note" }])], edges: [] });
    expect(html).not.toContain("map-node-notes-");
  });
});

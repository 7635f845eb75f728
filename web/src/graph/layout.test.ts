import { describe, expect, it } from "vitest";
import { canvasFor, clamp, fitView, labelWidth, nodeHref, noteIdOf, placeLabels, zoomView } from "./layout";

describe("graph layout", () => {
  it("keeps values on the canvas, which grows with large graphs", () => {
    expect(clamp(-40, 24, 876)).toBe(24);
    expect(clamp(900, 24, 876)).toBe(876);
    expect(canvasFor(10)).toEqual({ w: 900, h: 600 });
    expect(canvasFor(160)).toEqual({ w: 1800, h: 1200 });
  });

  it("fits every node in view at the screen's ratio", () => {
    const v = fitView([{ x: 100, y: 100, r: 10 }, { x: 300, y: 150, r: 10 }], 2, 20, 100)!;
    expect(v).toEqual({ x: 70, y: 60, w: 260, h: 130 });
    expect(fitView([], 2, 20, 100)).toBeNull();
  });

  it("does not blow a lone node up", () => {
    const v = fitView([{ x: 50, y: 50, r: 6 }], 1.5, 10, 300)!;
    expect(v.w).toBe(300);
    expect(v.x + v.w / 2).toBe(50);
    expect(v.y + v.h / 2).toBe(50);
  });

  it("zooms about the pointer, within limits", () => {
    const v = { x: 0, y: 0, w: 900, h: 600 };
    expect(zoomView(v, 2, { x: 900, y: 600 }, 100, 2000)).toEqual({ x: 450, y: 300, w: 450, h: 300 });
    expect(zoomView(v, 100, { x: 0, y: 0 }, 100, 2000).w).toBe(100);
  });

  it("shows the labels of the best-linked nodes and hides those that would overlap", () => {
    const box = (id: string, x: number, priority: number) => ({ id, x, y: 0, w: 40, h: 12, priority });
    const shown = placeLabels([box("a", 0, 1), box("hub", 20, 5), box("far", 100, 0), box("b", 45, 1)], 2);
    expect([...shown].sort()).toEqual(["far", "hub"]);
  });

  it("measures wide characters as wider", () => {
    expect(labelWidth("ab", 10)).toBeCloseTo(11.6);
    expect(labelWidth("장애", 10)).toBe(20);
  });

  it("opens notes, tags and errors", () => {
    expect(nodeHref({ id: "note:12", kind: "note" })).toBe("/notes/12");
    expect(nodeHref({ id: "tag:ops/db", kind: "tag" })).toBe("/notes?tag=ops%2Fdb");
    expect(nodeHref({ id: "error:7", kind: "error" })).toBe("/errors/7");
    expect(noteIdOf("note:12")).toBe(12);
    expect(noteIdOf("tag:12")).toBeNull();
  });
});

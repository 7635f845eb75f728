import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { MemoryRouter } from "react-router-dom";
import type { ErrorResolution } from "../api";
import { FixedBefore } from "./Resolution";

const render = (r: ErrorResolution) =>
  renderToStaticMarkup(
    <MemoryRouter>
      <FixedBefore resolution={r} />
    </MemoryRouter>,
  );

describe("FixedBefore", () => {
  it("names who fixed it, the release, and links the note telling how", () => {
    const html = render({ resolved_by: "kate", resolved_at: new Date().toISOString(), release: "2.3.1", note_id: 12, note_title: "Resolved: OutOfStock in inventory" });
    expect(html).toMatch(/Fixed before by kate \d+s ago in release 2\.3\.1 — <a href="\/notes\/12"[^>]*>Resolved: OutOfStock in inventory<\/a>/);
  });

  it("links nothing when there is no note the reader may open", () => {
    const html = render({ resolved_by: "kate", resolved_at: new Date().toISOString(), release: null, note_id: null, note_title: null });
    expect(html).not.toContain("<a");
    expect(html).toMatch(/Fixed before by kate \d+s ago</);
  });
});

import { describe, expect, it } from "vitest";
import type { NoteRef } from "../api";
import { missingLabels, wikilinkTargets } from "./wikilinks";

const ref = (id: number, label: string | null): NoteRef => ({ id, label, title: `Note ${id}`, author: "alice", via: label ? "wikilink" : "manual", visibility: "public" });

describe("wikilink targets", () => {
  it("come from the server's wikilinks, a resolved spelling winning", () => {
    const note = { links: [], unresolved_links: ["Pool sizing"], wikilinks: [{ label: "pool sizing", id: null }, { label: "Pool Sizing", id: 7 }, { label: "Gone", id: null }] };
    expect(wikilinkTargets(note)).toEqual(new Map([["pool sizing", 7], ["gone", null]]));
    // The server's unresolved list never makes a label with a note "not linked".
    expect(missingLabels(note)).toEqual(["Gone"]);
  });

  it("fall back to the labels of links when wikilinks are not sent", () => {
    const note = { links: [ref(7, "Pool sizing"), ref(8, null)], unresolved_links: ["Nowhere", "pool sizing"] };
    expect(wikilinkTargets(note)).toEqual(new Map([["pool sizing", 7], ["nowhere", null]]));
    expect(missingLabels(note)).toEqual(["Nowhere"]);
  });
});

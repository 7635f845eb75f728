import { describe, expect, it } from "vitest";
import { readTag, splitNoteSyntax, tagHref } from "./noteSyntax";

describe("note syntax", () => {
  it("finds wikilinks with and without shown text", () => {
    expect(splitNoteSyntax("See [[Pool sizing]] and [[ Retry budget |the budget]].", false)).toEqual([
      { kind: "text", value: "See " },
      { kind: "wikilink", label: "Pool sizing", shown: "Pool sizing" },
      { kind: "text", value: " and " },
      { kind: "wikilink", label: "Retry budget", shown: "the budget" },
      { kind: "text", value: "." },
    ]);
  });

  it("leaves empty and unclosed brackets as text", () => {
    expect(splitNoteSyntax("[[]] [[ |x]] [[open", true)).toEqual([{ kind: "text", value: "[[]] [[ |x]] [[open" }]);
  });

  it("reads tags as Obsidian and the server do", () => {
    const tags = (s: string, atBoundary = true) => splitNoteSyntax(s, atBoundary).flatMap((p) => (p.kind === "tag" ? [p.tag] : []));
    expect(tags("#Postgres and #ops/db, #retry-budget_2 #über")).toEqual(["Postgres", "ops/db", "retry-budget_2", "über"]);
    expect(tags("issue #42, a#b, (#paren) ##double")).toEqual([]);
    expect(tags("#start", false)).toEqual([]);
    expect(tags("#ops/ trailing")).toEqual(["ops"]);
    expect(tags(`#${"a".repeat(51)}`)).toEqual([]);
  });

  it("keeps the text around a tag, trailing slash included", () => {
    expect(splitNoteSyntax("x #ops/.", false)).toEqual([
      { kind: "text", value: "x " },
      { kind: "tag", tag: "ops" },
      { kind: "text", value: "/." },
    ]);
  });

  it("takes only tags with a letter or sign", () => {
    expect(readTag("2024")).toBeNull();
    expect(readTag("2024-q1")).toBe("2024-q1");
    expect(readTag("//")).toBeNull();
  });

  it("links tags lower-case, as the server stores them", () => {
    expect(tagHref("Ops/DB")).toBe("/notes?tag=ops%2Fdb");
  });
});

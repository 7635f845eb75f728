import { describe, expect, it } from "vitest";
import { applyCompletion, openWikilink } from "./completion";

describe("[[ completion", () => {
  it("finds the link being typed at the caret", () => {
    expect(openWikilink("see [[Pool si", 13)).toEqual({ start: 4, query: "Pool si" });
    expect(openWikilink("a\nb [[", 6)).toEqual({ start: 4, query: "" });
    expect(openWikilink("[[x]] and [[y", 13)).toEqual({ start: 10, query: "y" });
  });

  it("is quiet outside an open link", () => {
    expect(openWikilink("see [[Pool]] done", 17)).toBeNull();
    expect(openWikilink("no link", 7)).toBeNull();
    expect(openWikilink("[[Pool\nsizing", 13)).toBeNull();
    expect(openWikilink("[[Pool|the pool", 15)).toBeNull();
    expect(openWikilink("see [[Pool", 3)).toBeNull();
  });

  it("inserts the chosen title and puts the caret after the brackets", () => {
    const text = "see [[Poo and more";
    const open = openWikilink(text, 9)!;
    expect(applyCompletion(text, open, 9, "Pool sizing")).toEqual({ text: "see [[Pool sizing]] and more", caret: 19 });
  });

  it("replaces the rest of a link being edited", () => {
    const text = "see [[Pool]] now";
    expect(applyCompletion(text, openWikilink(text, 9)!, 9, "Pool sizing")).toEqual({ text: "see [[Pool sizing]] now", caret: 19 });
  });
});

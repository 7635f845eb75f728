import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { Markdown } from "./Markdown";

describe("Markdown", () => {
  it("renders hostile Markdown without anything that could run", () => {
    const hostile = [
      "# Title",
      "<script>window.pwned = 1</script>",
      '<img src="x" onerror="window.pwned = 2">',
      "[click](javascript:window.pwned=3)",
      '<a href="javascript:alert(1)">a</a>',
      "<iframe src=\"https://example.com\"></iframe>",
      "![img](javascript:alert(4))",
    ].join("\n\n");
    const html = renderToStaticMarkup(<Markdown text={hostile} />);
    expect(html).toContain("<h1>Title</h1>");
    expect(html).not.toMatch(/<script/i);
    // Raw HTML is shown as text (escaped), never as elements with handlers.
    expect(html).not.toMatch(/<[^>]*\son\w+=/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).not.toMatch(/src="javascript:/i);
  });

  it("turns [[wikilinks]] into links to the notes they resolved to", () => {
    const html = renderToStaticMarkup(<Markdown text="See [[Pool sizing]] and [[Missing|that one]]." links={new Map([["pool sizing", 7]])} />);
    expect(html).toContain('<a href="/notes/7">Pool sizing</a>');
    expect(html).toContain("<em>that one</em>");
  });
});

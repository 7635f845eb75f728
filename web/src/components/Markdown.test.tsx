import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { MemoryRouter } from "react-router-dom";
import { Markdown } from "./Markdown";
import type { WikilinkTargets } from "../markdown/noteSyntax";

function render(text: string, wikilinks?: WikilinkTargets, onTaskToggle?: (next: string) => void) {
  return renderToStaticMarkup(
    <MemoryRouter>
      <Markdown text={text} wikilinks={wikilinks} onTaskToggle={onTaskToggle} />
    </MemoryRouter>,
  );
}

/** The links of `html`: their attributes and text, whatever order React writes attributes in. */
function anchors(html: string): { attrs: Record<string, string>; text: string }[] {
  return [...html.matchAll(/<a ([^>]*)>(.*?)<\/a>/g)].map((m) => ({
    attrs: Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
    text: m[2],
  }));
}

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
      "| a | <script>x</script> |\n|---|---|\n| [b](javascript:alert(5)) | c |",
      "- [ ] <img src=x onerror=alert(6)>",
    ].join("\n\n");
    const html = render(hostile, new Map());
    expect(html).toContain("<h1>Title</h1>");
    expect(html).not.toMatch(/<script/i);
    // Raw HTML is shown as text (escaped), never as elements with handlers.
    expect(html).not.toMatch(/<[^>]*\son\w+=/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/<img[^>]*src="x"/i);
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).not.toMatch(/src="javascript:/i);
    expect(html).toContain("&lt;script&gt;");
  });

  it("renders GitHub tables, strikethrough and task lists", () => {
    const html = render("| Pool | Size |\n|------|-----:|\n| api | 20 |\n\n~~old~~ new\n\n- [ ] to do\n- [x] done");
    expect(html).toMatch(/<table>[\s\S]*<th>Pool<\/th>[\s\S]*<td>api<\/td>[\s\S]*<\/table>/);
    expect(html).toContain('<td style="text-align:right">20</td>');
    expect(html).toContain("<del>old</del>");
    const boxes = [...html.matchAll(/<li class="task-list-item"><input ([^>]*)\/> (.*?)<\/li>/g)].map((m) => [m[2], m[1].includes("checked"), m[1].includes("disabled")]);
    expect(boxes).toEqual([["to do", false, true], ["done", true, true]]);
  });

  it("lets a reader who may edit tick the boxes", () => {
    const html = render("- [ ] to do", undefined, () => {});
    expect(html).toContain('<input type="checkbox"/> to do');
  });

  it("highlights fenced code blocks that name their language", () => {
    const html = render("```python\ndef pool():\n    return 20\n```\n\n```\nplain #nottag [[Not link]]\n```");
    expect(html).toContain('<code class="hljs language-python">');
    expect(html).toContain('<span class="hljs-keyword">def</span>');
    expect(html).toContain("<code>plain #nottag [[Not link]]\n</code>");
  });

  it("links #tags to the notes with that tag, but not in code, links or mid-word", () => {
    const html = render("Pool #Postgres and #ops/db, #42 no, a#b no, `#code` no, [see #inlink](https://x.test) no");
    const tags = anchors(html).filter((a) => a.attrs.class === "tag").map((a) => [a.attrs.href, a.text]);
    expect(tags).toEqual([["/notes?tag=postgres", "#Postgres"], ["/notes?tag=ops%2Fdb", "#ops/db"]]);
    expect(html).toContain("<code>#code</code>");
    expect(html).toContain(">see #inlink</a>");
  });

  it("turns [[wikilinks]] into links to their notes, or to writing the missing one", () => {
    const targets: WikilinkTargets = new Map([["pool sizing", 7], ["missing note", null]]);
    const html = render("See [[Pool sizing]], [[pool SIZING|the pool]], [[Missing note]] and [[Unknown]]. `[[code]]`", targets);
    const links = anchors(html).map((a) => [a.attrs.href, a.attrs.class, a.text]);
    expect(links).toEqual([
      ["/notes/7", "wikilink", "Pool sizing"],
      ["/notes/7", "wikilink", "the pool"],
      ["/notes/new?title=Missing%20note", "wikilink missing", "Missing note"],
    ]);
    expect(html).toContain('<span class="wikilink unknown">Unknown</span>');
    expect(html).toContain("<code>[[code]]</code>");
  });

  it("keeps footnotes' anchors", () => {
    const html = render("Pool[^1]\n\n[^1]: Twenty per instance.");
    expect(html).toMatch(/<a href="#user-content-fn-1" id="user-content-fnref-1"[^>]*>1<\/a>/);
    expect(html).toContain('<li id="user-content-fn-1">');
  });

  it("marks wikilinks without making them links when nothing is known of them", () => {
    expect(render("See [[Pool sizing]].")).toContain('<span class="wikilink unknown">Pool sizing</span>');
  });
});

import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { MemoryRouter } from "react-router-dom";
import type { NoteSummary, Suggestion } from "../api";
import { Suggestions } from "./Suggestions";

function note(id: number, title: string): NoteSummary {
  return {
    id, title, author: "kate", author_id: 1, kind: "error", visibility: "public", tags: [], revision: 1,
    link_count: 0, backlink_count: 0, comment_count: 0, created_at: "2025-06-01T00:00:00Z", updated_at: "2025-06-01T00:00:00Z",
  };
}

const render = (list: Suggestion[] | null) =>
  renderToStaticMarkup(
    <MemoryRouter>
      <Suggestions list={list} newNote="/notes/new?error=3" />
    </MemoryRouter>,
  );

describe("Suggestions", () => {
  it("lists the error's own notes as before, then what may explain it, saying why and on which error", () => {
    const html = render([
      { reason: "this_error", why: "written on this error", matched: [], score: 100, error: null, note: note(1, "Our runbook") },
      {
        reason: "root_cause", why: "PoolTimeout in db-proxy failed first, in the same trace", matched: [], score: 50,
        error: { id: 7, service: "db-proxy", exception_type: "PoolTimeout", message: "no connection", status: "resolved" }, note: note(2, "Pool sizing"),
      },
    ]);
    expect(html).toContain('href="/notes/1"');
    expect(html).not.toContain("written on this error");
    expect(html).toContain("Solved before?");
    expect(html).toContain("Root cause in db-proxy");
    expect(html).toContain('data-testid="suggestion-why">PoolTimeout in db-proxy failed first, in the same trace<');
    expect(html).toContain('href="/errors/7"');
    expect(html).toContain("<code>PoolTimeout</code></a> in db-proxy");
  });

  it("invites the first note once loaded, not while loading", () => {
    expect(render([])).toContain("Write the first one.");
    expect(render(null)).not.toContain("Write the first one.");
  });
});

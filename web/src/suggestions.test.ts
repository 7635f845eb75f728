import { describe, expect, it } from "vitest";
import type { NoteSummary, SuggestedError, Suggestion } from "./api";
import { groupSuggestions } from "./suggestions";

function note(id: number): NoteSummary {
  return {
    id, title: `Note ${id}`, author: "kate", author_id: 1, kind: "error", visibility: "public", tags: [], revision: 1,
    link_count: 0, backlink_count: 0, comment_count: 0, created_at: "2025-06-01T00:00:00Z", updated_at: "2025-06-01T00:00:00Z",
  };
}

function on(service: string): SuggestedError {
  return { id: service.length, service, exception_type: "PoolTimeout", message: "no connection", status: "resolved" };
}

function suggestion(id: number, reason: string, error: SuggestedError | null = null): Suggestion {
  return { note: note(id), reason, why: reason, matched: [], score: 1, error };
}

describe("groupSuggestions", () => {
  it("shows the error's own notes first, then root causes per service, similar errors and mentions", () => {
    const groups = groupSuggestions([
      suggestion(1, "mentions"),
      suggestion(2, "similar", on("orders")),
      suggestion(3, "root_cause", on("db-proxy")),
      suggestion(4, "this_error"),
      suggestion(5, "root_cause", on("inventory")),
      suggestion(6, "root_cause", on("db-proxy")),
      suggestion(7, "similar", on("billing")),
    ]);
    expect(groups.map((g) => [g.label, g.items.map((s) => s.note.id)])).toEqual([
      ["Notes on this error", [4]],
      ["Root cause in db-proxy", [3, 6]],
      ["Root cause in inventory", [5]],
      ["Similar errors", [2, 7]],
      ["Mentions", [1]],
    ]);
  });

  it("puts a reason it does not know last, rather than dropping its notes", () => {
    const groups = groupSuggestions([suggestion(1, "same_runbook"), suggestion(2, "this_error")]);
    expect(groups.map((g) => g.label)).toEqual(["Notes on this error", "Also related"]);
  });

  it("has nothing to show for no suggestions", () => {
    expect(groupSuggestions([])).toEqual([]);
  });
});

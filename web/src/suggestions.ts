// "Solved before?": the server ranks the notes that may explain an error and says why each was
// chosen; this groups them by that reason for the error page, keeping the server's order.

import type { Suggestion } from "./api";

export type SuggestionGroup = { key: string; label: string; items: Suggestion[] };

/** The reasons in the order the page shows them: the error's own notes first, then what
 * is most likely to explain it. */
const ORDER = ["this_error", "root_cause", "similar", "mentions"];

function label(s: Suggestion): string {
  switch (s.reason) {
    case "this_error":
      return "Notes on this error";
    case "root_cause":
      return s.error ? `Root cause in ${s.error.service}` : "Root cause in another service";
    case "similar":
      return "Similar errors";
    case "mentions":
      return "Mentions";
    default:
      return "Also related";
  }
}

/** Groups in reason order (a reason the UI does not know yet goes last); a root cause is
 * grouped per service, as each names where the failure began. */
export function groupSuggestions(list: Suggestion[]): SuggestionGroup[] {
  const groups = new Map<string, SuggestionGroup>();
  for (const s of list) {
    const key = s.reason === "root_cause" ? `root_cause:${s.error?.service ?? ""}` : s.reason;
    const group = groups.get(key) ?? { key, label: label(s), items: [] };
    group.items.push(s);
    groups.set(key, group);
  }
  const rank = (g: SuggestionGroup) => {
    const i = ORDER.indexOf(g.key.split(":")[0]);
    return i < 0 ? ORDER.length : i;
  };
  // Array sort is stable: groups of one reason keep the order they first appeared in.
  return [...groups.values()].sort((a, b) => rank(a) - rank(b));
}

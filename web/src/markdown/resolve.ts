// The editor's preview shows where each `[[label]]` will lead before the note is saved: labels
// the server has not resolved yet are looked up by title, as the server will resolve them.

import { useEffect, useMemo, useState } from "react";
import { api } from "../api";
import { labelKey, splitNoteSyntax, type WikilinkTargets } from "./noteSyntax";

// A pasted page of links does not start a burst of searches; the rest follow as typing pauses.
const PER_ROUND = 10;

/** The `[[labels]]` written in `text`, once each (by `labelKey`), code blocks included: a
 * needless lookup is cheaper than parsing Markdown on each key press. */
export function writtenLabels(text: string): string[] {
  const seen = new Map<string, string>();
  for (const p of splitNoteSyntax(text, true)) if (p.kind === "wikilink" && !seen.has(labelKey(p.label))) seen.set(labelKey(p.label), p.label);
  return [...seen.values()];
}

/** `known` with the other labels of `text` resolved by their exact title (case aside) among
 * the notes the user can see; `null` for no such note. */
export function useResolvedWikilinks(text: string, known: WikilinkTargets): WikilinkTargets {
  const [found, setFound] = useState<WikilinkTargets>(new Map());
  const wanted = writtenLabels(text).filter((l) => !known.has(labelKey(l)) && !found.has(labelKey(l))).slice(0, PER_ROUND).join("\n");
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    const t = setTimeout(async () => {
      const answers = await Promise.all(
        wanted.split("\n").map(async (label): Promise<[string, number | null] | null> => {
          const notes = await api.notes({ q: label, limit: 8 }).catch(() => null);
          if (!notes) return null;
          return [labelKey(label), notes.find((n) => labelKey(n.title) === labelKey(label))?.id ?? null];
        }),
      );
      if (live) setFound((f) => new Map([...f, ...answers.filter((a) => a !== null)]));
    }, 400);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [wanted]);
  return useMemo(() => new Map([...found, ...known]), [found, known]);
}

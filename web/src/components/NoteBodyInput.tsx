import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import { api, type NoteSummary } from "../api";
import { caretPosition } from "../markdown/caret";
import { applyCompletion, openWikilink, type OpenWikilink } from "../markdown/completion";

type Open = OpenWikilink & { top: number; left: number };

const LIST_WIDTH = 320;

/** Notes whose titles match what was typed after `[[`, or the latest notes before anything
 * is typed; asked for once typing pauses. */
function useSuggestions(query: string | null, exclude: number | null): NoteSummary[] {
  const [items, setItems] = useState<NoteSummary[]>([]);
  useEffect(() => {
    if (query === null) return setItems([]);
    let live = true;
    const t = setTimeout(() => {
      const q = query.trim();
      api.notes(q ? { q, limit: 8 } : { limit: 8 }).then(
        (notes) => live && setItems(notes.filter((n) => n.id !== exclude)),
        () => live && setItems([]),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [query, exclude]);
  return items;
}

/**
 * The Markdown body of a note. Typing `[[` opens a list of notes at the caret: ArrowDown and
 * ArrowUp move, Enter or Tab inserts `[[Title]]`, Escape closes, a click inserts too. Keys
 * pass through untouched while the list is closed.
 */
export function NoteBodyInput({ value, onChange, exclude }: { value: string; onChange: (value: string) => void; exclude: number | null }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [open, setOpen] = useState<Open | null>(null);
  const [active, setActive] = useState(-1);
  // Escape closes the list for that `[[` until another one is typed.
  const dismissed = useRef<number | null>(null);
  const caretAfter = useRef<number | null>(null);
  const items = useSuggestions(open?.query ?? null, exclude);
  const id = useId();
  const shown = open !== null && items.length > 0;

  useEffect(() => setActive(-1), [items]);
  useLayoutEffect(() => {
    const el = area.current;
    if (el && caretAfter.current !== null) {
      el.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  }, [value]);

  const look = (text: string, caret: number) => {
    const el = area.current;
    const at = openWikilink(text, caret);
    if (!at || at.start !== dismissed.current) dismissed.current = null;
    if (!el || !at || dismissed.current !== null) return setOpen(null);
    const c = caretPosition(el, caret);
    const left = Math.max(0, Math.min(el.offsetLeft + c.left - el.scrollLeft, el.offsetLeft + el.clientWidth - LIST_WIDTH));
    setOpen({ ...at, top: el.offsetTop + c.top + c.height - el.scrollTop, left });
  };
  const pick = (n: NoteSummary) => {
    const el = area.current;
    if (!open || !el) return;
    const next = applyCompletion(value, open, el.selectionStart, n.title);
    caretAfter.current = next.caret;
    setOpen(null);
    onChange(next.text);
    el.focus();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // While an input method composes (Korean, Japanese…), Enter and arrows are its own.
    if (!shown || e.nativeEvent.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "ArrowDown") setActive((a) => (a + 1) % items.length);
    else if (e.key === "ArrowUp") setActive((a) => (a <= 0 ? items.length - 1 : a - 1));
    else if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey) pick(items[Math.max(0, active)]);
    else if (e.key === "Escape") {
      dismissed.current = open.start;
      setOpen(null);
    } else return;
    e.preventDefault();
  };
  return (
    <>
      <textarea
        ref={area}
        value={value}
        onChange={(e) => {
          onChange(e.target.value);
          look(e.target.value, e.target.selectionStart);
        }}
        onSelect={(e) => look(e.currentTarget.value, e.currentTarget.selectionStart)}
        onKeyDown={onKeyDown}
        onBlur={() => setOpen(null)}
        placeholder="Markdown. Type [[ to link another note, #tag to tag this one."
        aria-label="Body"
        aria-autocomplete="list"
        aria-controls={shown ? `${id}-list` : undefined}
        aria-activedescendant={shown && active >= 0 ? `${id}-${active}` : undefined}
      />
      {shown && (
        <ul role="listbox" id={`${id}-list`} aria-label="Notes to link" className="suggest" style={{ top: open.top, left: open.left, width: LIST_WIDTH }} data-testid="wikilink-suggest">
          {items.map((n, i) => (
            <li
              key={n.id}
              id={`${id}-${i}`}
              role="option"
              aria-selected={i === active}
              // Keeps the focus (and the caret) in the textarea.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(n)}
            >
              {n.title} <small className="muted">{n.author}</small>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

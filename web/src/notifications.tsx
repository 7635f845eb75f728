// The unread notification count the nav shows. Comments are not live events, so it is polled
// every 30 s and when the window regains focus; a page that marks notifications read refreshes
// it at once.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { api, type Notification } from "./api";

const POLL_MS = 30_000;

type Unread = { count: number; refresh: () => void };
const UnreadContext = createContext<Unread>({ count: 0, refresh: () => {} });

export function UnreadProvider({ children }: { children: ReactNode }) {
  const [count, setCount] = useState(0);
  // Only the latest question's answer counts: a poll answered after "Mark all read" is older.
  const asked = useRef(0);
  const refresh = useCallback(() => {
    const n = ++asked.current;
    api.notifications(true, 1).then(
      (page) => n === asked.current && setCount(page.unread),
      () => {}, // signed out or offline: the next poll tries again
    );
  }, []);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    window.addEventListener("focus", refresh);
    return () => {
      clearInterval(timer);
      window.removeEventListener("focus", refresh);
    };
  }, [refresh]);
  return <UnreadContext.Provider value={{ count, refresh }}>{children}</UnreadContext.Provider>;
}

export const useUnread = () => useContext(UnreadContext);

/** The count as the nav's badge shows it: at most "99+". */
export function badge(count: number): string {
  return count > 99 ? "99+" : String(count);
}

/** What happened, after the actor's name: "commented on" or "mentioned you in" the note. */
export function verb(kind: Notification["kind"]): string {
  switch (kind) {
    case "comment":
      return "commented on";
    case "mention":
      return "mentioned you in";
    default:
      return "wrote on";
  }
}

// Live errors over Server-Sent Events. The browser's EventSource reconnects by itself and
// sends Last-Event-ID, so no stored event is lost while the connection is down. `activity`
// (new occurrences, traffic on the map) is a hint that is not replayed, so after a reconnect
// every page refreshes once.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import type { Activity, ErrorGroup } from "./api";

export type LiveEvent = { id: string; kind: "error.new" | "error.regressed" | "error.status"; error: ErrorGroup };

/** Activity heard, numbered; `projects: null` means anything may have changed. */
export type Heard = { seq: number; projects: number[] | null; errors: number[] | null };

type Live = {
  /** Events since the page loaded, newest last. */
  events: LiveEvent[];
  /** The latest activity. */
  heard: Heard;
  /** A new error came while the user was away from the dashboard. */
  unseen: boolean;
  markSeen: () => void;
};

const NOTHING: Heard = { seq: 0, projects: [], errors: [] };
const LiveContext = createContext<Live>({ events: [], heard: NOTHING, unseen: false, markSeen: () => {} });

export function LiveProvider({ children, onDashboard }: { children: ReactNode; onDashboard: boolean }) {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [heard, setHeard] = useState<Heard>(NOTHING);
  const [unseen, setUnseen] = useState(false);
  useEffect(() => {
    const source = new EventSource("/api/events");
    const handler = (kind: LiveEvent["kind"]) => (e: MessageEvent<string>) => {
      const error = JSON.parse(e.data) as ErrorGroup;
      setEvents((list) => [...list.slice(-99), { id: e.lastEventId, kind, error }]);
      if (kind !== "error.status") setUnseen(true);
    };
    for (const kind of ["error.new", "error.regressed", "error.status"] as const) {
      source.addEventListener(kind, handler(kind) as EventListener);
    }
    source.addEventListener("activity", ((e: MessageEvent<string>) => {
      const a = JSON.parse(e.data) as Activity;
      setHeard((h) => ({ seq: h.seq + 1, projects: a.projects, errors: a.errors ?? null }));
    }) as EventListener);
    let opened = false;
    source.addEventListener("open", () => {
      // Activity is not replayed: after a reconnect, anything may have changed.
      if (opened) setHeard((h) => ({ seq: h.seq + 1, projects: null, errors: null }));
      opened = true;
    });
    return () => source.close();
  }, []);
  const shownUnseen = unseen && !onDashboard;
  return (
    <LiveContext.Provider value={{ events, heard, unseen: shownUnseen, markSeen: () => setUnseen(false) }}>
      {children}
    </LiveContext.Provider>
  );
}

export const useLive = () => useContext(LiveContext);

/** Whether `heard` concerns a project (undefined: any of the user's) or an error of it. */
export function concerns(heard: Heard, project?: number, error?: number): boolean {
  if (heard.seq === 0) return false;
  if (heard.projects === null) return true;
  if (project !== undefined && !heard.projects.includes(project)) return false;
  if (error === undefined) return heard.projects.length > 0;
  return heard.errors === null || heard.errors.includes(error);
}

/**
 * Calls `refresh` when live activity concerns `project` (and `error`, when given), or when a
 * stored event about them arrives, at most once every `gapMs` (a second by default): a busy
 * project does not reload a page more often. Only news heard after the page opened counts.
 */
export function useLiveRefresh(refresh: () => void, project?: number, error?: number, gapMs = 1000) {
  const { heard, events } = useLive();
  const last = events[events.length - 1];
  const latest = useRef(refresh);
  useEffect(() => {
    latest.current = refresh;
  });
  // What was heard before this page (or this project or error) was shown is not news to it.
  const handled = useRef({ seq: heard.seq, event: last?.id });
  const timer = useRef<{ at: number; pending: ReturnType<typeof setTimeout> | null }>({ at: 0, pending: null });
  const schedule = useCallback(() => {
    const t = timer.current;
    if (t.pending) return;
    t.pending = setTimeout(() => {
      t.pending = null;
      t.at = Date.now();
      latest.current();
    }, Math.max(0, t.at + gapMs - Date.now()));
  }, [gapMs]);
  useEffect(() => {
    handled.current = { seq: heard.seq, event: last?.id };
    // Reset only when the subject changes, not on every piece of news.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project, error]);
  useEffect(() => {
    if (heard.seq <= handled.current.seq) return;
    handled.current.seq = heard.seq;
    if (concerns(heard, project, error)) schedule();
  }, [heard, project, error, schedule]);
  useEffect(() => {
    if (!last || last.id === handled.current.event) return;
    handled.current.event = last.id;
    if ((project === undefined || last.error.project_id === project) && (error === undefined || last.error.id === error)) schedule();
  }, [last, project, error, schedule]);
  useEffect(() => {
    const t = timer.current;
    return () => {
      if (t.pending) clearTimeout(t.pending);
      t.pending = null;
    };
  }, []);
}

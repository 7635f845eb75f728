// Live errors over Server-Sent Events. The browser's EventSource reconnects by itself and
// sends Last-Event-ID, so nothing is lost while the connection is down.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { ErrorGroup } from "./api";

export type LiveEvent = { id: string; kind: "error.new" | "error.regressed" | "error.status"; error: ErrorGroup };

type Live = {
  /** Events since the page loaded, newest last. */
  events: LiveEvent[];
  /** A new error came while the user was away from the dashboard. */
  unseen: boolean;
  markSeen: () => void;
};

const LiveContext = createContext<Live>({ events: [], unseen: false, markSeen: () => {} });

export function LiveProvider({ children, onDashboard }: { children: ReactNode; onDashboard: boolean }) {
  const [events, setEvents] = useState<LiveEvent[]>([]);
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
    return () => source.close();
  }, []);
  const shownUnseen = unseen && !onDashboard;
  return (
    <LiveContext.Provider value={{ events, unseen: shownUnseen, markSeen: () => setUnseen(false) }}>
      {children}
    </LiveContext.Provider>
  );
}

export const useLive = () => useContext(LiveContext);

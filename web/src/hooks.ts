import { useCallback, useEffect, useState, type RefObject } from "react";
import { useSearchParams } from "react-router-dom";
import { ApiError } from "./api";

/** Loads `load()` on mount and whenever `deps` change; `reload` loads again in place, `set`
 * shows a value the page already has (such as the answer to a save) without loading.
 * `missing` is set when the answer was 404 (unknown, or not the user's) or 400 (a malformed id). */
export function useData<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string; missing: boolean; reload: () => void; set: (data: T) => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState("");
  const [missing, setMissing] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(""), setMissing(false)),
      (e: Error) => live && (setError(e.message), setMissing(e instanceof ApiError && (e.status === 404 || e.status === 400))),
    );
    return () => {
      live = false;
    };
    // `load` is a new closure every render; `deps` say when it means something new.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data, error, missing, reload: useCallback(() => setTick((t) => t + 1), []), set: setData };
}

/** The URL's query parameters and a setter for one of them (empty removes it; `clear` names
 * another to remove at the same time), so filters live in the URL and can be shared. */
export function useUrlFilters(): [URLSearchParams, (key: string, value: string, clear?: string) => void] {
  const [params, setParams] = useSearchParams();
  const set = useCallback(
    (key: string, value: string, clear?: string) => {
      const next = new URLSearchParams(params);
      if (value) next.set(key, value);
      else next.delete(key);
      if (clear) next.delete(clear);
      setParams(next, { replace: true });
    },
    [params, setParams],
  );
  return [params, set];
}

/** The rendered size of `ref`'s element in CSS pixels, following resizes; null before layout. */
export function useElementSize(ref: RefObject<Element | null>): { w: number; h: number } | null {
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) setSize((s) => (s && s.w === r.width && s.h === r.height ? s : { w: r.width, h: r.height }));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

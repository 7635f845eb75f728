import { useCallback, useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";

/** Loads `load()` on mount and whenever `deps` change; `reload` loads again in place. */
export function useData<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError("")),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
    // `load` is a new closure every render; `deps` say when it means something new.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data, error, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** The URL's query parameters and a setter for one of them (empty removes it), so filters
 * live in the URL and can be shared. */
export function useUrlFilters(): [URLSearchParams, (key: string, value: string) => void] {
  const [params, setParams] = useSearchParams();
  const set = useCallback(
    (key: string, value: string) => {
      const next = new URLSearchParams(params);
      if (value) next.set(key, value);
      else next.delete(key);
      setParams(next, { replace: true });
    },
    [params, setParams],
  );
  return [params, set];
}

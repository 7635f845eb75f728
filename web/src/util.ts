// Small pure helpers shared by pages; unit-tested in util.test.ts.

/** "3m ago", "2h ago", "5d ago" for an RFC 3339 time. */
export function ago(iso: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Microseconds as a short duration. */
export function duration(us: number): string {
  if (us < 1000) return `${us}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 1 : 0)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** A stable colour per service name, so a service looks the same on every page. */
export function serviceColor(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 60% 50%)`;
}

/**
 * Columns for the service map: each node one column right of its furthest caller, so calls
 * read left to right. Cycles are cut where they close.
 */
export function layers(nodes: string[], edges: { caller: string; callee: string }[]): Map<string, number> {
  const depth = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges) {
      const d = (depth.get(e.caller) ?? 0) + 1;
      if (e.caller !== e.callee && d > (depth.get(e.callee) ?? 0) && d < nodes.length) {
        depth.set(e.callee, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return depth;
}

/** Tags from a comma-separated input, trimmed, lower-case, without duplicates. */
export function parseTags(input: string): string[] {
  const out: string[] = [];
  for (const t of input.split(",")) {
    const tag = t.trim().replace(/^#/, "").toLowerCase();
    if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/** Whether `s` is a trace id: 32 hexadecimal digits. */
export function isTraceId(s: string): boolean {
  return /^[0-9a-fA-F]{32}$/.test(s);
}

/** A positive integer id from a URL segment, or null. */
export function urlId(s: string | undefined): number | null {
  return s && /^[1-9][0-9]{0,15}$/.test(s) ? Number(s) : null;
}

type Op = {
  name: string; kind: string; code_function?: string | null; code_namespace?: string | null;
  http_method?: string | null; http_route?: string | null; http_url?: string | null; http_status_code?: number | null; target?: string | null;
};

/** The Summary's Operation line, saying each thing once: a failing client call as
 * `GET http://…/stock → inventory (HTTP 503)`; otherwise the span name, and the function
 * when the name does not already say it. */
export function operationLine(op: Op): string {
  const status = op.http_status_code ? ` (HTTP ${op.http_status_code})` : "";
  if (op.kind === "client" || op.kind === "producer") {
    const what = op.http_url ? `${op.http_method ? `${op.http_method} ` : ""}${op.http_url}` : op.name;
    return `${what}${op.target ? ` → ${op.target}` : ""}${status}`;
  }
  const fn = op.code_function ? (op.code_namespace && !op.code_function.startsWith(op.code_namespace) ? `${op.code_namespace}.${op.code_function}` : op.code_function) : "";
  const said = fn === "" || op.name === fn || op.name.endsWith(op.code_function ?? "\u0000") || op.name.includes(fn);
  return `${op.name}${said ? "" : ` — ${fn}`}${status}`;
}

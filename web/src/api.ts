// The typed API client: one function per endpoint the UI uses. Types mirror the server's
// OpenAPI document (/api/openapi.json).

export type User = { id: number; username: string; role: "admin" | "user"; github: boolean; created_at: string };
export type Providers = { github: boolean; signup_open: boolean };
export type Project = { id: number; name: string; created_at: string; role: "owner" | "member"; service_count: number; member_count: number };
export type Service = { id: number; project_id: number; name: string; kind: string | null; created_at: string };
export type Member = { user_id: number; username: string; role: "owner" | "member"; added_at: string };
export type IngestToken = { id: number; service_id: number; prefix: string; created_at: string; last_used_at: string | null };
export type ErrorStatus = "unresolved" | "resolved" | "ignored";
export type ErrorGroup = {
  id: number; project_id: number; project: string; service: string; exception_type: string; message: string;
  operation: string; status: ErrorStatus; regressed: boolean; first_seen: string; last_seen: string;
  occurrence_count: number; status_changed_at: string | null; status_changed_by: string | null; note_count: number;
};
export type ErrorPage = { errors: ErrorGroup[]; next_cursor: string | null };
export type SpanEvent = { name: string; time_ns: number; attributes: Record<string, unknown> };
export type SpanView = {
  span_id: string; parent_span_id: string | null; depth: number; service: string; name: string; kind: string;
  offset_us: number; duration_us: number; status: "unset" | "ok" | "error"; status_message: string;
  attributes: Record<string, unknown>; events: SpanEvent[]; on_failing_path: boolean; failing: boolean;
};
export type TraceView = { trace_id: string; project_id: number; start_ns: number; duration_us: number; span_count: number; truncated: string | null; services: string[]; spans: SpanView[] };
export type Summary = {
  exception_type: string; message: string; service: string; timestamp: string; trace_id: string; span_id: string;
  operation: Record<string, string | number | null>; environment: Record<string, unknown>; flow: string[];
};
export type Log = { stacktrace: string | null; events: SpanEvent[] };
export type Occurrence = { id: number; error_id: number; project_id: number; trace_id: string; span_id: string; occurred_at: string; summary: Summary; log: Log; trace: TraceView };
export type OccurrenceItem = { id: number; trace_id: string; span_id: string; occurred_at: string; summary: Summary };
export type ErrorDetail = ErrorGroup & { latest: Occurrence };
export type MapNode = { id: string; kind: string | null; traced: boolean; requests: number; errors: number; unresolved: boolean };
export type MapEdge = { caller: string; callee: string; calls: number; errors: number; p50_ms: number; p95_ms: number };
export type ServiceMap = { nodes: MapNode[]; edges: MapEdge[] };
export type NoteStats = { notes: number; error_notes: number; general_notes: number; links_to_others: number; backlinks_from_others: number; resolved_errors_with_notes: number };
export type Stats = {
  since: string; until: string; bucket_seconds: number; timeline: { start: string; occurrences: number }[];
  by_service: { name: string; occurrences: number }[]; by_type: { name: string; occurrences: number }[];
  unresolved: number; resolved: number; ignored: number; notes: NoteStats;
};
export type NoteKind = "error" | "general";
export type Visibility = "public" | "private";
export type NoteSummary = {
  id: number; title: string; kind: NoteKind; visibility: Visibility; author_id: number; author: string;
  error_id: number | null; occurrence_id: number | null; tags: string[]; revision: number; created_at: string;
  updated_at: string; link_count: number; backlink_count: number; comment_count: number; snippet_html?: string;
};
export type NoteRef = { id: number; title: string; author: string; visibility: Visibility; via: string; label: string | null };
export type Note = NoteSummary & { body: string; links: NoteRef[]; backlinks: NoteRef[]; unresolved_links: string[] };
export type Revision = { revision: number; title: string; body: string; tags: string[]; visibility: Visibility; saved_at: string };
export type Comment = { id: number; note_id: number; author_id: number; author: string; body: string; created_at: string; updated_at: string };
export type ErrorNote = { reason: "this_error" | "same_type" | "text_match"; note: NoteSummary };
export type GraphNode = { id: string; kind: "note" | "tag" | "error"; label: string; degree: number; mine?: boolean; author?: string; detail?: string };
export type GraphEdge = { source: string; target: string; kind: "link" | "tag" | "error" };
export type Graph = { nodes: GraphNode[]; edges: GraphEdge[] };
export type NoteInput = { title: string; body: string; kind: NoteKind; error_id?: number | null; occurrence_id?: number | null; tags: string[]; visibility: Visibility };

/** An answer other than 2xx, with the server's error code and message. */
export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const err = await res.json().catch(() => null);
    throw new ApiError(res.status, err?.error?.code ?? "http_error", err?.error?.message ?? res.statusText);
  }
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

/** A query string from the defined values of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const api = {
  providers: () => call<Providers>("GET", "/api/auth/providers"),
  me: () => call<User>("GET", "/api/auth/me"),
  signup: (username: string, password: string) => call<User>("POST", "/api/auth/signup", { username, password }),
  login: (username: string, password: string) => call<User>("POST", "/api/auth/login", { username, password }),
  logout: () => call<void>("POST", "/api/auth/logout"),
  projects: () => call<Project[]>("GET", "/api/projects"),
  createProject: (name: string) => call<Project>("POST", "/api/projects", { name }),
  deleteProject: (id: number) => call<void>("DELETE", `/api/projects/${id}`),
  services: (p: number) => call<Service[]>("GET", `/api/projects/${p}/services`),
  serviceKinds: () => call<string[]>("GET", "/api/service-kinds"),
  createService: (p: number, name: string, kind: string | null) => call<Service>("POST", `/api/projects/${p}/services`, { name, kind }),
  deleteService: (p: number, s: number) => call<void>("DELETE", `/api/projects/${p}/services/${s}`),
  members: (p: number) => call<Member[]>("GET", `/api/projects/${p}/members`),
  putMember: (p: number, username: string, role: "owner" | "member") => call<Member[]>("POST", `/api/projects/${p}/members`, { username, role }),
  removeMember: (p: number, u: number) => call<void>("DELETE", `/api/projects/${p}/members/${u}`),
  tokens: (p: number, s: number) => call<IngestToken[]>("GET", `/api/projects/${p}/services/${s}/tokens`),
  createToken: (p: number, s: number) => call<IngestToken & { secret: string }>("POST", `/api/projects/${p}/services/${s}/tokens`, {}),
  revokeToken: (p: number, s: number, t: number) => call<void>("DELETE", `/api/projects/${p}/services/${s}/tokens/${t}`),
  errors: (params: Record<string, string | number | undefined>) => call<ErrorPage>("GET", `/api/errors${query(params)}`),
  error: (id: number) => call<ErrorDetail>("GET", `/api/errors/${id}`),
  setErrorStatus: (id: number, status: ErrorStatus) => call<ErrorGroup>("PATCH", `/api/errors/${id}`, { status }),
  occurrences: (id: number) => call<OccurrenceItem[]>("GET", `/api/errors/${id}/occurrences`),
  occurrence: (id: number) => call<Occurrence>("GET", `/api/occurrences/${id}`),
  errorNotes: (id: number) => call<ErrorNote[]>("GET", `/api/errors/${id}/notes`),
  serviceMap: (p: number, since?: string) => call<ServiceMap>("GET", `/api/projects/${p}/service-map${query({ since })}`),
  stats: (p?: number, since?: string) => call<Stats>("GET", `/api/stats${query({ project: p, since })}`),
  notes: (params: Record<string, string | number | undefined>) => call<NoteSummary[]>("GET", `/api/notes${query(params)}`),
  note: (id: number) => call<Note>("GET", `/api/notes/${id}`),
  createNote: (n: NoteInput) => call<Note>("POST", "/api/notes", n),
  updateNote: (id: number, n: Partial<NoteInput>) => call<Note>("PATCH", `/api/notes/${id}`, n),
  deleteNote: (id: number) => call<void>("DELETE", `/api/notes/${id}`),
  revisions: (id: number) => call<Revision[]>("GET", `/api/notes/${id}/revisions`),
  addLink: (id: number, target: number) => call<Note>("POST", `/api/notes/${id}/links`, { target }),
  removeLink: (id: number, target: number) => call<void>("DELETE", `/api/notes/${id}/links/${target}`),
  comments: (id: number) => call<Comment[]>("GET", `/api/notes/${id}/comments`),
  addComment: (id: number, body: string) => call<Comment>("POST", `/api/notes/${id}/comments`, { body }),
  deleteComment: (id: number) => call<void>("DELETE", `/api/comments/${id}`),
  tags: () => call<{ tag: string; notes: number }[]>("GET", "/api/tags"),
  graph: (scope: "mine" | "all", tag?: string) => call<Graph>("GET", `/api/notes/graph${query({ scope, tag })}`),
};

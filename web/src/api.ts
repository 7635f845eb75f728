// The typed API client: one function per endpoint the UI uses. Types mirror the server's
// OpenAPI document (/api/openapi.json).

import type { components } from "../generated/api-schema";

// Every type is the server's own, generated from web/openapi.json (npm run api:types), so the
// build fails when the UI reads a field the API no longer has.
type Schemas = components["schemas"];
export type User = Schemas["User"];
export type Providers = Schemas["Providers"];
export type Project = Schemas["Project"];
export type Service = Schemas["Service"];
export type Member = Schemas["Member"];
export type IngestToken = Schemas["IngestToken"];
export type SentryKey = Schemas["SentryKey"];
export type Reported = Schemas["Reported"];
export type ReportedException = Schemas["ReportedException"];
export type Frame = Schemas["Frame"];
export type CreatedToken = Schemas["CreatedToken"];
export type ErrorStatus = Schemas["ErrorStatus"];
export type ErrorResolution = Schemas["Resolution"];
export type ErrorGroup = Schemas["ErrorGroup"];
export type ErrorPage = Schemas["ErrorPage"];
export type ResolutionInput = Schemas["ResolutionBody"];
export type Activity = Schemas["Activity"];
export type SpanEvent = Schemas["SpanEvent"];
export type SpanView = Schemas["SpanView"];
export type TraceView = Schemas["TraceView"];
export type Summary = Schemas["Summary"];
export type Log = Schemas["Log"];
export type Occurrence = Schemas["Occurrence"];
export type OccurrenceItem = Schemas["OccurrenceListItem"];
export type ErrorDetail = Schemas["ErrorDetail"];
export type MapNode = Schemas["MapNode"];
export type MapEdge = Schemas["MapEdge"];
export type ServiceMap = Schemas["ServiceMap"];
export type TraceSummary = Schemas["TraceSummary"];
export type ErrorStats = Schemas["ErrorStats"];
export type SetupInfo = Schemas["SetupInfo"];
export type NoteStats = Schemas["NoteStatsView"];
export type Stats = Schemas["Stats"];
export type ServerSettings = Schemas["ServerSettings"];
export type NoteKind = Schemas["NoteKind"];
export type Visibility = Schemas["Visibility"];
export type NoteSummary = Schemas["NoteSummary"];
export type NoteRef = Schemas["NoteRef"];
export type WikiLink = Schemas["WikiLink"];
export type Note = Schemas["Note"];
export type Revision = Schemas["Revision"];
export type Comment = Schemas["Comment"];
export type Suggestion = Schemas["Suggestion"];
export type SuggestedError = Schemas["SuggestedError"];
export type Notification = Schemas["Notification"];
export type Notifications = Schemas["Notifications"];
export type ReadResult = Schemas["ReadResult"];
export type ImportReport = Schemas["ImportReport"];
export type ImportedNote = Schemas["ImportedNote"];
export type GraphNode = Schemas["GraphNode"];
export type GraphEdge = Schemas["GraphEdge"];
export type Graph = Schemas["Graph"];
export type NoteInput = Schemas["NewNote"];
export type TagCount = Schemas["TagCount"];
export type AlertChannel = Schemas["AlertChannel"];
export type ChannelKind = Schemas["ChannelKind"];
export type AlertRule = Schemas["AlertRule"];
export type Trigger = Schemas["Trigger"];
export type AlertDelivery = Schemas["AlertDelivery"];
export type RuleInput = Schemas["RuleBody"];
export type TestResult = Schemas["TestResult"];

/** An answer other than 2xx, with the server's error code and message. */
export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  if (body === undefined) return send<T>(method, path, {});
  return send<T>(method, path, { headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Sends a request as given and reads the answer: JSON, nothing (204), or an ApiError. */
async function send<T>(method: string, path: string, init: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, method, credentials: "same-origin" });
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
  serviceSetup: (p: number, s: number) => call<SetupInfo>("GET", `/api/projects/${p}/services/${s}/setup`),
  deleteService: (p: number, s: number) => call<void>("DELETE", `/api/projects/${p}/services/${s}`),
  members: (p: number) => call<Member[]>("GET", `/api/projects/${p}/members`),
  putMember: (p: number, username: string, role: "owner" | "member") => call<Member[]>("POST", `/api/projects/${p}/members`, { username, role }),
  removeMember: (p: number, u: number) => call<void>("DELETE", `/api/projects/${p}/members/${u}`),
  tokens: (p: number, s: number) => call<IngestToken[]>("GET", `/api/projects/${p}/services/${s}/tokens`),
  createToken: (p: number, s: number) => call<IngestToken & { secret: string }>("POST", `/api/projects/${p}/services/${s}/tokens`, {}),
  revokeToken: (p: number, s: number, t: number) => call<void>("DELETE", `/api/projects/${p}/services/${s}/tokens/${t}`),
  sentryKeys: (p: number, s: number) => call<SentryKey[]>("GET", `/api/projects/${p}/services/${s}/sentry-keys`),
  createSentryKey: (p: number, s: number) => call<SentryKey>("POST", `/api/projects/${p}/services/${s}/sentry-keys`, {}),
  revokeSentryKey: (p: number, s: number, k: number) => call<void>("DELETE", `/api/projects/${p}/services/${s}/sentry-keys/${k}`),
  alertChannels: (p: number) => call<AlertChannel[]>("GET", `/api/projects/${p}/alert-channels`),
  createAlertChannel: (p: number, name: string, kind: ChannelKind, target: string) => call<AlertChannel & { secret?: string | null }>("POST", `/api/projects/${p}/alert-channels`, { name, kind, target }),
  deleteAlertChannel: (p: number, c: number) => call<void>("DELETE", `/api/projects/${p}/alert-channels/${c}`),
  testAlertChannel: (p: number, c: number) => call<TestResult>("POST", `/api/projects/${p}/alert-channels/${c}/test`, {}),
  alertRules: (p: number) => call<AlertRule[]>("GET", `/api/projects/${p}/alert-rules`),
  createAlertRule: (p: number, r: RuleInput) => call<AlertRule>("POST", `/api/projects/${p}/alert-rules`, r),
  updateAlertRule: (p: number, id: number, r: RuleInput) => call<AlertRule>("PUT", `/api/projects/${p}/alert-rules/${id}`, r),
  deleteAlertRule: (p: number, id: number) => call<void>("DELETE", `/api/projects/${p}/alert-rules/${id}`),
  alertDeliveries: (p: number) => call<AlertDelivery[]>("GET", `/api/projects/${p}/alert-deliveries`),
  errorAlerts: (id: number) => call<AlertDelivery[]>("GET", `/api/errors/${id}/alerts`),
  errors: (params: Record<string, string | number | undefined>) => call<ErrorPage>("GET", `/api/errors${query(params)}`),
  error: (id: number) => call<ErrorDetail>("GET", `/api/errors/${id}`),
  setErrorStatus: (id: number, status: ErrorStatus) => call<ErrorGroup>("PATCH", `/api/errors/${id}`, { status }),
  /** Resolves an error, with how (saved as a resolution note on it) or, without, plainly. */
  resolveError: (id: number, resolution?: ResolutionInput) => call<ErrorGroup>("PATCH", `/api/errors/${id}`, { status: "resolved", resolution } satisfies Schemas["StatusChange"]),
  occurrences: (id: number) => call<OccurrenceItem[]>("GET", `/api/errors/${id}/occurrences?limit=20`),
  errorStats: (id: number, since: string) => call<ErrorStats>("GET", `/api/errors/${id}/stats${query({ since })}`),
  occurrence: (id: number) => call<Occurrence>("GET", `/api/occurrences/${id}`),
  errorNotes: (id: number) => call<Suggestion[]>("GET", `/api/errors/${id}/notes`),
  serviceMap: (p: number, since?: string) => call<ServiceMap>("GET", `/api/projects/${p}/service-map${query({ since })}`),
  traces: (p: number, params: Record<string, string | undefined>) => call<TraceSummary[]>("GET", `/api/projects/${p}/traces${query(params)}`),
  trace: (traceId: string) => call<TraceView>("GET", `/api/traces/${traceId}`),
  stats: (p?: number, since?: string) => call<Stats>("GET", `/api/stats${query({ project: p, since })}`),
  serverSettings: () => call<ServerSettings>("GET", "/api/settings"),
  notes: (params: Record<string, string | number | undefined>) => call<NoteSummary[]>("GET", `/api/notes${query(params)}`),
  note: (id: number) => call<Note>("GET", `/api/notes/${id}`),
  createNote: (n: NoteInput) => call<Note>("POST", "/api/notes", n),
  updateNote: (id: number, n: Partial<NoteInput>) => call<Note>("PATCH", `/api/notes/${id}`, n),
  deleteNote: (id: number) => call<void>("DELETE", `/api/notes/${id}`),
  revisions: (id: number) => call<Revision[]>("GET", `/api/notes/${id}/revisions`),
  addLink: (id: number, target: number) => call<Note>("POST", `/api/notes/${id}/links`, { target }),
  /** With `editBody`, a link written as `[[label]]` in the body is removed by unbracketing it there. */
  removeLink: (id: number, target: number, editBody?: boolean) => call<void>("DELETE", `/api/notes/${id}/links/${target}${query({ edit_body: editBody ? "true" : undefined })}`),
  comments: (id: number) => call<Comment[]>("GET", `/api/notes/${id}/comments`),
  addComment: (id: number, body: string) => call<Comment>("POST", `/api/notes/${id}/comments`, { body }),
  deleteComment: (id: number) => call<void>("DELETE", `/api/comments/${id}`),
  tags: () => call<{ tag: string; notes: number }[]>("GET", "/api/tags"),
  graph: (scope: "mine" | "all", tag?: string) => call<Graph>("GET", `/api/notes/graph${query({ scope, tag })}`),
  notifications: (unread?: boolean, limit?: number) => call<Notifications>("GET", `/api/notifications${query({ unread: unread ? "true" : undefined, limit })}`),
  /** Marks these notifications read; without ids, all of the user's. */
  markNotificationsRead: (ids?: number[]) => call<ReadResult>("POST", "/api/notifications/read", { ids: ids ?? [] } satisfies Schemas["ReadInput"]),
  /** Where the user's notes (or, with `project`, its public notes) download as a vault zip. */
  exportNotesUrl: (project?: number) => `/api/notes/export${query({ project })}`,
  /** Imports a vault: one zip as its bytes, or Markdown files and zips as form parts. */
  importNotes: (body: Blob | FormData) =>
    // A FormData body gets its multipart content type (with the boundary) from the browser.
    send<ImportReport>("POST", "/api/notes/import", body instanceof FormData ? { body } : { headers: { "content-type": "application/zip" }, body }),
  /** The neighbourhood of note `id`, `depth` links and tags away. */
  localGraph: (id: number, depth: number) => call<Graph>("GET", `/api/notes/graph${query({ around: id, depth })}`),
};

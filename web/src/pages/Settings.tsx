import { useState, type FormEvent } from "react";
import { api, ApiError, type Project, type ServerSettings, type Service, type User } from "../api";
import { useData } from "../hooks";
import { ago } from "../util";
import { SetupGuide } from "../components/SetupGuide";
import { CopyButton } from "../components/CopyButton";
import { ProjectAlerts } from "../components/Alerts";

export function Settings({ user }: { user: User }) {
  const projects = useData(() => api.projects(), []);
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    try {
      await api.createProject(name);
      setName("");
      projects.reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <div className="settings">
      <header className="page-head"><h1>Settings</h1></header>
      <form className="inline-form card" onSubmit={create}>
        <input placeholder="New project name" value={name} onChange={(e) => setName(e.target.value)} aria-label="Project name" />
        <button type="submit" className="primary" disabled={!name.trim()}>Create project</button>
        {error && <span className="error-text">{error}</span>}
      </form>
      {projects.data?.map((p) => <ProjectSettings key={p.id} project={p} user={user} onChange={projects.reload} />)}
      <ServerInfo />
    </div>
  );
}

const bytes = (n: number) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);

/** The retention in force, the database and this node's Kafka intake. */
function ServerInfo() {
  const server = useData(() => api.serverSettings(), []);
  const s: ServerSettings | null = server.data;
  if (!s) return null;
  const { retention: r, database: d, kafka: k } = s;
  return (
    <section className="card" data-testid="server-settings">
      <h2>Server</h2>
      <dl className="summary">
        <dt>Retention</dt>
        <dd data-testid="retention">Occurrences and their traces {r.retention_days} days · traces without errors {r.trace_retention_hours} hours</dd>
        <dt>Deleted by this node</dt>
        <dd>{r.deleted_occurrences} occurrences · {r.deleted_traces} traces</dd>
        <dt>Database</dt>
        <dd data-testid="database-size">{d.backend === "sqlite" ? "SQLite" : "PostgreSQL"} · {bytes(d.size_bytes)}</dd>
        {k && (
          <>
            <dt>Kafka</dt>
            <dd>topic <code>{k.topic}</code> at <code>{k.brokers}</code>, group <code>{k.group}</code> · {k.messages} messages, {k.spans} spans · skipped {k.skipped_undecodable} undecodable, {k.skipped_unauthenticated} without a valid token · {k.rejected_spans} spans refused</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function ProjectSettings({ project, user, onChange }: { project: Project; user: User; onChange: () => void }) {
  const services = useData(() => api.services(project.id), [project.id]);
  const members = useData(() => api.members(project.id), [project.id]);
  const kinds = useData(() => api.serviceKinds(), []);
  const [svc, setSvc] = useState({ name: "", kind: "" });
  const [member, setMember] = useState("");
  const [error, setError] = useState("");
  const owner = project.role === "owner";
  const run = (f: () => Promise<unknown>) => f().then(() => setError(""), (e: Error) => setError(e.message));
  return (
    <section className="card wide project-settings" data-testid={`project-${project.name}`}>
      <h2>{project.name} <small className="muted">{project.role}</small></h2>
      {error && <p className="error-text">{error}</p>}
      <h3>Services</h3>
      {services.data?.map((s) => <ServiceRow key={s.id} project={project} service={s} owner={owner} onChange={services.reload} />)}
      {owner && (
        <form className="inline-form" onSubmit={(e) => { e.preventDefault(); run(() => api.createService(project.id, svc.name, svc.kind || null).then(() => { setSvc({ name: "", kind: "" }); services.reload(); onChange(); })); }}>
          <input placeholder="Service name (its service.name)" value={svc.name} onChange={(e) => setSvc({ ...svc, name: e.target.value })} aria-label="Service name" />
          <select value={svc.kind} onChange={(e) => setSvc({ ...svc, kind: e.target.value })} aria-label="Service kind">
            <option value="">Kind…</option>
            {kinds.data?.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
          <button type="submit" disabled={!svc.name.trim()}>Add service</button>
        </form>
      )}
      <h3>Members</h3>
      <ul className="note-list">
        {members.data?.map((m) => (
          <li key={m.user_id}>{m.username} <small className="muted">{m.role}</small>{" "}
            {(owner || m.user_id === user.id) && <button className="link" onClick={() => run(() => api.removeMember(project.id, m.user_id).then(members.reload))}>remove</button>}
          </li>
        ))}
      </ul>
      {owner && (
        <form className="inline-form" onSubmit={(e) => { e.preventDefault(); run(() => api.putMember(project.id, member, "member").then(() => { setMember(""); members.reload(); })); }}>
          <input placeholder="Username" value={member} onChange={(e) => setMember(e.target.value)} aria-label="Member username" />
          <button type="submit" disabled={!member.trim()}>Add member</button>
        </form>
      )}
      <h3>Alerts</h3>
      <ProjectAlerts project={project} />
      {owner && <p><button className="ghost danger" onClick={() => window.confirm(`Delete project ${project.name} and all its errors?`) && run(() => api.deleteProject(project.id).then(onChange))}>Delete project</button></p>}
    </section>
  );
}

function ServiceRow({ project, service, owner, onChange }: { project: Project; service: Service; owner: boolean; onChange: () => void }) {
  const tokens = useData(() => api.tokens(project.id, service.id), [service.id]);
  const dsns = useData(() => api.sentryKeys(project.id, service.id), [service.id]);
  const [secret, setSecret] = useState<string | null>(null);
  const [guide, setGuide] = useState(false);
  const create = async () => {
    const t = await api.createToken(project.id, service.id);
    setSecret(t.secret);
    tokens.reload();
  };
  return (
    <div className="service-row" data-testid={`service-${service.name}`}>
      <p><b>{service.name}</b> <small className="muted">{service.kind ?? ""}</small>{" "}
        <button className="link" onClick={() => setGuide(!guide)}>{guide ? "hide setup guide" : "setup guide"}</button>{" "}
        {owner && <button className="link danger" onClick={() => window.confirm(`Delete service ${service.name} and its tokens?`) && api.deleteService(project.id, service.id).then(onChange)}>delete</button>}
      </p>
      <ul className="tokens">
        {tokens.data?.map((t) => (
          <li key={t.id}><code>{t.prefix}…</code> <small className="muted">created {ago(t.created_at)} · {t.last_used_at ? `used ${ago(t.last_used_at)}` : "never used"}</small>{" "}
            {owner && <button className="link danger" onClick={() => window.confirm("Revoke this token? Agents using it will be refused.") && api.revokeToken(project.id, service.id, t.id).then(tokens.reload)}>revoke</button>}
          </li>
        ))}
      </ul>
      {owner && <button onClick={create} data-testid="create-token">Create ingest token</button>}
      {secret && (
        <div className="secret" data-testid="token-secret">
          <p>Copy this token now; it is not shown again.</p>
          <code>{secret}</code> <CopyButton text={secret} className="" />
        </div>
      )}
      <ul className="tokens" data-testid="sentry-dsns">
        {dsns.data?.map((k) => (
          <li key={k.id}><small className="muted">Sentry DSN</small> <code className="dsn">{k.dsn}</code>{" "}
            <CopyButton text={k.dsn} className="link" label="copy" />{" "}
            <small className="muted">{k.last_used_at ? `used ${ago(k.last_used_at)}` : "never used"}</small>{" "}
            {owner && <button className="link danger" onClick={() => window.confirm("Revoke this DSN? Sentry SDKs using it will be refused.") && api.revokeSentryKey(project.id, service.id, k.id).then(dsns.reload)}>revoke</button>}
          </li>
        ))}
      </ul>
      {owner && <button className="ghost" onClick={() => api.createSentryKey(project.id, service.id).then(dsns.reload)} data-testid="create-dsn">Create Sentry DSN</button>}
      {guide && <SetupGuide project={project.id} serviceId={service.id} service={service.name} token={secret ?? "<your ingest token>"} dsn={dsns.data?.[0]?.dsn} />}
    </div>
  );
}

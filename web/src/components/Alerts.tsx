import { useState, type FormEvent } from "react";
import { api, type AlertChannel, type AlertDelivery, type AlertRule, type ChannelKind, type Project, type RuleInput, type Trigger } from "../api";
import { useData } from "../hooks";
import { ago } from "../util";

const KINDS: { kind: ChannelKind; label: string; placeholder: string }[] = [
  { kind: "slack", label: "Slack", placeholder: "https://hooks.slack.com/services/…" },
  { kind: "discord", label: "Discord", placeholder: "https://discord.com/api/webhooks/…" },
  { kind: "teams", label: "Microsoft Teams", placeholder: "https://…webhook.office.com/…" },
  { kind: "webhook", label: "Webhook (signed JSON)", placeholder: "https://example.com/omegi-hook" },
  { kind: "email", label: "Email", placeholder: "oncall@example.com, lead@example.com" },
];

export const TRIGGERS: Record<Trigger, string> = {
  new: "A new error",
  regression: "A regression (resolved error seen again)",
  spike: "A spike of one error",
  service_red: "A service turning red",
  occurrence: "Every occurrence (rate-limited)",
};

/** Channels, rules and delivery history of a project: Project settings → Alerts. */
export function ProjectAlerts({ project }: { project: Project }) {
  const channels = useData(() => api.alertChannels(project.id), [project.id]);
  const rules = useData(() => api.alertRules(project.id), [project.id]);
  const history = useData(() => api.alertDeliveries(project.id), [project.id]);
  const owner = project.role === "owner";
  return (
    <div className="alerts" data-testid="alerts">
      <h4>Channels</h4>
      <ChannelList project={project} owner={owner} channels={channels.data ?? []} onChange={() => { channels.reload(); rules.reload(); history.reload(); }} />
      <h4>Rules</h4>
      <RuleList project={project} owner={owner} rules={rules.data ?? []} channels={channels.data ?? []} onChange={rules.reload} />
      <h4>Delivery history <button className="link" onClick={history.reload}>refresh</button></h4>
      <DeliveryTable deliveries={history.data ?? []} />
    </div>
  );
}

function ChannelList({ project, owner, channels, onChange }: { project: Project; owner: boolean; channels: AlertChannel[]; onChange: () => void }) {
  const [form, setForm] = useState<{ name: string; kind: ChannelKind; target: string }>({ name: "", kind: "slack", target: "" });
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [tested, setTested] = useState<Record<number, string>>({});
  const add = (e: FormEvent) => {
    e.preventDefault();
    api.createAlertChannel(project.id, form.name, form.kind, form.target).then(
      (c) => { setSecret(c.secret ?? null); setForm({ ...form, name: "", target: "" }); setError(""); onChange(); },
      (err: Error) => setError(err.message),
    );
  };
  const test = (c: AlertChannel) => {
    setTested({ ...tested, [c.id]: "sending…" });
    api.testAlertChannel(project.id, c.id).then(
      (r) => { setTested((t) => ({ ...t, [c.id]: r.delivered ? `delivered (${r.response_code ?? "ok"})` : `failed: ${r.error ?? ""}` })); onChange(); },
      (err: Error) => setTested((t) => ({ ...t, [c.id]: `failed: ${err.message}` })),
    );
  };
  return (
    <>
      {channels.length === 0 && <p className="muted">No channels yet{owner ? ": add Slack, Discord, Teams, a webhook or email below." : "."}</p>}
      <ul className="tokens" data-testid="alert-channels">
        {channels.map((c) => (
          <li key={c.id}>
            <b>{c.name}</b> <small className="muted">{c.kind}{c.signed ? " · signed" : ""}</small> <code className="dsn">{c.target}</code>{" "}
            {owner && <button className="link" onClick={() => test(c)} data-testid={`test-channel-${c.name}`}>send test alert</button>}{" "}
            {owner && <button className="link danger" onClick={() => window.confirm(`Delete channel ${c.name}? Rules lose it; alerts waiting for it are dropped.`) && api.deleteAlertChannel(project.id, c.id).then(onChange, (err: Error) => setError(err.message))}>delete</button>}
            {tested[c.id] && <small className="muted" data-testid="test-result"> {tested[c.id]}</small>}
          </li>
        ))}
      </ul>
      {owner && (
        <form className="inline-form wrap" onSubmit={add}>
          <input placeholder="Channel name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} aria-label="Channel name" />
          <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as ChannelKind })} aria-label="Channel kind">
            {KINDS.map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}
          </select>
          <input className="grow" placeholder={KINDS.find((k) => k.kind === form.kind)?.placeholder} value={form.target} onChange={(e) => setForm({ ...form, target: e.target.value })} aria-label="Channel target" />
          <button type="submit" disabled={!form.name.trim() || !form.target.trim()}>Add channel</button>
        </form>
      )}
      {error && <p className="error-text" data-testid="channel-error">{error}</p>}
      {secret && (
        <div className="secret" data-testid="channel-secret">
          <p>Signing secret (verify <code>X-Omegi-Signature</code> = sha256 HMAC of the body); it is not shown again.</p>
          <code className="secret-value">{secret}</code>
        </div>
      )}
    </>
  );
}

const blank = (channels: AlertChannel[]): RuleInput => ({ name: "", trigger: "new", channel_ids: channels.slice(0, 1).map((c) => c.id), interval_minutes: 30, min_count: 1 });

const inputOf = (r: AlertRule): RuleInput => ({
  name: r.name, trigger: r.trigger, spike_count: r.spike_count, spike_minutes: r.spike_minutes, service: r.service, environment: r.environment,
  exception_type: r.exception_type, min_count: r.min_count, interval_minutes: r.interval_minutes, muted_until: r.muted_until, channel_ids: r.channel_ids,
});

function RuleList({ project, owner, rules, channels, onChange }: { project: Project; owner: boolean; rules: AlertRule[]; channels: AlertChannel[]; onChange: () => void }) {
  const [editing, setEditing] = useState<{ id: number | null; input: RuleInput } | null>(null);
  const [error, setError] = useState("");
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    const done = editing.id === null ? api.createAlertRule(project.id, editing.input) : api.updateAlertRule(project.id, editing.id, editing.input);
    done.then(() => { setEditing(null); setError(""); onChange(); }, (err: Error) => setError(err.message));
  };
  const mute = (r: AlertRule, hours: number | null) =>
    api.updateAlertRule(project.id, r.id, { ...inputOf(r), muted_until: hours === null ? null : new Date(Date.now() + hours * 3600_000).toISOString() }).then(onChange, (err: Error) => setError(err.message));
  const name = (id: number) => channels.find((c) => c.id === id)?.name ?? `#${id}`;
  return (
    <>
      {rules.length === 0 && <p className="muted">No rules: nothing is sent.</p>}
      <ul className="note-list" data-testid="alert-rules">
        {rules.map((r) => {
          const muted = r.muted_until && new Date(r.muted_until) > new Date();
          return (
            <li key={r.id}>
              <b>{r.name}</b> <small className="muted">{TRIGGERS[r.trigger]}{r.trigger === "spike" ? ` (${r.spike_count} in ${r.spike_minutes} min)` : ""}
                {r.service ? ` · service ${r.service}` : ""}{r.environment ? ` · env ${r.environment}` : ""}{r.exception_type ? ` · type ${r.exception_type}` : ""}
                {r.min_count > 1 ? ` · ≥ ${r.min_count} seen` : ""} · at most once per {r.interval_minutes} min per error → {r.channel_ids.length > 0 ? r.channel_ids.map(name).join(", ") : "no channel: silent"}</small>
              {muted && <span className="pill" data-testid="muted"> muted until {new Date(r.muted_until ?? "").toLocaleString()}</span>}{" "}
              {owner && <>
                <button className="link" onClick={() => setEditing({ id: r.id, input: inputOf(r) })}>edit</button>{" "}
                {muted ? <button className="link" onClick={() => mute(r, null)}>unmute</button> : <button className="link" onClick={() => mute(r, 1)} data-testid={`mute-${r.name}`}>mute 1 h</button>}{" "}
                <button className="link danger" onClick={() => window.confirm(`Delete rule ${r.name}?`) && api.deleteAlertRule(project.id, r.id).then(onChange, (err: Error) => setError(err.message))}>delete</button>
              </>}
            </li>
          );
        })}
      </ul>
      {owner && !editing && <button className="ghost" disabled={channels.length === 0} onClick={() => setEditing({ id: null, input: blank(channels) })} data-testid="new-rule">New rule</button>}
      {editing && <RuleForm input={editing.input} channels={channels} onChange={(input) => setEditing({ ...editing, input })} onSubmit={save} onCancel={() => setEditing(null)} />}
      {error && <p className="error-text" data-testid="rule-error">{error}</p>}
    </>
  );
}

function RuleForm({ input, channels, onChange, onSubmit, onCancel }: { input: RuleInput; channels: AlertChannel[]; onChange: (r: RuleInput) => void; onSubmit: (e: FormEvent) => void; onCancel: () => void }) {
  const set = (patch: Partial<RuleInput>) => onChange({ ...input, ...patch });
  const num = (v: string) => (v === "" ? null : Number(v));
  return (
    <form className="rule-form" onSubmit={onSubmit} data-testid="rule-form">
      <label>Name <input value={input.name} onChange={(e) => set({ name: e.target.value })} aria-label="Rule name" /></label>
      <label>When <select value={input.trigger} onChange={(e) => set({ trigger: e.target.value as Trigger })} aria-label="Trigger">
        {Object.entries(TRIGGERS).map(([t, label]) => <option key={t} value={t}>{label}</option>)}
      </select></label>
      {input.trigger === "spike" && (<>
        <label>Occurrences <input type="number" min={2} value={input.spike_count ?? ""} onChange={(e) => set({ spike_count: num(e.target.value) })} aria-label="Spike count" /></label>
        <label>within minutes <input type="number" min={1} value={input.spike_minutes ?? ""} onChange={(e) => set({ spike_minutes: num(e.target.value) })} aria-label="Spike minutes" /></label>
      </>)}
      <label>Service <input placeholder="any" value={input.service ?? ""} onChange={(e) => set({ service: e.target.value })} aria-label="Service filter" /></label>
      <label>Environment <input placeholder="any" value={input.environment ?? ""} onChange={(e) => set({ environment: e.target.value })} aria-label="Environment filter" /></label>
      <label>Exception type <input placeholder="any, or a glob like *Timeout*" value={input.exception_type ?? ""} onChange={(e) => set({ exception_type: e.target.value })} aria-label="Exception type filter" /></label>
      <label>Seen at least <input type="number" min={1} value={input.min_count ?? ""} onChange={(e) => set({ min_count: num(e.target.value) })} aria-label="Minimum count" /></label>
      <label>At most one alert per error every (min) <input type="number" min={1} value={input.interval_minutes ?? ""} onChange={(e) => set({ interval_minutes: num(e.target.value) })} aria-label="Interval minutes" /></label>
      <fieldset>
        <legend>Send to</legend>
        {channels.map((c) => (
          <label key={c.id} className="check">
            <input type="checkbox" checked={input.channel_ids.includes(c.id)} onChange={(e) => set({ channel_ids: e.target.checked ? [...input.channel_ids, c.id] : input.channel_ids.filter((id) => id !== c.id) })} /> {c.name}
          </label>
        ))}
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={!input.name.trim()}>Save rule</button>
        <button type="button" className="ghost" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

/** Alerts as sent: time, rule, channel, status, response code, error. */
export function DeliveryTable({ deliveries }: { deliveries: AlertDelivery[] }) {
  if (deliveries.length === 0) return <p className="muted">Nothing sent yet.</p>;
  return (
    <div className="table-scroll">
      <table className="deliveries" data-testid="deliveries">
        <thead><tr><th>When</th><th>Rule</th><th>Channel</th><th>Status</th><th>Code</th><th>Error</th></tr></thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id}>
              <td title={d.created_at}>{ago(d.sent_at ?? d.created_at)}</td>
              <td>{d.trigger === "test" ? <i>test</i> : d.rule_name} <small className="muted">{d.trigger !== "test" ? d.trigger : ""}</small></td>
              <td>{d.channel_name}</td>
              <td><span className={`status ${d.status === "sent" ? "resolved" : d.status === "failed" ? "unresolved" : ""}`}>{d.status}</span>{d.attempts > 1 ? <small className="muted"> ×{d.attempts}</small> : null}</td>
              <td>{d.response_code ?? ""}</td>
              <td className="muted">{d.last_error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

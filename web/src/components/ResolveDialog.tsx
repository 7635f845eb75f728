import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, type ErrorGroup } from "../api";
import { refusal, type ResolutionField } from "../resolution";

const LABEL: Record<ResolutionField, string> = { cause: "Cause", fix: "Fix", fix_link: "Commit or PR link", release: "Release" };

/**
 * What the error page's Resolve button opens: a chance to say how it was resolved (cause,
 * fix, the commit or pull request, the release it shipped in). The server saves it as a note
 * on the error, pinned on its page and offered under "Solved before?" when it or one like it
 * comes back. Offered, never required: "Resolve without notes" resolves as before.
 * `release` is the latest occurrence's, shown as a hint only: the fix ships in a later one.
 */
export function ResolveDialog({ error, release, onResolved, onClose }: { error: ErrorGroup; release: string | null; onResolved: (e: ErrorGroup) => void; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState<Record<ResolutionField, string>>({ cause: "", fix: "", fix_link: "", release: "" });
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ field: ResolutionField | null; text: string } | null>(null);
  // Modal, so the page behind waits and Escape closes it (StrictMode runs this twice).
  useEffect(() => {
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);
  const resolve = async (how: boolean) => {
    setBusy(true);
    setProblem(null);
    try {
      const resolution = how ? { cause: text.cause, fix: text.fix, fix_link: text.fix_link.trim() || null, release: text.release.trim() || null } : undefined;
      onResolved(await api.resolveError(error.id, resolution));
    } catch (err) {
      setProblem(refusal(err instanceof Error ? err.message : String(err)));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resolve(true);
  };
  const field = (name: ResolutionField) => ({
    name,
    value: text[name],
    onChange: (value: string) => setText((t) => ({ ...t, [name]: value })),
    problem: problem?.field === name ? problem.text : null,
  });
  return (
    <dialog ref={dialog} className="resolve-dialog" onClose={onClose} aria-labelledby="resolve-title" data-testid="resolve-dialog">
      <form className="resolve-form" onSubmit={submit} noValidate>
        <h2 id="resolve-title">Resolve <code>{error.exception_type}</code></h2>
        <p className="muted small">How was it fixed? Saved as a note on this error, and shown to whoever meets it, or one like it, again. Optional.</p>
        <Field {...field("cause")} multiline placeholder="What went wrong (Markdown)" />
        <Field {...field("fix")} multiline placeholder="What fixed it (Markdown)" />
        <div className="two-col">
          <Field {...field("fix_link")} type="url" placeholder="https://…/pull/123" />
          <Field {...field("release")} placeholder={release ?? "e.g. 2.3.1"} />
        </div>
        {problem && !problem.field && <p className="error-text" role="alert" data-testid="resolve-error">{problem.text}</p>}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy} data-testid="resolve-submit">Resolve</button>
          <button type="button" disabled={busy} onClick={() => resolve(false)} data-testid="resolve-plain">Resolve without notes</button>
          <button type="button" className="ghost" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}

/** One input of the form, with the server's refusal of it, if any, right under it. */
function Field({ name, value, onChange, problem, multiline, type, placeholder }: {
  name: ResolutionField; value: string; onChange: (value: string) => void; problem: string | null; multiline?: boolean; type?: "url"; placeholder: string;
}) {
  const id = `resolve-${name}`;
  const props = {
    id,
    value,
    placeholder,
    "aria-invalid": problem !== null || undefined,
    "aria-describedby": problem !== null ? `${id}-problem` : undefined,
  };
  // The label holds only its words, so the field's name stays "Cause" whatever is typed.
  return (
    <div className="field">
      <label htmlFor={id}>{LABEL[name]}</label>
      {multiline ? <textarea {...props} onChange={(e) => onChange(e.target.value)} /> : <input {...props} type={type ?? "text"} onChange={(e) => onChange(e.target.value)} />}
      {problem !== null && <span className="field-problem" id={`${id}-problem`} data-testid={`field-error-${name}`}>{LABEL[name]}: {problem}</span>}
    </div>
  );
}

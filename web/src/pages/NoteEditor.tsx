import { useEffect, useState, type FormEvent } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router-dom";
import { api, ApiError, type NoteKind, type NoteSummary, type User, type Visibility } from "../api";
import { Markdown } from "../components/Markdown";
import { NoteBodyInput } from "../components/NoteBodyInput";
import type { WikilinkTargets } from "../markdown/noteSyntax";
import { useResolvedWikilinks } from "../markdown/resolve";
import { wikilinkTargets } from "../markdown/wikilinks";
import { parseTags } from "../util";

/** Writes a new note or edits one: Markdown with live preview and `[[` completion. A new note
 * may start from an error (`?error=`) or from a link to a note not yet written (`?title=`). */
export function NoteEditor({ user }: { user: User }) {
  void user;
  const params = useParams();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const editing = params.id ? Number(params.id) : null;
  const errorId = Number(search.get("error")) || null;
  const occurrenceId = Number(search.get("occurrence")) || null;
  const titleParam = search.get("title");
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [tags, setTags] = useState("");
  const [kind, setKind] = useState<NoteKind>(errorId ? "error" : "general");
  const [visibility, setVisibility] = useState<Visibility>("public");
  const [links, setLinks] = useState<number[]>([]);
  const [error, setError] = useState("");
  const [pickerQuery, setPickerQuery] = useState("");
  const [picker, setPicker] = useState<NoteSummary[]>([]);
  const [known, setKnown] = useState<WikilinkTargets>(() => new Map());
  const targets = useResolvedWikilinks(body, known);

  useEffect(() => {
    if (!editing && titleParam) setTitle(titleParam);
  }, [editing, titleParam]);

  useEffect(() => {
    if (editing) {
      api.note(editing).then((n) => {
        setTitle(n.title);
        setBody(n.body);
        // Tags written as #tag in the body come back from the body on save: not edited twice.
        setTags(n.tags.filter((t) => !n.inline_tags?.includes(t)).join(", "));
        setKnown(wikilinkTargets(n));
        setKind(n.kind);
        setVisibility(n.visibility);
      });
    } else if (errorId) {
      // Prefilled from the error's summary, ready to explain what happened and the fix.
      api.error(errorId).then((e) => {
        const s = e.latest?.summary;
        setTitle(`${e.exception_type} in ${e.service}`);
        const happened = s
          ? `\`${s.exception_type}\`: ${s.message}\n\nService **${s.service}**, operation \`${String(s.operation.name ?? "")}\`.\n\n${s.flow.map((f) => `${f}`).join("\n")}`
          : `\`${e.exception_type}\`: ${e.message}\n\nService **${e.service}**.`;
        setBody(`## What happened\n\n${happened}\n\n## Cause\n\n\n## Fix\n\n`);
      });
    }
  }, [editing, errorId]);

  useEffect(() => {
    const t = setTimeout(() => {
      if (pickerQuery.trim()) api.notes({ q: pickerQuery, limit: 8 }).then(setPicker);
      else setPicker([]);
    }, 150);
    return () => clearTimeout(t);
  }, [pickerQuery]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError("");
    const input = { title, body, kind, tags: parseTags(tags), visibility, error_id: kind === "error" ? errorId : null, occurrence_id: kind === "error" ? occurrenceId : null };
    try {
      const note = editing ? await api.updateNote(editing, { title, body, tags: input.tags, visibility }) : await api.createNote(input);
      for (const target of links) await api.addLink(note.id, target);
      navigate(`/notes/${note.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <form className="editor" onSubmit={save}>
      <header className="page-head">
        <h1>{editing ? "Edit note" : kind === "error" ? "New error note" : "New note"}</h1>
        <div className="actions">
          <select value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)} aria-label="Visibility">
            <option value="public">Public</option><option value="private">Private</option>
          </select>
          <button type="submit" className="primary" data-testid="save-note">Save</button>
        </div>
      </header>
      {error && <p className="error-text" role="alert">{error}</p>}
      <input className="title-input" placeholder="Title" value={title} onChange={(e) => setTitle(e.target.value)} aria-label="Title" />
      <div className="tags-field">
        <input placeholder="Tags, comma-separated" value={tags} onChange={(e) => setTags(e.target.value)} aria-label="Tags" aria-describedby="inline-tags-hint" />
        <p id="inline-tags-hint" className="muted small">#tags written in the text are added automatically.</p>
      </div>
      <div className="split">
        <div className="write">
          <NoteBodyInput value={body} onChange={setBody} exclude={editing} />
        </div>
        <div className="preview card"><Markdown text={body} wikilinks={targets} /></div>
      </div>
      <section className="card">
        <h2>Link to other notes</h2>
        <input placeholder="Find a note (yours or others' public notes)" value={pickerQuery} onChange={(e) => setPickerQuery(e.target.value)} aria-label="Find a note to link" />
        <ul className="note-list">
          {picker.filter((n) => n.id !== editing).map((n) => (
            <li key={n.id}>
              <label><input type="checkbox" checked={links.includes(n.id)} onChange={() => setLinks((l) => (l.includes(n.id) ? l.filter((x) => x !== n.id) : [...l, n.id]))} /> {n.title} <small className="muted">by {n.author}</small></label>
            </li>
          ))}
        </ul>
      </section>
    </form>
  );
}

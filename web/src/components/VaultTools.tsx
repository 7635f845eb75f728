import { useState, type ChangeEvent } from "react";
import { Link } from "react-router-dom";
import { api, ApiError, type ImportedNote, type ImportReport } from "../api";
import { importBody } from "../vault";

/** React has no prop for the folder picker's attribute, so it is set on the element. */
const pickFolders = (input: HTMLInputElement | null) => input?.setAttribute("webkitdirectory", "");

/** The notes an import created or updated, as links; a long list is cut short. */
function Imported({ label, notes }: { label: string; notes: ImportedNote[] }) {
  if (notes.length === 0) return null;
  const shown = notes.slice(0, 20);
  return (
    <p className="small">
      {label}:{" "}
      {shown.map((n, i) => <span key={n.id}>{i > 0 && ", "}<Link to={`/notes/${n.id}`} title={n.file}>{n.title}</Link></span>)}
      {notes.length > shown.length && ` and ${notes.length - shown.length} more`}
    </p>
  );
}

/** What an import did, and the files it skipped or read differently than written. */
function Report({ report }: { report: ImportReport }) {
  return (
    <div className="card import-report" role="status" data-testid="import-report">
      <p>
        Imported: <b data-testid="import-created">{report.created.length}</b> created · <b data-testid="import-updated">{report.updated.length}</b> updated ·{" "}
        <b data-testid="import-unchanged">{report.unchanged.length}</b> unchanged
      </p>
      <Imported label="Created" notes={report.created} />
      <Imported label="Updated" notes={report.updated} />
      {report.warnings.length > 0 && (
        <>
          <h3>Warnings</h3>
          <ul className="warnings" data-testid="import-warnings">{report.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>
        </>
      )}
    </div>
  );
}

/**
 * The user's notes as an Obsidian vault, both ways: a zip of Markdown files to download, and
 * an import of one (a zip, loose .md files, or a whole folder picked in the browser). Importing
 * again updates the notes an earlier import made instead of making them twice.
 */
export function VaultTools({ onImported }: { onImported: () => void }) {
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [problem, setProblem] = useState("");
  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const body = importBody([...(e.target.files ?? [])]);
    e.target.value = ""; // so picking the same files again imports them again
    setReport(null);
    if (!body) {
      setProblem("Nothing to import: pick Markdown (.md) files, a .zip of them, or a folder that has some.");
      return;
    }
    setBusy(true);
    setProblem("");
    try {
      setReport(await api.importNotes(body));
      onImported();
    } catch (err) {
      setProblem(`Nothing was imported: ${err instanceof ApiError ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="vault" data-testid="vault">
      <div className="actions">
        <a className="button" href={api.exportNotesUrl()} download data-testid="export-notes">Export my notes (Obsidian vault)</a>
        <label className="button file-button">
          Import vault
          <input type="file" className="visually-hidden" accept=".zip,.md" multiple disabled={busy} onChange={pick} data-testid="import-files" />
        </label>
        <label className="button file-button" title="Pick a vault's folder: its Markdown files are imported">
          Import a folder
          <input type="file" className="visually-hidden" ref={pickFolders} disabled={busy} onChange={pick} data-testid="import-folder" />
        </label>
        {busy && <span className="muted">Importing…</span>}
      </div>
      {problem && <p className="error-text" role="alert">{problem}</p>}
      {report && <Report report={report} />}
    </section>
  );
}

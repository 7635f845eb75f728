// Importing an Obsidian vault from the browser: picked files (or a picked folder) become the
// body of POST /api/notes/import. Pure, tested in vault.test.ts.

/** A picked file's path within the picked folder, else its name. */
export function pathOf(file: File): string {
  return file.webkitRelativePath || file.name;
}

/** Whether the import takes the file at `path`: Markdown files and zips, outside hidden
 * folders (a vault's `.obsidian` settings, its `.trash` of deleted notes, `.git`), so a
 * picked folder does not send its images and settings only to have them skipped. */
export function importable(path: string): boolean {
  const parts = path.split("/");
  if (parts.slice(0, -1).some((p) => p.startsWith("."))) return false;
  return /\.(md|zip)$/i.test(parts[parts.length - 1]);
}

/**
 * What to send for the files picked: one zip as its own bytes (sent as application/zip);
 * otherwise each file as a `files` part of a multipart form, named by its path in the folder
 * so the report's warnings say which file. Null when none can be imported.
 */
export function importBody(files: File[]): Blob | FormData | null {
  const picked = files.filter((f) => importable(pathOf(f)));
  if (picked.length === 0) return null;
  if (picked.length === 1 && /\.zip$/i.test(picked[0].name)) return picked[0];
  const form = new FormData();
  for (const f of picked) form.append("files", f, pathOf(f));
  return form;
}

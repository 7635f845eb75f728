//! Notes as an Obsidian vault: a zip of Markdown files, one per note, with YAML front matter
//! (title, tags, kind, the error it is on, links made by hand) and the body's `[[wikilinks]]`
//! as written. Importing a vault (or loose Markdown files) creates the notes, tags and links;
//! importing it again updates the notes it made instead of making them twice.

use std::collections::HashSet;
use std::io::{Cursor, Read, Write};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zip::write::SimpleFileOptions;

use crate::model::{inline_tags, normalize_tag, tidy_note, Millis, NoteKind, Visibility, MAX_BODY};
use crate::store::{NoteInput, Result as StoreResult, Store, StoreError, VaultRow};

/// At most this many files are read from one import.
pub const MAX_FILES: usize = 5_000;
/// At most this much Markdown (inflated) is read from one import: a small zip cannot make
/// the server hold or write more.
pub const MAX_TOTAL: usize = 20 * 1024 * 1024;
/// The largest file: a note's body and its front matter.
const MAX_FILE: usize = MAX_BODY + 4_096;

/// What one import may still read, across every zip and file of the request.
pub struct Budget {
    files: usize,
    bytes: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            files: MAX_FILES,
            bytes: MAX_TOTAL,
        }
    }
}

impl Budget {
    /// Takes one file of `len` bytes from the budget.
    pub fn take(&mut self, name: &str, len: usize) -> Result<(), ImportError> {
        if len > MAX_FILE {
            return Err(ImportError::TooLarge(name.to_string()));
        }
        if self.files == 0 {
            return Err(ImportError::TooMany);
        }
        if len > self.bytes {
            return Err(ImportError::TooMuch);
        }
        self.files -= 1;
        self.bytes -= len;
        Ok(())
    }
}

/// The front matter Omegi writes and reads; other keys Obsidian users add are ignored.
#[derive(Serialize, Deserialize, Default)]
struct FrontMatter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    /// The note's id in the Omegi it came from: re-importing updates that note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    omegi_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    tags: Tags,
    /// The errors the note is on (Omegi notes are on at most one); one id or a list.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many"
    )]
    errors: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    /// Links made by hand, as `[[Title]]`: Obsidian shows them as links too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    links: Vec<String>,
}

/// A value or a list of values, as hand-written front matter has either.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(i64),
        Many(Vec<i64>),
        Nothing(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(v) => vec![v],
        OneOrMany::Many(v) => v,
        OneOrMany::Nothing(()) => Vec::new(),
    })
}

/// Tags as Obsidian allows them: a list, or one string of tags separated by commas or spaces.
#[derive(Serialize, Deserialize, Default)]
#[serde(untagged)]
enum Tags {
    List(Vec<String>),
    Text(String),
    #[default]
    #[serde(skip_serializing)]
    None,
}

impl Tags {
    fn is_empty(&self) -> bool {
        match self {
            Tags::List(l) => l.is_empty(),
            Tags::Text(t) => t.trim().is_empty(),
            Tags::None => true,
        }
    }

    fn list(self) -> Vec<String> {
        match self {
            Tags::List(l) => l,
            Tags::Text(t) => t
                .split([',', ' '])
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .collect(),
            Tags::None => Vec::new(),
        }
    }
}

/// A file name for a title: characters Obsidian and file systems refuse replaced, unique in
/// the vault (case-insensitively), so `[[Title]]` finds the file.
fn file_name(title: &str, taken: &mut HashSet<String>) -> String {
    let clean: String = title
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|#^[]".contains(c) || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let base = match clean.trim().trim_matches('.') {
        "" => "Untitled".to_string(),
        t => t.to_string(),
    };
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        name = format!("{base} ({n})");
        n += 1;
    }
    format!("{name}.md")
}

/// One note as a vault file: front matter, then the body as written.
fn markdown(row: &VaultRow) -> String {
    let n = &row.summary;
    let front = FrontMatter {
        title: Some(n.title.clone()),
        omegi_id: Some(n.id),
        kind: Some(n.kind.as_str().into()),
        tags: Tags::List(n.tags.clone()),
        errors: n.error_id.into_iter().collect(),
        visibility: Some(n.visibility.as_str().into()),
        author: Some(n.author.clone()),
        created: Some(n.created_at.clone()),
        updated: Some(n.updated_at.clone()),
        links: row.links.iter().map(|t| format!("[[{t}]]")).collect(),
    };
    let yaml = yaml_serde::to_string(&front).unwrap_or_default();
    format!("---\n{yaml}---\n{}", row.body)
}

/// The notes as a zip: one Markdown file each.
pub fn export(rows: &[VaultRow]) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut taken = HashSet::new();
    for row in rows {
        zip.start_file(file_name(&row.summary.title, &mut taken), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(markdown(row).as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

/// A Markdown file to import.
pub struct VaultFile {
    pub name: String,
    pub text: String,
}

/// Why an import was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a zip archive: {0}")]
    NotZip(String),
    #[error("more than {MAX_FILES} files")]
    TooMany,
    #[error("{0} is larger than {MAX_BODY} bytes")]
    TooLarge(String),
    #[error("more than {} MB of Markdown in one import", MAX_TOTAL / 1024 / 1024)]
    TooMuch,
    #[error("no Markdown (.md) files")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The Markdown files of a zip archive (other files are skipped, as are Obsidian's own
/// settings folder and macOS' resource forks).
pub fn unzip(bytes: &[u8], budget: &mut Budget) -> Result<Vec<VaultFile>, ImportError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ImportError::NotZip(e.to_string()))?;
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| ImportError::NotZip(e.to_string()))?;
        let name = entry.name().to_string();
        let skipped = !entry.is_file()
            || !name.to_lowercase().ends_with(".md")
            || name
                .split('/')
                .any(|part| part == ".obsidian" || part == "__MACOSX");
        if skipped {
            continue;
        }
        // The size the archive claims is checked first; reading stops one byte past the
        // limit, so an entry that lies about its size is caught without inflating it all.
        budget.take(&name, usize::try_from(entry.size()).unwrap_or(usize::MAX))?;
        let mut raw = Vec::new();
        (&mut entry)
            .take(MAX_FILE as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(|e| ImportError::NotZip(e.to_string()))?;
        if raw.len() > MAX_FILE {
            return Err(ImportError::TooLarge(name));
        }
        files.push(VaultFile {
            name,
            text: String::from_utf8_lossy(&raw).into_owned(),
        });
    }
    Ok(files)
}

/// A Markdown file split into its front matter (empty when it has none) and body; an error
/// when its front matter is not YAML Omegi can read (the file is then skipped, not imported
/// with its settings lost).
fn split(text: &str) -> Result<(FrontMatter, String), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let normalized = text.replace("\r\n", "\n");
    if let Some(rest) = normalized.strip_prefix("---\n") {
        let end = rest
            .find("\n---\n")
            .map(|e| (e, e + 5))
            .or_else(|| rest.strip_suffix("\n---").map(|r| (r.len(), rest.len())));
        if let Some((yaml_end, body_start)) = end {
            let body = rest[body_start..].to_string();
            return match yaml_serde::from_str::<Option<FrontMatter>>(&rest[..yaml_end]) {
                Ok(front) => Ok((front.unwrap_or_default(), body)),
                Err(e) => Err(format!("front matter is not readable YAML ({e})")),
            };
        }
    }
    Ok((FrontMatter::default(), normalized))
}

/// What an import did.
#[derive(Serialize, ToSchema, Default)]
pub struct ImportReport {
    pub created: Vec<ImportedNote>,
    pub updated: Vec<ImportedNote>,
    pub unchanged: Vec<ImportedNote>,
    /// Files skipped or imported differently than written, and why.
    pub warnings: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedNote {
    pub id: i64,
    pub title: String,
    pub file: String,
}

/// A file turned into a note to write, or why not.
struct Planned {
    file: String,
    note: NoteInput,
    omegi_id: Option<i64>,
    links: Vec<String>,
    /// What the front matter stated; what it leaves out, an update keeps.
    visibility: Option<Visibility>,
    error_stated: bool,
}

/// Reads one file as the note `importer` would write: its front matter's title (else the
/// file name), tags, kind and error (when the error is in the importer's projects).
async fn plan(
    store: &Store,
    importer: i64,
    file: VaultFile,
    warnings: &mut Vec<String>,
) -> StoreResult<Option<Planned>> {
    let (front, body) = match split(&file.text) {
        Ok(split) => split,
        Err(problem) => {
            warnings.push(format!("{}: skipped, {problem}", file.name));
            return Ok(None);
        }
    };
    let stem = file.name.rsplit('/').next().unwrap_or(&file.name);
    let stem = stem
        .strip_suffix(".md")
        .or_else(|| stem.strip_suffix(".MD"))
        .unwrap_or(stem);
    let title = front.title.clone().unwrap_or_else(|| stem.to_string());
    // Exported tags include the body's #tags; they stay the body's, not given tags.
    let inline = inline_tags(&body);
    let tags: Vec<String> = front
        .tags
        .list()
        .into_iter()
        .filter(|t| !inline.contains(&normalize_tag(t)))
        .collect();
    let (title, tags) = match tidy_note(&title, &body, &tags) {
        Ok(t) => t,
        Err(p) => {
            warnings.push(format!("{}: skipped, {} {}", file.name, p.field, p.problem));
            return Ok(None);
        }
    };
    let mut error_id = None;
    if let Some(&error) = front.errors.first() {
        match store.error_for(importer, error).await {
            Ok(_) => error_id = Some(error),
            Err(StoreError::NotFound) => warnings.push(format!(
                "{}: error {error} is not in your projects; imported as a general note",
                file.name
            )),
            Err(e) => return Err(e),
        }
    }
    let visibility = front
        .visibility
        .as_deref()
        .and_then(|v| Visibility::parse(&v.trim().to_lowercase()));
    Ok(Some(Planned {
        note: NoteInput {
            title,
            body,
            kind: if error_id.is_some() {
                NoteKind::Error
            } else {
                NoteKind::General
            },
            error_id,
            occurrence_id: None,
            tags,
            // New notes from a vault that does not say are private: a folder of personal
            // Markdown must not become readable by everyone.
            visibility: visibility.unwrap_or(Visibility::Private),
        },
        visibility,
        error_stated: !front.errors.is_empty(),
        omegi_id: front.omegi_id,
        links: front
            .links
            .iter()
            .map(|l| {
                l.trim()
                    .trim_start_matches("[[")
                    .trim_end_matches("]]")
                    .to_string()
            })
            .filter(|l| !l.is_empty())
            .collect(),
        file: file.name,
    }))
}

/// Imports `files` as `importer`'s notes. A file whose `omegi_id` is one of the importer's
/// notes, or whose title is, updates that note (only if something changed); others create
/// notes. Links made by hand (`links:`) are added once every note exists; `[[wikilinks]]`
/// link by title as always, whatever the order of the files.
pub async fn import(
    store: &Store,
    importer: i64,
    files: Vec<VaultFile>,
    now: Millis,
) -> Result<ImportReport, ImportError> {
    if files.is_empty() {
        return Err(ImportError::Empty);
    }
    let mut report = ImportReport::default();
    let mut written: Vec<(i64, Vec<String>)> = Vec::new();
    let mut used: HashSet<i64> = HashSet::new();
    for file in files {
        let Some(mut p) = plan(store, importer, file, &mut report.warnings).await? else {
            continue;
        };
        // Each note is written once per import: a second file of the same title matches the
        // importer's next note of that title, or makes a new one.
        let existing = store
            .own_notes_matching(importer, p.omegi_id, &p.note.title)
            .await?
            .into_iter()
            .find(|id| !used.contains(id));
        let (id, list) = match existing {
            Some(id) => {
                let current = NoteInput::of(&store.note_for(importer, id).await?);
                if p.visibility.is_none() {
                    p.note.visibility = current.visibility;
                }
                if !p.error_stated {
                    p.note.kind = current.kind;
                    p.note.error_id = current.error_id;
                }
                if p.note.error_id == current.error_id {
                    p.note.occurrence_id = current.occurrence_id;
                }
                let same = current == p.note;
                if same {
                    (id, &mut report.unchanged)
                } else {
                    store.update_note(id, &p.note, now).await?;
                    (id, &mut report.updated)
                }
            }
            None => (
                store.create_note(importer, &p.note, now).await?,
                &mut report.created,
            ),
        };
        used.insert(id);
        list.push(ImportedNote {
            id,
            title: p.note.title.clone(),
            file: p.file.clone(),
        });
        written.push((id, p.links));
    }
    // Every linked title is looked up at once: nothing below creates a note.
    let mut titles: Vec<String> = written
        .iter()
        .flat_map(|(_, titles)| titles.iter().map(|t| t.to_lowercase()))
        .collect();
    titles.sort_unstable();
    titles.dedup();
    let targets = store.readable_notes_titled(importer, &titles).await?;
    for (source, titles) in written {
        for title in titles {
            match targets.get(&title.to_lowercase()).copied() {
                Some(target) if target != source => store.add_link(source, target, now).await?,
                Some(_) => {}
                None => report
                    .warnings
                    .push(format!("link to [[{title}]] skipped: no such note")),
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(
            file_name("Pool: sizing/limits?", &mut taken),
            "Pool- sizing-limits-.md"
        );
        assert_eq!(
            file_name("pool- SIZING-limits-", &mut taken),
            "pool- SIZING-limits- (2).md"
        );
        assert_eq!(file_name("..", &mut taken), "Untitled.md");
    }

    #[test]
    fn front_matter_is_read_the_ways_obsidian_writes_it() {
        let (front, body) = split(
            "---\ntitle: Pool sizing\ntags: db, ops\nerrors: 7\naliases: [x]\n---\nBody [[Other]]\n",
        )
        .unwrap();
        assert_eq!(front.title.as_deref(), Some("Pool sizing"));
        assert_eq!(front.tags.list(), ["db", "ops"]);
        assert_eq!(front.errors, [7]);
        assert_eq!(body, "Body [[Other]]\n");
        let (front, body) = split("No front matter").unwrap();
        assert!(front.title.is_none());
        assert_eq!(body, "No front matter");
        assert!(split("---\ntitle: [unclosed\n---\nBody").is_err());
        assert!(split("---\n---\nEmpty front matter")
            .unwrap()
            .0
            .title
            .is_none());
    }
}

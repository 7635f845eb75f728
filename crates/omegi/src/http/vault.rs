//! Notes as an Obsidian vault: export as a zip of Markdown files, import a vault or loose
//! Markdown files back.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiQuery, CurrentUser};
use super::AppState;
use crate::knowledge::vault::{self, Budget, ImportError, ImportReport, VaultFile};
use crate::model::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_notes))
        .routes(routes!(import_notes))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// The public notes on this project's errors (the caller must be a member); without it,
    /// the caller's own notes.
    project: Option<i64>,
}

/// The caller's notes (or a project's public notes) as an Obsidian vault: a zip of Markdown
/// files with YAML front matter (title, omegi_id, kind, tags, errors, visibility, author,
/// created, updated, links) and the body's `[[wikilinks]]` as written.
#[utoipa::path(get, path = "/api/notes/export", tag = "notes", params(ExportQuery),
    responses(
        (status = 200, description = "A zip of Markdown files", content_type = "application/zip", body = Vec<u8>),
        (status = 404, description = "Not a project of the caller", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn export_notes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    if let Some(project) = q.project {
        super::access::member(&state, &user, project).await?;
    }
    let rows = state.store.notes_for_vault(user.id, q.project).await?;
    let zip = vault::export(&rows).map_err(ApiError::internal)?;
    let name = match q.project {
        Some(p) => format!("omegi-project-{p}-notes.zip"),
        None => format!("omegi-{}-notes.zip", user.username),
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(ApiError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        zip,
    )
        .into_response())
}

/// Imports a vault as the caller's notes: a zip (`application/zip`), or Markdown files and
/// zips as `multipart/form-data` parts (a folder picked in the browser). Re-importing updates
/// the notes an earlier import made (matched by `omegi_id`, else by title) instead of making
/// them twice.
#[utoipa::path(post, path = "/api/notes/import", tag = "notes",
    request_body(content = Vec<u8>, content_type = "application/zip",
        description = "A zip of Markdown files; or multipart/form-data with .md and .zip files"),
    responses(
        (status = 200, body = ImportReport),
        (status = 400, description = "Not a zip, no Markdown files, too many or too large files", body = ErrorBody),
        (status = 415, description = "Neither a zip nor multipart/form-data", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn import_notes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    request: Request,
) -> Result<Json<ImportReport>, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let files = if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|r| ApiError::new(r.status(), "invalid_body", r.body_text()))?;
        parts(multipart).await?
    } else if content_type.starts_with("application/zip")
        || content_type.starts_with("application/x-zip-compressed")
        || content_type.starts_with("application/octet-stream")
    {
        let bytes = Bytes::from_request(request, &state)
            .await
            .map_err(|r| ApiError::new(r.status(), "invalid_body", r.body_text()))?;
        vault::unzip(&bytes, &mut Budget::default()).map_err(import_error)?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/zip, or multipart/form-data with .md or .zip files",
        ));
    };
    Ok(Json(
        vault::import(&state.store, user.id, files, now_ms())
            .await
            .map_err(import_error)?,
    ))
}

/// The Markdown files of the parts: `.md` parts as they are, `.zip` parts unpacked.
async fn parts(mut multipart: Multipart) -> Result<Vec<VaultFile>, ApiError> {
    let mut files = Vec::new();
    let mut budget = Budget::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(e.status(), "invalid_body", e.body_text())
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.file_name().unwrap_or("").to_string();
        let lower = name.to_lowercase();
        if lower.ends_with(".md") {
            let bytes = field.bytes().await.map_err(bad)?;
            budget.take(&name, bytes.len()).map_err(import_error)?;
            files.push(VaultFile {
                name,
                text: String::from_utf8_lossy(&bytes).into_owned(),
            });
        } else if lower.ends_with(".zip") {
            let bytes = field.bytes().await.map_err(bad)?;
            files.extend(vault::unzip(&bytes, &mut budget).map_err(import_error)?);
        }
    }
    Ok(files)
}

fn import_error(e: ImportError) -> ApiError {
    match e {
        ImportError::Store(e) => e.into(),
        other => ApiError::invalid("file", other),
    }
}

//! Notes: writing, reading, revisions and links. Only the author changes a note; a note the
//! caller cannot read (another user's private note) answers 404 everywhere.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{page_limit, ApiJson, ApiPath, ApiQuery, CurrentUser};
use super::AppState;
use crate::model::{
    normalize_tag, now_ms, tidy_note, unbracket, Note, NoteKind, NoteSummary, Revision, User,
    Visibility,
};
use crate::store::{NoteFilter, NoteInput};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, create_note))
        .routes(routes!(get_note, update_note, delete_note))
        .routes(routes!(list_revisions))
        .routes(routes!(get_revision))
        .routes(routes!(add_link))
        .routes(routes!(remove_link))
}

#[derive(Deserialize, ToSchema)]
struct NewNote {
    /// 1–200 characters.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// Markdown, at most 100,000 bytes. `[[Other note]]` links to that note.
    #[serde(default)]
    #[schema(max_length = 100000)]
    body: String,
    kind: NoteKind,
    /// The error an error note belongs to (required for `kind: error`).
    error_id: Option<i64>,
    /// Optionally the occurrence of that error the note is about.
    occurrence_id: Option<i64>,
    #[serde(default)]
    tags: Vec<String>,
    /// Default `public`.
    visibility: Option<Visibility>,
}

#[derive(Deserialize, ToSchema)]
struct NoteChange {
    title: Option<String>,
    body: Option<String>,
    kind: Option<NoteKind>,
    error_id: Option<i64>,
    occurrence_id: Option<i64>,
    tags: Option<Vec<String>>,
    visibility: Option<Visibility>,
}

/// Checks a note before it is stored; the error names the field.
async fn validate(state: &AppState, user: &User, mut n: NoteInput) -> Result<NoteInput, ApiError> {
    let (title, tags) =
        tidy_note(&n.title, &n.body, &n.tags).map_err(|p| ApiError::invalid(p.field, p.problem))?;
    n.title = title;
    n.tags = tags;
    match (n.kind, n.error_id) {
        (NoteKind::Error, None) => {
            return Err(ApiError::invalid(
                "error_id",
                "an error note needs the error it belongs to",
            ))
        }
        (NoteKind::General, Some(_)) => {
            return Err(ApiError::invalid(
                "error_id",
                "only error notes belong to an error",
            ))
        }
        (NoteKind::Error, Some(error)) => {
            state
                .store
                .error_for(user.id, error)
                .await
                .or_404(format_args!("error {error}"))?;
            if let Some(occ) = n.occurrence_id {
                let o = state
                    .store
                    .occurrence_for(user.id, occ)
                    .await
                    .or_404(format_args!("occurrence {occ}"))?;
                if o.error_id != error {
                    return Err(ApiError::invalid(
                        "occurrence_id",
                        format!("occurrence {occ} is not of error {error}"),
                    ));
                }
            }
        }
        (NoteKind::General, None) => n.occurrence_id = None,
    }
    Ok(n)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct NoteQuery {
    /// Full-text search over title and body; best match first, with snippets.
    q: Option<String>,
    tag: Option<String>,
    /// Author's username.
    author: Option<String>,
    kind: Option<NoteKind>,
    /// Notes of this error.
    error: Option<i64>,
    /// 1–500, default 100.
    limit: Option<i64>,
}

/// Notes the caller can read, filtered; a text search ranks title matches first.
#[utoipa::path(get, path = "/api/notes", tag = "notes", params(NoteQuery),
    responses((status = 200, body = [NoteSummary]), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list_notes(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<NoteQuery>,
) -> Result<Json<Vec<NoteSummary>>, ApiError> {
    let limit = page_limit(q.limit, 100)?;
    let filter = NoteFilter {
        q: q.q,
        tag: q.tag.map(|t| normalize_tag(&t)).filter(|t| !t.is_empty()),
        author: q.author.filter(|a| !a.is_empty()),
        kind: q.kind,
        error: q.error,
        limit,
        ..Default::default()
    };
    Ok(Json(state.store.search_notes(user.id, &filter).await?))
}

#[utoipa::path(post, path = "/api/notes", tag = "notes", request_body = NewNote,
    responses(
        (status = 201, body = Note),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 404, description = "The error is not in the caller's projects", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn create_note(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let input = NoteInput {
        title: body.title,
        body: body.body,
        kind: body.kind,
        error_id: body.error_id,
        occurrence_id: body.occurrence_id,
        tags: body.tags,
        visibility: body.visibility.unwrap_or(Visibility::Public),
    };
    let input = validate(&state, &user, input).await?;
    let id = state.store.create_note(user.id, &input, now_ms()).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.note_for(user.id, id).await?),
    ))
}

/// The note with its body, links, backlinks and unresolved `[[links]]`.
#[utoipa::path(get, path = "/api/notes/{id}", tag = "notes",
    params(("id" = i64, Path, description = "Note id")),
    responses((status = 200, body = Note), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn get_note(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Note>, ApiError> {
    Ok(Json(
        state
            .store
            .note_for(user.id, id)
            .await
            .or_404(format_args!("note {id}"))?,
    ))
}

/// 404 if the caller cannot read the note, 403 if they can but did not write it.
async fn authored(state: &AppState, user: &User, id: i64) -> Result<(), ApiError> {
    let author = state
        .store
        .note_author(user.id, id)
        .await
        .or_404(format_args!("note {id}"))?;
    if author != user.id {
        return Err(ApiError::forbidden("only the author changes a note"));
    }
    Ok(())
}

/// Edits a note (author only); the previous version is kept as a revision.
#[utoipa::path(patch, path = "/api/notes/{id}", tag = "notes", request_body = NoteChange,
    params(("id" = i64, Path, description = "Note id")),
    responses(
        (status = 200, body = Note),
        (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn update_note(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<NoteChange>,
) -> Result<Json<Note>, ApiError> {
    authored(&state, &user, id).await?;
    let current = NoteInput::of(&state.store.note_for(user.id, id).await?);
    let kind = change.kind.unwrap_or(current.kind);
    let keeps_error = kind == NoteKind::Error;
    let input = NoteInput {
        title: change.title.unwrap_or(current.title),
        body: change.body.unwrap_or(current.body),
        kind,
        error_id: change.error_id.or(current.error_id.filter(|_| keeps_error)),
        occurrence_id: change
            .occurrence_id
            .or(current.occurrence_id.filter(|_| keeps_error)),
        // The tags given with the note; those written as #tags come from the body.
        tags: change.tags.unwrap_or(current.tags),
        visibility: change.visibility.unwrap_or(current.visibility),
    };
    let input = validate(&state, &user, input).await?;
    state.store.update_note(id, &input, now_ms()).await?;
    Ok(Json(state.store.note_for(user.id, id).await?))
}

/// Deletes a note (author only) with its links and comments.
#[utoipa::path(delete, path = "/api/notes/{id}", tag = "notes",
    params(("id" = i64, Path, description = "Note id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn delete_note(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    authored(&state, &user, id).await?;
    state.store.delete_note(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Earlier versions of the note, newest first (each as it was before an edit).
#[utoipa::path(get, path = "/api/notes/{id}/revisions", tag = "notes",
    params(("id" = i64, Path, description = "Note id")),
    responses((status = 200, body = [Revision]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn list_revisions(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Revision>>, ApiError> {
    let author = state
        .store
        .note_author(user.id, id)
        .await
        .or_404(format_args!("note {id}"))?;
    Ok(Json(state.store.revisions(id, author == user.id).await?))
}

#[utoipa::path(get, path = "/api/notes/{id}/revisions/{rev}", tag = "notes",
    params(("id" = i64, Path, description = "Note id"), ("rev" = i64, Path, description = "Revision number")),
    responses((status = 200, body = Revision), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn get_revision(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, rev)): ApiPath<(i64, i64)>,
) -> Result<Json<Revision>, ApiError> {
    let author = state
        .store
        .note_author(user.id, id)
        .await
        .or_404(format_args!("note {id}"))?;
    state
        .store
        .revision(id, author == user.id, rev)
        .await
        .map(Json)
        .or_404(format_args!("revision {rev} of note {id}"))
}

#[derive(Deserialize, ToSchema)]
struct LinkInput {
    /// The note to link to: one of the caller's or another user's public note.
    target: i64,
}

/// Links the note (the caller's) to another note.
#[utoipa::path(post, path = "/api/notes/{id}/links", tag = "notes", request_body = LinkInput,
    params(("id" = i64, Path, description = "Note id")),
    responses(
        (status = 201, body = Note),
        (status = 400, description = "A note cannot link to itself", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such note, or a private note of someone else", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn add_link(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LinkInput>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    authored(&state, &user, id).await?;
    if body.target == id {
        return Err(ApiError::invalid("target", "a note cannot link to itself"));
    }
    state
        .store
        .note_author(user.id, body.target)
        .await
        .or_404(format_args!("note {}", body.target))?;
    state.store.add_link(id, body.target, now_ms()).await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.note_for(user.id, id).await?),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UnlinkQuery {
    /// When the link is written as `[[label]]` in the body: `true` removes the brackets from
    /// the body (the words stay; a new revision), otherwise the request is refused with 409.
    #[serde(default)]
    edit_body: bool,
}

/// Removes the links from the note (the caller's) to `target`. A link written in the body
/// as `[[label]]` is only removed with `edit_body=true`, which edits the body: the graph and
/// the text never disagree.
#[utoipa::path(delete, path = "/api/notes/{id}/links/{target}", tag = "notes",
    params(("id" = i64, Path, description = "Note id"), ("target" = i64, Path, description = "Linked note id"), UnlinkQuery),
    responses(
        (status = 204),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The link is written in the body (code link_in_body)", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn remove_link(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, target)): ApiPath<(i64, i64)>,
    ApiQuery(q): ApiQuery<UnlinkQuery>,
) -> Result<StatusCode, ApiError> {
    authored(&state, &user, id).await?;
    let labels = state.store.link_labels(id, target).await?;
    if !labels.is_empty() {
        if !q.edit_body {
            let written = labels
                .iter()
                .map(|l| format!("[[{l}]]"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "link_in_body",
                format!(
                    "the link is written as {written} in the note's body; edit the body, or \
                     pass edit_body=true to remove the brackets"
                ),
            ));
        }
        let current = NoteInput::of(&state.store.note_for(user.id, id).await?);
        let input = NoteInput {
            body: unbracket(&current.body, &labels),
            ..current
        };
        state.store.update_note(id, &input, now_ms()).await?;
    }
    match state.store.remove_link(id, target).await {
        // Only body links there were, and the edit removed them.
        Err(crate::store::StoreError::NotFound) if !labels.is_empty() => Ok(StatusCode::NO_CONTENT),
        other => other
            .map(|()| StatusCode::NO_CONTENT)
            .or_404(format_args!("link from note {id} to note {target}")),
    }
}

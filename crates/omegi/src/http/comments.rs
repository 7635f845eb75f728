//! Comments on notes: anyone who can read a note comments on it; authors of comments edit
//! and delete their own.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{ApiJson, ApiPath, CurrentUser};
use super::AppState;
use crate::model::{mentions, now_ms, Comment, User};
use crate::store::Recipient;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(edit_comment, delete_comment))
}

const MAX_COMMENT: usize = 20_000;

#[derive(Deserialize, ToSchema)]
struct CommentInput {
    /// Markdown, 1–20,000 bytes.
    #[schema(min_length = 1, max_length = 20000)]
    body: String,
}

fn comment_body(body: &str) -> Result<&str, ApiError> {
    let body = body.trim();
    if body.is_empty() || body.len() > MAX_COMMENT {
        return Err(ApiError::invalid(
            "body",
            format!("1 to {MAX_COMMENT} bytes"),
        ));
    }
    Ok(body)
}

#[utoipa::path(get, path = "/api/notes/{id}/comments", tag = "notes",
    params(("id" = i64, Path, description = "Note id")),
    responses((status = 200, body = [Comment]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn list_comments(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Comment>>, ApiError> {
    state
        .store
        .note_author(user.id, id)
        .await
        .or_404(format_args!("note {id}"))?;
    Ok(Json(state.store.comments(id).await?))
}

#[utoipa::path(post, path = "/api/notes/{id}/comments", tag = "notes", request_body = CommentInput,
    params(("id" = i64, Path, description = "Note id")),
    responses((status = 201, body = Comment), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn add_comment(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    let author = state
        .store
        .note_author(user.id, id)
        .await
        .or_404(format_args!("note {id}"))?;
    let body = comment_body(&input.body)?;
    // The note's author hears of every comment, and each mentioned reader of the note of
    // the comment mentioning them; one notification each, a mention saying more.
    let mut recipients: Vec<Recipient> = state
        .store
        .mentioned_readers(id, user.id, &mentions(body))
        .await?
        .into_iter()
        .map(|u| (u, "mention"))
        .collect();
    if author != user.id && !recipients.iter().any(|(u, _)| *u == author) {
        recipients.push((author, "comment"));
    }
    let cid = state
        .store
        .add_comment(id, user.id, body, &recipients, now_ms())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.comment_for(user.id, cid).await?),
    ))
}

/// The comment if its author is the caller: 404 when unreadable, 403 when someone else's.
async fn own_comment(state: &AppState, user: &User, id: i64) -> Result<Comment, ApiError> {
    let c = state
        .store
        .comment_for(user.id, id)
        .await
        .or_404(format_args!("comment {id}"))?;
    if c.author_id != user.id {
        return Err(ApiError::forbidden(
            "only the author of a comment changes it",
        ));
    }
    Ok(c)
}

#[utoipa::path(patch, path = "/api/comments/{id}", tag = "notes", request_body = CommentInput,
    params(("id" = i64, Path, description = "Comment id")),
    responses((status = 200, body = Comment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn edit_comment(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<Json<Comment>, ApiError> {
    own_comment(&state, &user, id).await?;
    state
        .store
        .update_comment(id, comment_body(&input.body)?, now_ms())
        .await?;
    Ok(Json(state.store.comment_for(user.id, id).await?))
}

#[utoipa::path(delete, path = "/api/comments/{id}", tag = "notes",
    params(("id" = i64, Path, description = "Comment id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn delete_comment(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    own_comment(&state, &user, id).await?;
    state.store.delete_comment(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

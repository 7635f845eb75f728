//! Projects and their members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::access;
use super::error::{ApiError, ErrorBody, OrNotFound};
use super::extract::{ApiJson, ApiPath, CurrentUser};
use super::AppState;
use crate::model::{now_ms, Member, MemberRole, Project, User};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
        .routes(routes!(list_members, put_member))
        .routes(routes!(remove_member))
}

#[derive(Deserialize, ToSchema)]
struct ProjectInput {
    /// 1–100 characters, unique on this server (case-insensitive).
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

fn project_name(name: &str) -> Result<&str, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 1 to 100 characters"));
    }
    Ok(name)
}

/// Projects the caller is a member of.
#[utoipa::path(get, path = "/api/projects", tag = "projects",
    responses((status = 200, body = [Project]), (status = 401, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list_projects(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Vec<Project>>, ApiError> {
    Ok(Json(state.store.projects_for(user.id).await?))
}

/// Creates a project; the caller becomes its owner.
#[utoipa::path(post, path = "/api/projects", tag = "projects", request_body = ProjectInput,
    responses(
        (status = 201, body = Project),
        (status = 400, body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn create_project(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<ProjectInput>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let name = project_name(&body.name)?;
    match state.store.create_project(name, user.id, now_ms()).await {
        Ok(project) => Ok((StatusCode::CREATED, Json(project))),
        Err(e) => Err(name_conflict(&state, &user, name, e).await),
    }
}

/// Project names are unique on the server; a taken name is named as such only to someone who
/// can see the project holding it, so nobody learns what projects others have.
async fn name_conflict(state: &AppState, user: &User, name: &str, e: StoreError) -> ApiError {
    if !matches!(e, StoreError::Conflict(_)) {
        return e.into();
    }
    match state.store.projects_for(user.id).await {
        Ok(projects) if projects.iter().any(|p| p.name.eq_ignore_ascii_case(name)) => {
            ApiError::conflict(format!("you already have a project named {name:?}"))
        }
        Ok(_) => ApiError::conflict("that project name is not available; choose another"),
        Err(e) => e.into(),
    }
}

#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, body = Project), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn get_project(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(access::member(&state, &user, id).await?))
}

/// Renames a project (owners only).
#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects", request_body = ProjectInput,
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = Project),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn update_project(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ProjectInput>,
) -> Result<Json<Project>, ApiError> {
    access::owner(&state, &user, id).await?;
    let name = project_name(&body.name)?;
    if let Err(e) = state.store.rename_project(id, name).await {
        return Err(name_conflict(&state, &user, name, e).await);
    }
    Ok(Json(access::member(&state, &user, id).await?))
}

/// Deletes a project and everything in it (owners only).
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn delete_project(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    access::owner(&state, &user, id).await?;
    state.store.delete_project(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/projects/{id}/members", tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, body = [Member]), (status = 404, body = ErrorBody)))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn list_members(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<Member>>, ApiError> {
    access::member(&state, &user, id).await?;
    Ok(Json(state.store.members(id).await?))
}

#[derive(Deserialize, ToSchema)]
struct MemberInput {
    username: String,
    role: MemberRole,
}

/// Adds a user to the project, or changes their role (owners only).
#[utoipa::path(post, path = "/api/projects/{id}/members", tag = "projects", request_body = MemberInput,
    params(("id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, body = [Member]),
        (status = 403, body = ErrorBody),
        (status = 404, description = "No such project, or no such user", body = ErrorBody),
        (status = 409, description = "Would leave the project without an owner", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
async fn put_member(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MemberInput>,
) -> Result<Json<Vec<Member>>, ApiError> {
    access::owner(&state, &user, id).await?;
    let member = state
        .store
        .user_by_username(body.username.trim())
        .await
        .or_404(format_args!("user {:?}", body.username))?;
    state
        .store
        .put_member(id, member.id, body.role, now_ms())
        .await?;
    Ok(Json(state.store.members(id).await?))
}

/// Removes a member (owners only; any member may remove themself).
#[utoipa::path(delete, path = "/api/projects/{id}/members/{uid}", tag = "projects",
    params(("id" = i64, Path, description = "Project id"), ("uid" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The last owner cannot leave", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
async fn remove_member(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, uid)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    if uid == user.id {
        access::member(&state, &user, id).await?;
    } else {
        access::owner(&state, &user, id).await?;
    }
    state
        .store
        .remove_member(id, uid)
        .await
        .or_404(format_args!("member {uid}"))?;
    Ok(StatusCode::NO_CONTENT)
}

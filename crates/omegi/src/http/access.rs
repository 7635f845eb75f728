//! Project access rules in one place: members see a project and everything in it, owners
//! change it, and anybody else is told it does not exist.

use super::error::{ApiError, OrNotFound};
use super::AppState;
use crate::model::{MemberRole, Project, Service, User};

/// The project if `user` is a member; 404 otherwise (never 403, so ids leak nothing).
pub async fn member(state: &AppState, user: &User, project: i64) -> Result<Project, ApiError> {
    state
        .store
        .project_for(user.id, project)
        .await
        .or_404(format_args!("project {project}"))
}

/// The project if `user` owns it; 404 for non-members, 403 for members who are not owners.
pub async fn owner(state: &AppState, user: &User, project: i64) -> Result<Project, ApiError> {
    let p = member(state, user, project).await?;
    if p.role != MemberRole::Owner {
        return Err(ApiError::forbidden(format!(
            "only an owner of project {:?} may change it",
            p.name
        )));
    }
    Ok(p)
}

/// Service `service` of the project if `user` is a member (404 otherwise, or when the
/// project has no such service).
pub async fn member_service(
    state: &AppState,
    user: &User,
    project: i64,
    service: i64,
) -> Result<Service, ApiError> {
    member(state, user, project).await?;
    project_service(state, project, service).await
}

/// The same for an owner (403 for members who are not owners).
pub async fn owner_service(
    state: &AppState,
    user: &User,
    project: i64,
    service: i64,
) -> Result<Service, ApiError> {
    owner(state, user, project).await?;
    project_service(state, project, service).await
}

async fn project_service(
    state: &AppState,
    project: i64,
    service: i64,
) -> Result<Service, ApiError> {
    state
        .store
        .service(project, service)
        .await
        .or_404(format_args!("service {service}"))
}

//! Projects, their members and their services. Every read is scoped to a member, so a caller
//! who is not in a project cannot tell it from one that does not exist.

use sqlx::FromRow;

use super::{conflict, found, stored, touched, Result, Store, StoreError};
use crate::model::{rfc3339, Member, MemberRole, Millis, Project, Service};

#[derive(FromRow)]
struct ProjectRow {
    id: i64,
    name: String,
    created_at: i64,
    role: String,
    service_count: i64,
    member_count: i64,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(r: ProjectRow) -> Result<Project> {
        Ok(Project {
            role: stored(MemberRole::parse(&r.role), "member role", &r.role)?,
            id: r.id,
            name: r.name,
            created_at: rfc3339(r.created_at),
            service_count: r.service_count,
            member_count: r.member_count,
        })
    }
}

/// Projects as seen by member `$1`.
const PROJECT_SELECT: &str = "SELECT p.id, p.name, p.created_at, m.role, \
     (SELECT COUNT(*) FROM services s WHERE s.project_id = p.id) AS service_count, \
     (SELECT COUNT(*) FROM project_members x WHERE x.project_id = p.id) AS member_count \
     FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = $1";

#[derive(FromRow)]
struct MemberRow {
    user_id: i64,
    username: String,
    role: String,
    added_at: i64,
}

#[derive(FromRow)]
struct ServiceRow {
    id: i64,
    project_id: i64,
    name: String,
    kind: Option<String>,
    created_at: i64,
}

impl From<ServiceRow> for Service {
    fn from(r: ServiceRow) -> Service {
        Service {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            kind: r.kind,
            created_at: rfc3339(r.created_at),
        }
    }
}

fn name_taken(name: &str) -> String {
    format!("a project named {name:?} already exists")
}

impl Store {
    /// Creates a project with `owner` as its first owner.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_project(&self, name: &str, owner: i64, now: Millis) -> Result<Project> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO projects (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(conflict(name_taken(name)))?;
        sqlx::query(
            "INSERT INTO project_members (project_id, user_id, role, added_at) \
             VALUES ($1, $2, 'owner', $3)",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        self.project_for(owner, id).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user))]
    pub async fn projects_for(&self, user: i64) -> Result<Vec<Project>> {
        let sql = format!("{PROJECT_SELECT} ORDER BY lower(p.name)");
        let rows: Vec<ProjectRow> = sqlx::query_as(&sql)
            .bind(user)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Project::try_from).collect()
    }

    /// The project if `user` is a member of it; [`StoreError::NotFound`] otherwise.
    #[tracing::instrument(level = "debug", skip_all, fields(user = ?user, project = ?project))]
    pub async fn project_for(&self, user: i64, project: i64) -> Result<Project> {
        let sql = format!("{PROJECT_SELECT} WHERE p.id = $2");
        let row: Option<ProjectRow> = sqlx::query_as(&sql)
            .bind(user)
            .bind(project)
            .fetch_optional(&self.pool)
            .await?;
        found(row)?.try_into()
    }

    /// A project's name.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn project_name(&self, project: i64) -> Result<String> {
        found(
            sqlx::query_scalar("SELECT name FROM projects WHERE id = $1")
                .bind(project)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn rename_project(&self, project: i64, name: &str) -> Result<()> {
        sqlx::query("UPDATE projects SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(project)
            .execute(&self.pool)
            .await
            .map_err(conflict(name_taken(name)))?;
        Ok(())
    }

    /// Deletes the project and, by cascade, everything in it.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn delete_project(&self, project: i64) -> Result<()> {
        sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(project)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn members(&self, project: i64) -> Result<Vec<Member>> {
        let rows: Vec<MemberRow> = sqlx::query_as(
            "SELECT m.user_id, u.username, m.role, m.added_at FROM project_members m \
             JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY lower(u.username)",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Member {
                    role: stored(MemberRole::parse(&r.role), "member role", &r.role)?,
                    user_id: r.user_id,
                    username: r.username,
                    added_at: rfc3339(r.added_at),
                })
            })
            .collect()
    }

    /// Adds `user` to the project, or changes their role if already a member. Demoting the
    /// last owner is refused so a project always has someone who can manage it.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, user = ?user))]
    pub async fn put_member(
        &self,
        project: i64,
        user: i64,
        role: MemberRole,
        now: Millis,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        if role == MemberRole::Member && self.is_last_owner(&mut tx, project, user).await? {
            return Err(StoreError::Conflict(
                "a project needs at least one owner; make someone else owner first".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO project_members (project_id, user_id, role, added_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(project)
        .bind(user)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member; the last owner cannot be removed.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, user = ?user))]
    pub async fn remove_member(&self, project: i64, user: i64) -> Result<()> {
        let mut tx = self.write().await?;
        if self.is_last_owner(&mut tx, project, user).await? {
            return Err(StoreError::Conflict(
                "the last owner cannot leave the project; delete it or make someone else owner"
                    .into(),
            ));
        }
        touched(
            sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
                .bind(project)
                .bind(user)
                .execute(&mut **tx)
                .await?,
        )?;
        tx.commit().await?;
        Ok(())
    }

    async fn is_last_owner(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        project: i64,
        user: i64,
    ) -> Result<bool> {
        let (is_owner, owners): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(CASE WHEN user_id = $2 THEN 1 END), COUNT(*) FROM project_members \
             WHERE project_id = $1 AND role = 'owner'",
        )
        .bind(project)
        .bind(user)
        .fetch_one(&mut **tx)
        .await?;
        Ok(is_owner == 1 && owners == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn create_service(
        &self,
        project: i64,
        name: &str,
        kind: Option<&str>,
        now: Millis,
    ) -> Result<Service> {
        let row: ServiceRow = sqlx::query_as(
            "INSERT INTO services (project_id, name, kind, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, project_id, name, kind, created_at",
        )
        .bind(project)
        .bind(name)
        .bind(kind)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(conflict(format!(
            "this project already has a service named {name:?}"
        )))?;
        Ok(row.into())
    }

    /// The names of a project's services.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn service_names(&self, project: i64) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT name FROM services WHERE project_id = $1")
                .bind(project)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn services(&self, project: i64) -> Result<Vec<Service>> {
        let rows: Vec<ServiceRow> = sqlx::query_as(
            "SELECT id, project_id, name, kind, created_at FROM services \
             WHERE project_id = $1 ORDER BY name",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Service::from).collect())
    }

    /// The service if it belongs to `project`.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, service = ?service))]
    pub async fn service(&self, project: i64, service: i64) -> Result<Service> {
        let row: Option<ServiceRow> = sqlx::query_as(
            "SELECT id, project_id, name, kind, created_at FROM services \
             WHERE project_id = $1 AND id = $2",
        )
        .bind(project)
        .bind(service)
        .fetch_optional(&self.pool)
        .await?;
        found(row).map(Service::from)
    }

    /// The resource attributes `service` (a name) sent with its latest spans, among the
    /// project's most recently used resources; `None` before it sent any.
    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project))]
    pub async fn latest_resource(
        &self,
        project: i64,
        service: &str,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {} FROM resources WHERE project_id = $1 \
             ORDER BY last_used_at DESC LIMIT 200",
            self.backend.json_column("attributes")
        ))
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        for text in rows {
            let attributes: serde_json::Map<String, serde_json::Value> =
                super::decode_json(&text, "resource attributes")?;
            if attributes.get("service.name").and_then(|v| v.as_str()) == Some(service) {
                return Ok(Some(attributes));
            }
        }
        Ok(None)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(project = ?project, service = ?service))]
    pub async fn delete_service(&self, project: i64, service: i64) -> Result<()> {
        touched(
            sqlx::query("DELETE FROM services WHERE project_id = $1 AND id = $2")
                .bind(project)
                .bind(service)
                .execute(&self.pool)
                .await?,
        )?;
        Ok(())
    }
}

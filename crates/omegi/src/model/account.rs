use serde::Serialize;
use utoipa::ToSchema;

/// An account. The first account created becomes the admin.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: UserRole,
    /// Whether the account signs in through GitHub.
    pub github: bool,
    pub created_at: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// May create users when sign-up is closed.
    Admin,
    User,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<UserRole> {
        match s {
            "admin" => Some(UserRole::Admin),
            "user" => Some(UserRole::User),
            _ => None,
        }
    }
}

/// Why a new username is not acceptable, if it is not.
pub fn check_username(username: &str) -> Result<(), &'static str> {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if (2..=40).contains(&username.len()) && ok_chars {
        Ok(())
    } else {
        Err("must be 2 to 40 characters of letters, digits, '-', '_' or '.'")
    }
}

/// Why a new password is not acceptable, if it is not.
pub fn check_password(password: &str) -> Result<(), &'static str> {
    if (8..=1024).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err("must be 8 to 1024 characters")
    }
}

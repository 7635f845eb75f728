//! Accounts as a service: creating a local account (username and password checked, the
//! password hashed on the blocking pool because argon2id takes tens of milliseconds by design),
//! the same for sign-up, admin-created accounts and `omegi user create`.

use crate::auth::password;
use crate::model::{check_password, check_username, now_ms, User};
use crate::store::{NewUser, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field is not acceptable; the problem is said in words.
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

/// Checks a new account's username and password; the error names the field.
pub fn validate(username: &str, password: &str) -> Result<(), AccountError> {
    check_username(username).map_err(|problem| AccountError::Invalid {
        field: "username",
        problem,
    })?;
    check_password(password).map_err(|problem| AccountError::Invalid {
        field: "password",
        problem,
    })
}

/// Creates an account with a password, after checking both. The first account is the admin.
pub async fn create_local(
    store: &Store,
    username: &str,
    password: String,
    admin: bool,
) -> Result<User, AccountError> {
    validate(username, &password)?;
    let hash = tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    let new = NewUser {
        username,
        password_hash: Some(&hash),
        github_id: None,
        admin,
    };
    Ok(store.create_user(new, now_ms()).await?)
}

/// Gives the local account `username` a new password, creating the account if it does not
/// exist (for `omegi serve --demo`, which prints a fresh password at every start).
pub async fn set_local_password(
    store: &Store,
    username: &str,
    password: String,
) -> Result<User, AccountError> {
    validate(username, &password)?;
    match store.user_by_username(username).await {
        Ok(user) => {
            let hash = tokio::task::spawn_blocking(move || password::hash(&password))
                .await
                .map_err(|e| AccountError::Hash(e.to_string()))?;
            store.set_password_hash(user.id, &hash).await?;
            Ok(user)
        }
        Err(StoreError::NotFound) => create_local(store, username, password, false).await,
        Err(e) => Err(e.into()),
    }
}

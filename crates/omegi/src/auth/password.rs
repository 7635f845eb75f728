//! Argon2id password hashes (PHC strings). Hashing is deliberately slow, so callers run it
//! on the blocking pool.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A PHC-format Argon2id hash of `password` with a fresh salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

/// Whether `password` matches `hash`. Without a stored hash (a GitHub-only account) the
/// password is checked against a throw-away hash, so the answer takes the same time and
/// does not tell which usernames exist.
pub fn verify(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = hash.unwrap_or_else(|| DUMMY.get_or_init(|| self::hash("omegi-no-password")));
    let ok = PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && hash.is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let h = super::hash("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", Some(&h)));
        assert!(!super::verify("wrong horse", Some(&h)));
        assert!(!super::verify("correct horse", None));
    }
}

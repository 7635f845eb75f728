//! Random secrets and how they are kept: the plain value goes to the user once, the database
//! only ever sees its SHA-256.

use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// Prefix that marks an Omegi ingest token, so secret scanners and humans recognise it.
pub const INGEST_TOKEN_PREFIX: &str = "omg_";

/// 43 base62 characters carry 256 bits, as much as 32 random bytes.
const SECRET_LEN: usize = 43;

/// A new random base62 secret of 256 bits.
pub fn generate() -> String {
    Alphanumeric.sample_string(&mut OsRng, SECRET_LEN)
}

/// A new ingest token: `omg_` followed by 256 random bits in base62.
pub fn generate_ingest_token() -> String {
    format!("{INGEST_TOKEN_PREFIX}{}", generate())
}

/// 128 random bits as 32 lower-case hex digits: the shape of a Sentry public key or event id.
pub fn random_id128() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut OsRng, &mut bytes);
    crate::model::hex(&bytes)
}

/// A new Sentry DSN public key, the form Sentry SDKs expect in a DSN.
pub fn generate_sentry_key() -> String {
    random_id128()
}

/// The part of an ingest token that is safe to show in lists.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(INGEST_TOKEN_PREFIX.len() + 6).collect()
}

/// Hex SHA-256 of a secret; what the database stores and looks up.
pub fn digest(secret: &str) -> String {
    let mut out = String::with_capacity(64);
    for byte in Sha256::digest(secret.as_bytes()) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingest_tokens_are_long_random_and_prefixed() {
        let a = generate_ingest_token();
        let b = generate_ingest_token();
        assert_ne!(a, b);
        assert!(a.starts_with("omg_"));
        assert_eq!(a.len(), 4 + 43);
        assert!(a[4..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(display_prefix(&a), &a[..10]);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }
}

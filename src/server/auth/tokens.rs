//! API tokens: `dt_` and 32 random bytes (base64url), kept only as their
//! SHA-256. Tokens carry 256 bits of randomness, so a fast hash is enough to
//! keep them unusable if the database leaks (no password hashing needed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub const TOKEN_PREFIX: &str = "dt_";
const TOKEN_BYTES: usize = 32;

/// A new token and the hash to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut bytes[..]);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why an `Authorization` header gives no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// Not `Bearer <token>`, or not a datatrain token.
    Malformed,
}

/// The token of an `Authorization: Bearer …` header value.
pub fn bearer_token(header: &str) -> Result<&str, BearerError> {
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or(BearerError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || !token.starts_with(TOKEN_PREFIX)
        || token.len() > 200
        || !token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert!(a.starts_with("dt_") && a.len() >= 3 + 43);
        assert_ne!(a, b);
        assert_eq!(ha, token_hash(&a));
        assert_eq!(ha.len(), 64);
        assert!(!ha.contains(&a[3..]));
    }

    #[test]
    fn bearer_headers() {
        let (t, _) = new_token();
        assert_eq!(bearer_token(&format!("Bearer {t}")), Ok(t.as_str()));
        assert_eq!(bearer_token(&format!("bearer  {t} ")), Ok(t.as_str()));
        for bad in [
            "",
            "Bearer",
            "Basic dXNlcjpwYXNz",
            "Bearer abc",
            "Token dt_abc",
            "Bearer dt_a b",
        ] {
            assert_eq!(bearer_token(bad), Err(BearerError::Malformed), "{bad:?}");
        }
    }
}

//! Secrets at rest: source URLs that carry a password are stored encrypted
//! (XChaCha20-Poly1305) with a key derived by HKDF-SHA256 from the instance key
//! (`DATATRAIN_KEY` or the key file). The store also keeps a fingerprint of the
//! key, so an instance started with another key refuses to start instead of
//! failing to decrypt later.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// The prefix of an encrypted value (the format's version).
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a stored secret cannot be decrypted with this key")]
    Undecryptable,
}

/// Encrypts and decrypts stored secrets with keys derived from the instance key.
#[derive(Clone)]
pub struct Secrets {
    cipher: XChaCha20Poly1305,
    fingerprint: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl Secrets {
    /// Derives the encryption key and the fingerprint from the 64-byte instance key.
    pub fn from_master_key(master: &[u8]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"datatrain"), master);
        let mut key = [0u8; 32];
        hk.expand(b"source secrets v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        let mut print = [0u8; 16];
        hk.expand(b"key fingerprint v1", &mut print)
            .expect("16 bytes is a valid HKDF-SHA256 length");
        Secrets {
            cipher: XChaCha20Poly1305::new(&key.into()),
            fingerprint: print.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// Secrets under a random key of this process only (tests, defaults).
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 64];
        rand::Rng::fill(&mut rand::rngs::OsRng, &mut key[..]);
        Secrets::from_master_key(&key)
    }

    /// A fingerprint of the key (it reveals nothing of it), kept in the store.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// `v1:` + base64(nonce ‖ ciphertext); a fresh random nonce each time.
    pub fn encrypt(&self, plain: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("XChaCha20-Poly1305 encryption of a short text cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(bytes))
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, SecretError> {
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SecretError::Undecryptable)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)
    }
}

impl Secrets {
    /// The URL to connect to a stored source: its decrypted secret, or the shown URL
    /// when it has none (it carries no password then).
    pub fn reveal(&self, shown: &str, secret: Option<&str>) -> Result<String, SecretError> {
        match secret {
            Some(secret) => self.decrypt(secret),
            None => Ok(shown.to_string()),
        }
    }
}

/// The 64-byte instance key; its `Debug` form shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub Vec<u8>);

impl SecretKey {
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// Decodes `DATATRAIN_KEY`: base64 (standard or URL-safe, padding optional) of 64 bytes.
pub fn decode_key(text: &str) -> Result<Vec<u8>, String> {
    let text = text.trim();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let bytes = engines
        .iter()
        .find_map(|e| e.decode(text).ok())
        .ok_or_else(|| "not valid base64".to_string())?;
    if bytes.len() != 64 {
        return Err(format!("must decode to 64 bytes, not {}", bytes.len()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let s = Secrets::from_master_key(&[7u8; 64]);
        let a = s.encrypt("postgres://u:p a'\"<>@ss@h/db");
        let b = s.encrypt("postgres://u:p a'\"<>@ss@h/db");
        assert_ne!(a, b, "fresh nonces");
        assert!(a.starts_with("v1:") && !a.contains("ss@h"));
        assert_eq!(s.decrypt(&a).unwrap(), "postgres://u:p a'\"<>@ss@h/db");
        let mut tampered = a.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(s.decrypt(&String::from_utf8(tampered).unwrap()).is_err());
        let other = Secrets::from_master_key(&[8u8; 64]);
        assert_eq!(other.decrypt(&a), Err(SecretError::Undecryptable));
        assert_ne!(other.fingerprint(), s.fingerprint());
        assert_eq!(s.fingerprint().len(), 32);
        assert!(s.decrypt("plain").is_err());
    }

    #[test]
    fn keys_from_base64() {
        let key = STANDARD.encode([1u8; 64]);
        assert_eq!(decode_key(&key).unwrap(), vec![1u8; 64]);
        assert!(decode_key(&STANDARD.encode([1u8; 32])).is_err());
        assert!(decode_key("***").is_err());
    }
}

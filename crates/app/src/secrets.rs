//! Passwords and random secrets: argon2 hashes made off the async threads,
//! tokens of 256 random bits, and what the database keeps of a token.

use crate::error::Error;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

pub const MIN_PASSWORD_LEN: usize = 10;

/// Hashes a password off the async threads (argon2 is deliberately slow).
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(Error::internal)?
    .map_err(Error::internal)
}

/// Checks a password against a stored hash; false for any malformed hash.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// 256 random bits as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    // The OS generator failing means the machine cannot run securely at all.
    getrandom::fill(&mut b).expect("operating system random number generator");
    hex::encode(b)
}

/// A random password of `len` letters and digits, for demo and reset use.
pub fn random_password(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = vec![0u8; len];
    getrandom::fill(&mut b).expect("operating system random number generator");
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_reject() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse battery".into(), h.clone()).await);
        assert!(!verify_password("wrong".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn tokens_and_passwords_have_their_length() {
        assert_eq!(random_token().len(), 64);
        assert_eq!(random_password(12).len(), 12);
        assert_eq!(token_hash("x").len(), 64);
    }
}

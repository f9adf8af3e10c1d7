//! Password hashing and strength rules.

use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordParams {
    /// OWASP's argon2id baseline: 19 MiB, two passes, one lane.
    fn default() -> Self {
        PasswordParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashing or checking a password failed for a reason other than a mismatch.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The configured cost parameters are outside argon2's limits.
    #[error("invalid argon2 parameters: {0}")]
    Params(argon2::Error),
    /// The stored hash is not a PHC string argon2 can read.
    #[error("stored password hash is malformed: {0}")]
    MalformedHash(argon2::password_hash::Error),
    /// Hashing itself failed.
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
}

/// Hashes and verifies passwords with fixed argon2id parameters.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    /// Verified against when an account does not exist, so a missing
    /// account costs the same time as a wrong password.
    decoy: String,
}

impl PasswordHasher {
    pub fn new(params: PasswordParams) -> Result<Self, PasswordError> {
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(PasswordError::Params)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
        let mut hasher = PasswordHasher {
            argon,
            decoy: String::new(),
        };
        hasher.decoy = hasher.hash(&random_password_for_decoy())?;
        Ok(hasher)
    }

    /// A PHC string (`$argon2id$v=19$m=...`) with a fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let hash = self
            .argon
            .hash_password(password.as_bytes(), &salt)
            .map_err(PasswordError::Hash)?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches `stored`. The parameters recorded in the
    /// stored hash are used, so older hashes stay valid after a cost change.
    pub fn verify(&self, password: &str, stored: &str) -> Result<bool, PasswordError> {
        let parsed = PasswordHash::new(stored).map_err(PasswordError::MalformedHash)?;
        match self.argon.verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(PasswordError::Hash(e)),
        }
    }

    /// Spends the time of one verification without an account to check.
    pub fn verify_decoy(&self, password: &str) {
        let _ = self.verify(password, &self.decoy);
    }
}

fn random_password_for_decoy() -> String {
    crate::token::random_password()
}

/// Why a new password was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("the password must have at least {min} characters")]
    TooShort { min: usize },
    #[error("the password must mix at least three of: lower-case, upper-case, digits, symbols")]
    TooSimple,
    #[error("the password must not contain the account name")]
    ContainsUsername,
}

/// MLPS level 3 expects complex passwords: at least 10 characters from at
/// least three character classes, not containing the account name.
pub fn check_strength(password: &str, username: &str) -> Result<(), WeakPassword> {
    const MIN: usize = 10;
    if password.chars().count() < MIN {
        return Err(WeakPassword::TooShort { min: MIN });
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 3 {
        return Err(WeakPassword::TooSimple);
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(WeakPassword::ContainsUsername);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn light() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn hash_then_verify() {
        let h = light();
        let stored = h.hash("Correct-horse-9").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        assert!(h.verify("Correct-horse-9", &stored).unwrap());
        assert!(!h.verify("correct-horse-9", &stored).unwrap());
        assert_ne!(stored, h.hash("Correct-horse-9").unwrap(), "salted");
    }

    #[test]
    fn hashes_made_with_other_costs_still_verify() {
        let stored = light().hash("Correct-horse-9").unwrap();
        let stronger = PasswordHasher::new(PasswordParams {
            memory_kib: 128,
            iterations: 2,
            parallelism: 1,
        })
        .unwrap();
        assert!(stronger.verify("Correct-horse-9", &stored).unwrap());
    }

    #[test]
    fn malformed_hash_is_an_error_not_a_mismatch() {
        assert!(matches!(
            light().verify("x", "not-a-hash"),
            Err(PasswordError::MalformedHash(_))
        ));
    }

    #[test]
    fn bad_params_are_refused() {
        let p = PasswordParams {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
        };
        assert!(matches!(
            PasswordHasher::new(p),
            Err(PasswordError::Params(_))
        ));
    }

    #[test]
    fn strength_rules() {
        let check = |p| check_strength(p, "zhangsan");
        assert_eq!(check("Sh0rt!"), Err(WeakPassword::TooShort { min: 10 }));
        assert_eq!(check("alllowercaseletters"), Err(WeakPassword::TooSimple));
        assert_eq!(check("lowercase123"), Err(WeakPassword::TooSimple));
        assert_eq!(check("Zhangsan-2026"), Err(WeakPassword::ContainsUsername));
        assert_eq!(check("Lowercase123"), Ok(()));
        assert_eq!(check("数据安全-Rongshu"), Ok(()));
        assert_eq!(check(&crate::random_password()), Ok(()));
    }
}

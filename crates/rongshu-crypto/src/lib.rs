//! Cryptographic building blocks for accounts and sessions.
//!
//! Passwords use argon2id (memory-hard; the national algorithms have no
//! password hash). Session tokens are 256-bit random values stored as SM3
//! digests; API keys are stored as HMAC-SM3 under the server's secret key,
//! so a copy of the database alone cannot confirm a guessed key.

mod password;
mod reversible;
pub mod seal;
pub mod sign;
mod token;

pub use password::{PasswordError, PasswordHasher, PasswordParams, WeakPassword, check_strength};
pub use reversible::{TokenError, Tokenizer};
pub use token::{
    Fingerprinter, KeyedHasher, Secret, SecretToken, constant_time_eq, random_password, sm3_hex,
    sm3_hex_of,
};

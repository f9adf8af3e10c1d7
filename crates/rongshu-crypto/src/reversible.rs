//! Reversible tokens for de-identification: the same value always gives
//! the same token under one key (so tokens still join and group), and only
//! the key's holder can turn a token back into its value.
//!
//! Deterministic authenticated encryption in the SIV style: the nonce is
//! the HMAC-SM3 of the value under a separate key, and the value is sealed
//! with SM4-GCM under that nonce. Equal values leak their equality, which
//! is the point; nothing else leaks, and an altered token fails to open.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{AesGcm, Nonce};
use hmac::{Hmac, Mac};
use sm3::Sm3;
use sm4::Sm4;
use sm4::cipher::consts::U12;

type Sm4Gcm = AesGcm<Sm4, U12>;

const NONCE: usize = 12;

/// A reversible tokenizer: 16 bytes of SM4 key, then any number (at least
/// 16) of HMAC key bytes.
#[derive(Clone)]
pub struct Tokenizer {
    cipher: Sm4Gcm,
    mac_key: Vec<u8>,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tokenizer(<key>)")
    }
}

/// Why a token did not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the key must hold at least 32 bytes")]
    ShortKey,
    #[error("not a token: expected hexadecimal of at least {min} characters")]
    Malformed { min: usize },
    #[error("the token was not made with this key, or was altered")]
    Forged,
}

impl Tokenizer {
    pub fn new(key: &[u8]) -> Result<Tokenizer, TokenError> {
        if key.len() < 32 {
            return Err(TokenError::ShortKey);
        }
        let cipher = Sm4Gcm::new_from_slice(&key[..16]).map_err(|_| TokenError::ShortKey)?;
        Ok(Tokenizer {
            cipher,
            mac_key: key[16..].to_vec(),
        })
    }

    /// The token of `value`, as lowercase hexadecimal.
    pub fn tokenize(&self, value: &str) -> String {
        let mut mac = <Hmac<Sm3> as Mac>::new_from_slice(&self.mac_key)
            .expect("HMAC accepts keys of any length");
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let nonce = Nonce::<U12>::from_slice(&digest[..NONCE]);
        let sealed = self
            .cipher
            .encrypt(nonce, value.as_bytes())
            .expect("SM4-GCM seals any short value");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&digest[..NONCE]);
        out.extend_from_slice(&sealed);
        hex::encode(out)
    }

    /// The value behind a token made with this key.
    pub fn detokenize(&self, token: &str) -> Result<String, TokenError> {
        let min = 2 * (NONCE + 16);
        let bytes = hex::decode(token).map_err(|_| TokenError::Malformed { min })?;
        if bytes.len() < NONCE + 16 {
            return Err(TokenError::Malformed { min });
        }
        let (nonce, sealed) = bytes.split_at(NONCE);
        let plain = self
            .cipher
            .decrypt(Nonce::<U12>::from_slice(nonce), sealed)
            .map_err(|_| TokenError::Forged)?;
        let value = String::from_utf8(plain).map_err(|_| TokenError::Forged)?;
        // The nonce is a function of the value: a token whose nonce does not
        // match was not made by `tokenize`.
        if self.tokenize(&value) != token.to_ascii_lowercase() {
            return Err(TokenError::Forged);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(fill: u8) -> Vec<u8> {
        vec![fill; 32]
    }

    #[test]
    fn tokens_are_stable_and_reversible() {
        let t = Tokenizer::new(&key(7)).unwrap();
        let a = t.tokenize("11010519491231002X");
        assert_eq!(a, t.tokenize("11010519491231002X"));
        assert_ne!(a, t.tokenize("110105194912310030"));
        assert_eq!(t.detokenize(&a).unwrap(), "11010519491231002X");
        assert_eq!(
            t.detokenize("").unwrap_err(),
            TokenError::Malformed { min: 56 }
        );
    }

    #[test]
    fn another_key_or_an_edit_does_not_open() {
        let t = Tokenizer::new(&key(7)).unwrap();
        let other = Tokenizer::new(&key(8)).unwrap();
        let a = t.tokenize("张三");
        assert_ne!(a, other.tokenize("张三"), "unlinkable across keys");
        assert_eq!(other.detokenize(&a).unwrap_err(), TokenError::Forged);
        let mut edited = a.clone().into_bytes();
        let last = edited.len() - 1;
        edited[last] = if edited[last] == b'0' { b'1' } else { b'0' };
        let edited = String::from_utf8(edited).unwrap();
        assert_eq!(t.detokenize(&edited).unwrap_err(), TokenError::Forged);
        assert_eq!(Tokenizer::new(&[0; 31]).unwrap_err(), TokenError::ShortKey);
    }
}

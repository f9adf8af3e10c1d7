//! Random secrets and how they are stored.

use std::fmt;
use std::hash::Hasher;

use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use siphasher::sip128::{Hasher128, SipHasher24};
use sm3::{Digest, Sm3};

/// A string that must never reach a log: `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} chars>)", self.0.len())
    }
}

/// A freshly generated bearer secret: a type prefix and 256 random bits.
#[derive(Debug)]
pub struct SecretToken {
    pub secret: Secret,
}

impl SecretToken {
    /// `prefix` tells the kinds apart at a glance (`rss_` session, `rsk_` API key).
    pub fn generate(prefix: &str) -> SecretToken {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        SecretToken {
            secret: Secret(format!("{prefix}{}", hex::encode(bytes))),
        }
    }

    /// The first characters, safe to show in lists so a key can be recognised.
    pub fn display_prefix(&self) -> String {
        self.secret.0.chars().take(12).collect()
    }
}

/// SM3 of a string, hex-encoded. Enough for high-entropy tokens.
pub fn sm3_hex(s: &str) -> String {
    hex::encode(Sm3::digest(s.as_bytes()))
}

/// Compares two secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// SM3 of everything `reader` yields, hex-encoded, read in blocks.
pub fn sm3_hex_of(mut reader: impl std::io::Read) -> std::io::Result<String> {
    let mut hasher = Sm3::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// HMAC-SM3 under the server's secret key. The keyed state is made once
/// and cloned per message, so each message costs its own compressions only.
#[derive(Clone)]
pub struct KeyedHasher {
    keyed: Hmac<Sm3>,
}

impl fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedHasher(<key>)")
    }
}

impl KeyedHasher {
    /// Takes the key; it should hold at least 32 random bytes.
    pub fn new(key: Vec<u8>) -> Self {
        KeyedHasher {
            keyed: <Hmac<Sm3> as Mac>::new_from_slice(&key)
                .expect("HMAC accepts keys of any length"),
        }
    }

    pub fn generate_key() -> Vec<u8> {
        let mut key = vec![0u8; 32];
        OsRng.fill_bytes(&mut key);
        key
    }

    /// The MAC of `message`, as 64 hexadecimal digits.
    pub fn hash_hex(&self, message: &str) -> String {
        self.hash_hex_prefix(message, 32)
    }

    /// The first `bytes` bytes of the MAC (at most 32), in hexadecimal.
    pub fn hash_hex_prefix(&self, message: &str, bytes: usize) -> String {
        let mut mac = self.keyed.clone();
        mac.update(message.as_bytes());
        let digest = mac.finalize().into_bytes();
        let digest = &digest[..bytes.min(digest.len())];
        // Through a buffer: `hex::encode` collects a char at a time, and
        // API keys are hashed on every data call.
        let mut digits = [0u8; 64];
        let digits = &mut digits[..digest.len() * 2];
        hex::encode_to_slice(digest, digits).expect("two digits a byte");
        String::from_utf8(digits.to_vec()).expect("hexadecimal digits are ASCII")
    }
}

/// A 128-bit fingerprint of a secret under a key each process draws for
/// itself (SipHash-2-4, a keyed pseudorandom function): it finds in an
/// in-memory cache what a secret was already checked to open, without
/// keeping the secret and without its slower MAC. Never stored: the key
/// dies with the process.
pub struct Fingerprinter {
    key: (u64, u64),
}

impl Fingerprinter {
    pub fn new() -> Self {
        Fingerprinter {
            key: (OsRng.next_u64(), OsRng.next_u64()),
        }
    }

    pub fn of(&self, secret: &str) -> u128 {
        let mut hasher = SipHasher24::new_with_keys(self.key.0, self.key.1);
        hasher.write(secret.as_bytes());
        hasher.finish128().as_u128()
    }
}

impl Default for Fingerprinter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fingerprinter(<key>)")
    }
}

/// A random password that satisfies [`crate::check_strength`]: 16
/// characters with every class present.
pub fn random_password() -> String {
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"-_.@#%+=";
    let classes = [LOWER, UPPER, DIGIT, SYMBOL];
    let mut rng = OsRng;
    (0..16)
        .map(|i| {
            // The first four characters cover every class; the rest are free.
            let class = if i < 4 {
                classes[i]
            } else {
                classes[(rng.next_u32() % 4) as usize]
            };
            class[(rng.next_u32() as usize) % class.len()] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_vector() {
        // GB/T 32905-2016 example 1: SM3("abc").
        assert_eq!(
            sm3_hex("abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(constant_time_eq("", ""));
    }

    #[test]
    fn streamed_and_whole_digests_agree() {
        let text = "蓉数".repeat(50_000);
        assert_eq!(sm3_hex_of(text.as_bytes()).unwrap(), sm3_hex(&text));
    }

    #[test]
    fn fingerprints_hold_within_a_process_key_only() {
        let (mine, other) = (Fingerprinter::new(), Fingerprinter::new());
        let key = "rsk_0123456789abcdef";
        assert_eq!(mine.of(key), mine.of(key));
        assert_ne!(mine.of(key), mine.of("rsk_0123456789abcdeF"));
        assert_ne!(mine.of(key), other.of(key));
        assert!(!format!("{mine:?}").contains(&format!("{}", mine.key.0)));
    }

    #[test]
    fn tokens_are_prefixed_and_unique() {
        let a = SecretToken::generate("rsk_");
        let b = SecretToken::generate("rsk_");
        assert!(a.secret.expose().starts_with("rsk_"));
        assert_eq!(a.secret.expose().len(), 4 + 64);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.display_prefix().len(), 12);
    }

    #[test]
    fn secrets_do_not_debug_print() {
        let s = Secret::new("hunter2-password");
        assert_eq!(format!("{s:?}"), "Secret(<16 chars>)");
    }

    #[test]
    fn keyed_hash_prefixes_are_the_digits_of_the_mac() {
        let hasher = KeyedHasher::new(b"key-one".to_vec());
        let mut mac = hasher.keyed.clone();
        mac.update("蓉数".as_bytes());
        let whole = hex::encode(mac.finalize().into_bytes());
        assert_eq!(hasher.hash_hex("蓉数"), whole);
        assert_eq!(hasher.hash_hex_prefix("蓉数", 10), whole[..20]);
        assert_eq!(
            hasher.hash_hex_prefix("蓉数", 99),
            whole,
            "at most the whole MAC"
        );
    }

    #[test]
    fn keyed_hash_depends_on_the_key() {
        let a = KeyedHasher::new(b"key-one".to_vec());
        let b = KeyedHasher::new(b"key-two".to_vec());
        assert_eq!(a.hash_hex("m"), a.hash_hex("m"));
        assert_ne!(a.hash_hex("m"), b.hash_hex("m"));
        assert_ne!(a.hash_hex("m"), sm3_hex("m"));
    }
}

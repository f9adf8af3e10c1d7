//! SM2 signatures (GM/T 0003.2-2012) for agreements. Each organisation has
//! a key pair; its distinguishing identifier is the organisation's code, so
//! a signature also binds who signed. Signatures are `r ‖ s` in hex and
//! public keys uncompressed SEC1 points in hex, so an exported agreement
//! can be checked offline with nothing but this module.

use std::fmt;

use rand::rngs::OsRng;
use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the public key is not an SM2 point")]
    BadPublicKey,
    #[error("the signature is not 64 bytes of hex")]
    BadEncoding,
    #[error("the signature does not match the signer's key and the message")]
    Mismatch,
    #[error("the secret key is not a valid SM2 scalar")]
    BadSecret,
}

/// An organisation's signing key. `Debug` shows only the public key.
pub struct SigningKeyPair {
    key: SigningKey,
}

impl fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKeyPair({})", self.public_hex())
    }
}

impl SigningKeyPair {
    pub fn generate(signer_id: &str) -> Result<SigningKeyPair, SignatureError> {
        let secret = sm2::SecretKey::random(&mut OsRng);
        SigningKeyPair::from_secret(signer_id, &secret.to_bytes())
    }

    pub fn from_secret(signer_id: &str, secret: &[u8]) -> Result<SigningKeyPair, SignatureError> {
        let secret = sm2::SecretKey::from_slice(secret).map_err(|_| SignatureError::BadSecret)?;
        let key = SigningKey::new(signer_id, &secret).map_err(|_| SignatureError::BadSecret)?;
        Ok(SigningKeyPair { key })
    }

    /// The secret scalar, to be sealed before it is stored.
    pub fn secret_bytes(&self) -> Vec<u8> {
        self.key.to_bytes().to_vec()
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_sec1_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> String {
        let signature: Signature = self.key.sign(message);
        hex::encode(signature.to_bytes())
    }
}

/// Checks `signature_hex` over `message` by `signer_id`'s `public_hex`.
pub fn verify(
    signer_id: &str,
    public_hex: &str,
    message: &[u8],
    signature_hex: &str,
) -> Result<(), SignatureError> {
    let public = hex::decode(public_hex).map_err(|_| SignatureError::BadPublicKey)?;
    let key = VerifyingKey::from_sec1_bytes(signer_id, &public)
        .map_err(|_| SignatureError::BadPublicKey)?;
    let bytes = hex::decode(signature_hex).map_err(|_| SignatureError::BadEncoding)?;
    let signature = Signature::from_slice(&bytes).map_err(|_| SignatureError::BadEncoding)?;
    key.verify(message, &signature)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_message_key_and_signer() {
        let pair = SigningKeyPair::generate("91510100MA61R8XY3K").unwrap();
        let signature = pair.sign(b"agreement digest");
        let public = pair.public_hex();
        assert_eq!(public.len(), 130, "uncompressed SEC1 point");
        verify(
            "91510100MA61R8XY3K",
            &public,
            b"agreement digest",
            &signature,
        )
        .unwrap();
        let mismatch = |r| assert_eq!(r, Err(SignatureError::Mismatch));
        mismatch(verify(
            "91510100MA61R8XY3K",
            &public,
            b"agreement digesT",
            &signature,
        ));
        mismatch(verify(
            "other-org",
            &public,
            b"agreement digest",
            &signature,
        ));
        let other = SigningKeyPair::generate("91510100MA61R8XY3K").unwrap();
        mismatch(verify(
            "91510100MA61R8XY3K",
            &other.public_hex(),
            b"agreement digest",
            &signature,
        ));
        assert_eq!(
            verify("x", "04ab", b"m", &signature),
            Err(SignatureError::BadPublicKey)
        );
        assert_eq!(
            verify("x", &public, b"m", "zz"),
            Err(SignatureError::BadEncoding)
        );
    }

    #[test]
    fn a_key_survives_its_secret_bytes() {
        let pair = SigningKeyPair::generate("org").unwrap();
        let again = SigningKeyPair::from_secret("org", &pair.secret_bytes()).unwrap();
        assert_eq!(again.public_hex(), pair.public_hex());
        assert!(!format!("{again:?}").contains(&hex::encode(pair.secret_bytes())));
        assert_eq!(
            SigningKeyPair::from_secret("org", &[0; 32]).unwrap_err(),
            SignatureError::BadSecret
        );
    }
}

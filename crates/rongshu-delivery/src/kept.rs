//! Files other services keep sealed beside the versions (the sandbox's
//! workspace tables). Each has a data key of its own, wrapped by the
//! master key with its object's name as context, exactly like a version's,
//! so key rotation and recovery treat both alike.

use std::io::Write;

use rongshu_crypto::seal::{DataKey, SealError};
use rongshu_objects::ObjectError;

use crate::{Deliveries, DeliveryError, key_context};

/// Where kept files live in the object store; recovery sweeps it.
pub const KEPT_PREFIX: &str = "kept";

/// A file sealed and stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptFile {
    pub object_name: String,
    /// SM3 of the plaintext, in hex.
    pub digest: String,
    pub byte_size: u64,
    pub wrapped_key: String,
    pub master_key_id: String,
}

/// Why a stored object did not give its plaintext back.
pub(crate) enum Unsealed {
    /// It opened to something other than what was stored, or not at all.
    Damaged(String),
    Failed(DeliveryError),
}

impl Deliveries {
    /// Seals `plaintext` under a fresh data key as a new object in
    /// `owner`'s folder of the kept files; gives the plaintext back.
    pub async fn keep(
        &self,
        owner: &str,
        plaintext: Vec<u8>,
    ) -> Result<(KeptFile, Vec<u8>), DeliveryError> {
        // The name starts with the time it was made, for recovery to tell
        // an orphan from an object about to be recorded.
        let object_name = format!(
            "{KEPT_PREFIX}/{owner}/{}-{}.sealed",
            crate::now_ms(),
            uuid::Uuid::new_v4()
        );
        let key = DataKey::generate(self.inner.config.suite);
        let master = &self.inner.master;
        let wrapped_key = hex::encode(master.wrap(&key, &key_context(&object_name)));
        let files = self.inner.files.clone();
        let name = object_name.clone();
        let (sealed, plaintext) = tokio::task::spawn_blocking(move || {
            let mut writer = files.create(&name, &key)?;
            writer
                .write_all(&plaintext)
                .map_err(|e| ObjectError::Location(name.clone(), e.to_string()))?;
            Ok::<_, ObjectError>((writer.finish()?, plaintext))
        })
        .await
        .map_err(|e| DeliveryError::Task(e.to_string()))??;
        Ok((
            KeptFile {
                object_name,
                digest: sealed.digest,
                byte_size: sealed.plaintext_len,
                wrapped_key,
                master_key_id: master.id(),
            },
            plaintext,
        ))
    }

    /// A kept file's plaintext, checked against its recorded digest.
    pub async fn open_kept(&self, file: &KeptFile) -> Result<Vec<u8>, DeliveryError> {
        self.open_checked(&file.object_name, &file.wrapped_key, &file.digest)
            .await
            .map_err(|e| match e {
                Unsealed::Damaged(detail) => DeliveryError::KeptIntegrity {
                    object: file.object_name.clone(),
                    detail,
                },
                Unsealed::Failed(e) => e,
            })
    }

    /// Removes a kept file whose record is gone.
    pub async fn discard_kept(&self, object_name: &str) -> Result<(), DeliveryError> {
        Ok(self.inner.files.discard(object_name).await?)
    }

    /// An object's plaintext, decrypted in memory and checked against
    /// `digest`.
    pub(crate) async fn open_checked(
        &self,
        object_name: &str,
        wrapped_key: &str,
        digest: &str,
    ) -> Result<Vec<u8>, Unsealed> {
        let wrapped =
            hex::decode(wrapped_key).map_err(|_| Unsealed::Failed(SealError::KeyUnwrap.into()))?;
        let key = self
            .inner
            .master
            .unwrap(&wrapped, &key_context(object_name))
            .map_err(|e| Unsealed::Failed(e.into()))?;
        let bytes = self
            .inner
            .files
            .read_all(object_name, &key)
            .await
            .map_err(|e| match e {
                ObjectError::Sealed { source, .. } => Unsealed::Damaged(source.to_string()),
                other => Unsealed::Failed(other.into()),
            })?;
        let found =
            rongshu_crypto::sm3_hex_of(&bytes[..]).map_err(|e| Unsealed::Damaged(e.to_string()))?;
        if found != digest {
            return Err(Unsealed::Damaged(format!(
                "content digest {found} differs from the recorded {digest}"
            )));
        }
        Ok(bytes)
    }
}

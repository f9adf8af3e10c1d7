//! The streaming sealed writer: plaintext in, sealed parts out to object
//! storage, with the plaintext's SM3 digest taken on the way.

use std::io::{self, Write};
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use rongshu_crypto::seal::{DataKey, Sealer};
use sm3::{Digest, Sm3};
use tokio::runtime::Handle;

use crate::ObjectError;

/// How many parts may be in flight: with the part size, this bounds the
/// writer's memory.
const PARTS_IN_FLIGHT: usize = 2;

/// Sends sealed bytes to a multipart upload, blocking on the runtime.
struct Parts {
    upload: Option<WriteMultipart>,
    runtime: Handle,
    sealed_len: u64,
}

impl Write for Parts {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let upload = self
            .upload
            .as_mut()
            .ok_or_else(|| io::Error::other("upload finished"))?;
        self.runtime
            .block_on(upload.wait_for_capacity(PARTS_IN_FLIGHT))
            .map_err(io::Error::other)?;
        // Parts upload as runtime tasks, whichever thread writes.
        let _runtime = self.runtime.enter();
        upload.write(buf);
        self.sealed_len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a finished sealed object holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedObject {
    pub name: String,
    /// SM3 of the plaintext, in hex.
    pub digest: String,
    pub plaintext_len: u64,
    pub sealed_len: u64,
}

/// Write plaintext in; call [`SealedWriter::finish`] to make the object
/// exist, or drop it (or [`SealedWriter::abort`]) to leave nothing.
pub struct SealedWriter {
    name: ObjectPath,
    sealer: Option<Sealer<Parts>>,
    digest: Sm3,
    plaintext_len: u64,
}

impl std::fmt::Debug for SealedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedWriter({}, {} bytes)",
            self.name, self.plaintext_len
        )
    }
}

impl SealedWriter {
    pub(crate) fn start(
        store: Arc<dyn ObjectStore>,
        name: ObjectPath,
        key: &DataKey,
        chunk_size: u32,
        workers: usize,
        part_size: usize,
    ) -> Result<SealedWriter, ObjectError> {
        let runtime = Handle::try_current()
            .map_err(|e| ObjectError::Location(name.to_string(), e.to_string()))?;
        let upload = runtime.block_on(store.put_multipart(&name))?;
        let parts = Parts {
            upload: Some(WriteMultipart::new_with_chunk_size(upload, part_size)),
            runtime,
            sealed_len: 0,
        };
        let sealer = Sealer::new(key, chunk_size, parts)
            .map_err(|e| ObjectError::Location(name.to_string(), e.to_string()))?
            .with_workers(workers);
        Ok(SealedWriter {
            name,
            sealer: Some(sealer),
            digest: Sm3::new(),
            plaintext_len: 0,
        })
    }

    /// Seals the last chunk and completes the upload: only now does the
    /// object exist under its name.
    pub fn finish(mut self) -> Result<SealedObject, ObjectError> {
        let sealer = self.sealer.take().expect("finished once");
        let mut parts = sealer
            .finish()
            .map_err(|e| ObjectError::Location(self.name.to_string(), e.to_string()))?;
        let upload = parts.upload.take().expect("finished once");
        parts.runtime.block_on(upload.finish())?;
        Ok(SealedObject {
            name: self.name.to_string(),
            digest: hex::encode(self.digest.clone().finalize()),
            plaintext_len: self.plaintext_len,
            sealed_len: parts.sealed_len,
        })
    }

    /// Abandons the upload; the store keeps nothing of it.
    pub fn abort(mut self) {
        self.abort_upload();
    }

    fn abort_upload(&mut self) {
        if let Some(sealer) = self.sealer.take() {
            let mut parts = sealer.into_inner();
            if let Some(upload) = parts.upload.take() {
                // Best effort: a store that cannot abort now keeps an
                // unfinished upload, which is never visible as an object.
                let _ = parts.runtime.block_on(upload.abort());
            }
        }
    }
}

impl Drop for SealedWriter {
    fn drop(&mut self) {
        self.abort_upload();
    }
}

impl Write for SealedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let sealer = self
            .sealer
            .as_mut()
            .ok_or_else(|| io::Error::other("the object is finished"))?;
        let n = sealer.write(buf)?;
        self.digest.update(&buf[..n]);
        self.plaintext_len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

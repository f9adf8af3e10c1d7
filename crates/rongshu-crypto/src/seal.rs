//! Encryption at rest (Art. 7, 9; GB/T 39786-2021 level 3): data files are
//! sealed with a per-version data key in fixed-size chunks, each an AEAD
//! message authenticated with the file header, its position and whether
//! it is the last, so
//! - any byte range is read by decrypting only the chunks covering it;
//! - a changed, moved, dropped or appended chunk fails authentication;
//! - cutting the file at a chunk boundary is caught (no chunk is "last").
//!
//! Data keys are wrapped by a master key ([`MasterKey::wrap`]) and stored
//! beside the version; rotating the master key re-wraps them only.
//!
//! Layout: header `RSS1 | suite u8 | chunk_size u32 BE | nonce prefix [8]`,
//! then chunks of `chunk_size` plaintext bytes plus a 16-byte tag (the last
//! may be shorter). Nonce of chunk i: prefix ‖ i as u32 BE.

use std::fmt;
use std::io::{self, Write};
use std::ops::Range;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce, Tag};
use rand::RngCore;
use rand::rngs::OsRng;
use sm4::Sm4;

type Sm4Gcm = AesGcm<Sm4, U12>;

const MAGIC: &[u8; 4] = b"RSS1";
const HEADER_LEN: usize = 4 + 1 + 4 + 8;
const TAG_LEN: usize = 16;

/// The authenticated cipher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// SM4-GCM (RFC 8998): the national algorithm, the default.
    Sm4Gcm,
    /// AES-256-GCM: where throughput matters more than the national suite.
    Aes256Gcm,
}

impl Suite {
    pub const fn as_str(self) -> &'static str {
        match self {
            Suite::Sm4Gcm => "sm4-gcm",
            Suite::Aes256Gcm => "aes-256-gcm",
        }
    }

    const fn code(self) -> u8 {
        match self {
            Suite::Sm4Gcm => 1,
            Suite::Aes256Gcm => 2,
        }
    }

    const fn key_len(self) -> usize {
        match self {
            Suite::Sm4Gcm => 16,
            Suite::Aes256Gcm => 32,
        }
    }

    fn from_code(code: u8) -> Result<Suite, SealError> {
        match code {
            1 => Ok(Suite::Sm4Gcm),
            2 => Ok(Suite::Aes256Gcm),
            other => Err(SealError::UnknownSuite(other)),
        }
    }
}

impl std::str::FromStr for Suite {
    type Err = SealError;
    fn from_str(s: &str) -> Result<Suite, SealError> {
        match s {
            "sm4-gcm" => Ok(Suite::Sm4Gcm),
            "aes-256-gcm" => Ok(Suite::Aes256Gcm),
            _ => Err(SealError::UnknownSuiteName(s.to_owned())),
        }
    }
}

/// Why sealed data could not be opened.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("not a sealed Rongshu file (bad header)")]
    BadHeader,
    #[error("unknown cipher suite code {0}")]
    UnknownSuite(u8),
    #[error("unknown cipher suite {0:?}; expected sm4-gcm or aes-256-gcm")]
    UnknownSuiteName(String),
    #[error("the key is for {key}, the data is sealed with {data}")]
    SuiteMismatch {
        key: &'static str,
        data: &'static str,
    },
    #[error("integrity check failed at chunk {chunk}: the data was altered, moved or cut")]
    Tampered { chunk: u64 },
    #[error("the sealed data is cut short")]
    Truncated,
    #[error("range {start}..{end} is outside the {len} bytes of plaintext")]
    OutOfRange { start: u64, end: u64, len: u64 },
    #[error("a wrapped data key failed to unwrap: wrong master key, or altered")]
    KeyUnwrap,
    #[error("a key must have {expected} bytes, not {found}")]
    KeyLength { expected: usize, found: usize },
}

enum Aead {
    Sm4(Box<Sm4Gcm>),
    Aes(Box<Aes256Gcm>),
}

impl Aead {
    fn new(suite: Suite, key: &[u8]) -> Result<Aead, SealError> {
        let wrong = || SealError::KeyLength {
            expected: suite.key_len(),
            found: key.len(),
        };
        Ok(match suite {
            Suite::Sm4Gcm => Aead::Sm4(Box::new(Sm4Gcm::new_from_slice(key).map_err(|_| wrong())?)),
            Suite::Aes256Gcm => Aead::Aes(Box::new(
                Aes256Gcm::new_from_slice(key).map_err(|_| wrong())?,
            )),
        })
    }

    fn seal(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut Vec<u8>) {
        let nonce = Nonce::from_slice(nonce);
        let tag = match self {
            Aead::Sm4(c) => c.encrypt_in_place_detached(nonce, aad, buf),
            Aead::Aes(c) => c.encrypt_in_place_detached(nonce, aad, buf),
        }
        .expect("chunks are far below the AEAD length limit");
        buf.extend_from_slice(&tag);
    }

    /// Opens `buf` (ciphertext then tag) in place; false if it fails authentication.
    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut Vec<u8>) -> bool {
        if buf.len() < TAG_LEN {
            return false;
        }
        let tag = Tag::clone_from_slice(&buf[buf.len() - TAG_LEN..]);
        buf.truncate(buf.len() - TAG_LEN);
        let nonce = Nonce::from_slice(nonce);
        match self {
            Aead::Sm4(c) => c.decrypt_in_place_detached(nonce, aad, buf, &tag),
            Aead::Aes(c) => c.decrypt_in_place_detached(nonce, aad, buf, &tag),
        }
        .is_ok()
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

/// A version's data key. `Debug` never shows the key.
pub struct DataKey {
    suite: Suite,
    bytes: Vec<u8>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey({})", self.suite.as_str())
    }
}

impl DataKey {
    pub fn generate(suite: Suite) -> DataKey {
        let mut bytes = vec![0u8; suite.key_len()];
        OsRng.fill_bytes(&mut bytes);
        DataKey { suite, bytes }
    }

    pub fn suite(&self) -> Suite {
        self.suite
    }
}

/// The key that wraps data keys, from a key file or the environment.
/// Wrapping uses SM4-GCM with the first half, so the national algorithm
/// protects every data key whichever suite seals the data.
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<secret>)")
    }
}

impl MasterKey {
    pub fn generate() -> MasterKey {
        MasterKey(random())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<MasterKey, SealError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| SealError::KeyLength {
            expected: 32,
            found: bytes.len(),
        })?;
        Ok(MasterKey(arr))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A public name for the key (16 hex digits of a domain-separated SM3),
    /// stored beside what it wraps so the right key can be told apart
    /// during rotation without revealing anything of it.
    pub fn id(&self) -> String {
        use sm3::Digest;
        let mut h = sm3::Sm3::new();
        h.update(b"rongshu master key id\0");
        h.update(self.0);
        hex::encode(&h.finalize()[..8])
    }

    fn aead(&self) -> Aead {
        Aead::new(Suite::Sm4Gcm, &self.0[..16]).expect("16 bytes is an SM4 key")
    }

    /// Wraps a data key, bound to `context` (e.g. `resource 7 version 3`):
    /// suite code ‖ nonce ‖ ciphertext ‖ tag.
    pub fn wrap(&self, key: &DataKey, context: &[u8]) -> Vec<u8> {
        let mut out = vec![key.suite.code()];
        out.extend(self.seal_secret(&key.bytes, context));
        out
    }

    pub fn unwrap(&self, wrapped: &[u8], context: &[u8]) -> Result<DataKey, SealError> {
        let (&code, sealed) = wrapped.split_first().ok_or(SealError::KeyUnwrap)?;
        let suite = Suite::from_code(code)?;
        let bytes = self.open_secret(sealed, context)?;
        if bytes.len() != suite.key_len() {
            return Err(SealError::KeyUnwrap);
        }
        Ok(DataKey { suite, bytes })
    }

    /// Seals a small secret (a data key, a signing key) bound to
    /// `context`: nonce ‖ ciphertext ‖ tag.
    pub fn seal_secret(&self, secret: &[u8], context: &[u8]) -> Vec<u8> {
        let nonce: [u8; 12] = random();
        let mut buf = secret.to_vec();
        self.aead().seal(&nonce, context, &mut buf);
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        out
    }

    pub fn open_secret(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 12 + TAG_LEN {
            return Err(SealError::KeyUnwrap);
        }
        let nonce: [u8; 12] = sealed[..12].try_into().expect("12 bytes");
        let mut buf = sealed[12..].to_vec();
        if !self.aead().open(&nonce, context, &mut buf) {
            return Err(SealError::KeyUnwrap);
        }
        Ok(buf)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    suite: Suite,
    chunk: u32,
    prefix: [u8; 8],
}

impl Header {
    fn bytes(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(MAGIC);
        h[4] = self.suite.code();
        h[5..9].copy_from_slice(&self.chunk.to_be_bytes());
        h[9..].copy_from_slice(&self.prefix);
        h
    }

    fn parse(b: &[u8]) -> Result<Header, SealError> {
        if b.len() < HEADER_LEN || &b[..4] != MAGIC {
            return Err(SealError::BadHeader);
        }
        let chunk = u32::from_be_bytes(b[5..9].try_into().expect("4 bytes"));
        if chunk == 0 {
            return Err(SealError::BadHeader);
        }
        Ok(Header {
            suite: Suite::from_code(b[4])?,
            chunk,
            prefix: b[9..HEADER_LEN].try_into().expect("8 bytes"),
        })
    }

    fn nonce(&self, index: u64) -> [u8; 12] {
        let mut n = [0u8; 12];
        n[..8].copy_from_slice(&self.prefix);
        n[8..].copy_from_slice(&(index as u32).to_be_bytes());
        n
    }

    fn aad(&self, index: u64, last: bool) -> Vec<u8> {
        let mut a = self.bytes().to_vec();
        a.extend_from_slice(&index.to_be_bytes());
        a.push(u8::from(last));
        a
    }

    fn sealed_chunk(&self) -> u64 {
        u64::from(self.chunk) + TAG_LEN as u64
    }
}

/// Seals a stream: write plaintext in, the sealed form goes to `inner`.
/// Memory stays at a few chunks per worker whatever the size of the data.
/// Chunks are independent, so with several workers they are sealed in
/// parallel (SM4 runs at about 70 MB/s per core) and written in order.
pub struct Sealer<W: Write> {
    aead: Aead,
    header: Header,
    inner: W,
    buf: Vec<u8>,
    index: u64,
    workers: usize,
}

impl<W: Write> fmt::Debug for Sealer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sealer({}, chunk {})",
            self.header.suite.as_str(),
            self.index
        )
    }
}

impl<W: Write> Sealer<W> {
    pub fn new(key: &DataKey, chunk_size: u32, mut inner: W) -> io::Result<Sealer<W>> {
        assert!(chunk_size > 0, "chunk size must be positive");
        let header = Header {
            suite: key.suite,
            chunk: chunk_size,
            prefix: random(),
        };
        inner.write_all(&header.bytes())?;
        let aead = Aead::new(key.suite, &key.bytes).expect("a data key has its suite's length");
        Ok(Sealer {
            aead,
            header,
            inner,
            buf: Vec::with_capacity(chunk_size as usize + TAG_LEN),
            index: 0,
            workers: 1,
        })
    }

    /// Seals with `workers` threads (at least one).
    pub fn with_workers(mut self, workers: usize) -> Sealer<W> {
        self.workers = workers.max(1);
        self
    }

    /// Chunks buffered before a batch is sealed.
    fn batch_chunks(&self) -> usize {
        if self.workers == 1 {
            1
        } else {
            self.workers * 4
        }
    }

    /// Seals `count` full chunks from the front of the buffer, none of
    /// them the last, spread over the workers, and writes them in order.
    fn emit_full(&mut self, count: usize) -> io::Result<()> {
        let chunk = self.header.chunk as usize;
        let data: Vec<u8> = self.buf.drain(..count * chunk).collect();
        let (aead, header, first) = (&self.aead, &self.header, self.index);
        let seal_one = |i: usize, piece: &[u8]| {
            let index = first + i as u64;
            let mut v = Vec::with_capacity(piece.len() + TAG_LEN);
            v.extend_from_slice(piece);
            aead.seal(&header.nonce(index), &header.aad(index, false), &mut v);
            v
        };
        let pieces: Vec<&[u8]> = data.chunks(chunk).collect();
        let sealed: Vec<Vec<u8>> = if self.workers == 1 || pieces.len() == 1 {
            pieces
                .iter()
                .enumerate()
                .map(|(i, p)| seal_one(i, p))
                .collect()
        } else {
            let per = pieces.len().div_ceil(self.workers);
            std::thread::scope(|scope| {
                let handles: Vec<_> = pieces
                    .chunks(per)
                    .enumerate()
                    .map(|(g, group)| {
                        scope.spawn(move || {
                            group
                                .iter()
                                .enumerate()
                                .map(|(j, p)| seal_one(g * per + j, p))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("sealing does not panic"))
                    .collect()
            })
        };
        for c in &sealed {
            self.inner.write_all(c)?;
        }
        self.index += count as u64;
        Ok(())
    }

    fn emit(&mut self, len: usize, last: bool) -> io::Result<()> {
        let mut chunk: Vec<u8> = self.buf.drain(..len).collect();
        self.aead.seal(
            &self.header.nonce(self.index),
            &self.header.aad(self.index, last),
            &mut chunk,
        );
        self.inner.write_all(&chunk)?;
        self.index += 1;
        Ok(())
    }

    /// Gives up: returns the inner writer without sealing what is buffered,
    /// so what it holds has no last chunk and will never open.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Seals what is left as the last chunk (possibly empty) and returns
    /// the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        let chunk = self.header.chunk as usize;
        if self.buf.len() > chunk {
            self.emit_full((self.buf.len() - 1) / chunk)?;
        }
        let rest = self.buf.len();
        self.emit(rest, true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let chunk = self.header.chunk as usize;
        self.buf.extend_from_slice(data);
        // A full chunk is sealed only once more data follows it, so the
        // last chunk is always known when it is sealed.
        if self.buf.len() > chunk * self.batch_chunks() {
            self.emit_full((self.buf.len() - 1) / chunk)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Seals a whole buffer.
pub fn seal(key: &DataKey, chunk_size: u32, plaintext: &[u8]) -> Vec<u8> {
    let mut s = Sealer::new(key, chunk_size, Vec::new()).expect("writing to memory");
    s.write_all(plaintext).expect("writing to memory");
    s.finish().expect("writing to memory")
}

/// The layout of a sealed object, read from its header and total size:
/// enough to plan range reads before fetching any chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedLayout {
    header: Header,
    chunks: u64,
    plaintext_len: u64,
    sealed_len: u64,
}

impl SealedLayout {
    pub const HEADER_LEN: usize = HEADER_LEN;

    pub fn new(header: &[u8], sealed_len: u64) -> Result<SealedLayout, SealError> {
        let header = Header::parse(header)?;
        let body = sealed_len
            .checked_sub(HEADER_LEN as u64)
            .ok_or(SealError::Truncated)?;
        let chunks = body.div_ceil(header.sealed_chunk());
        let last = body - (chunks.max(1) - 1) * header.sealed_chunk();
        if chunks == 0 || last < TAG_LEN as u64 {
            return Err(SealError::Truncated);
        }
        let plaintext_len = (chunks - 1) * u64::from(header.chunk) + (last - TAG_LEN as u64);
        Ok(SealedLayout {
            header,
            chunks,
            plaintext_len,
            sealed_len,
        })
    }

    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    pub fn suite(&self) -> Suite {
        self.header.suite
    }

    /// The chunks covering a plaintext range, and the sealed bytes to fetch.
    pub fn plan(&self, range: Range<u64>) -> Result<(Range<u64>, Range<u64>), SealError> {
        if range.start > range.end || range.end > self.plaintext_len {
            return Err(SealError::OutOfRange {
                start: range.start,
                end: range.end,
                len: self.plaintext_len,
            });
        }
        let c = u64::from(self.header.chunk);
        let first = range.start / c;
        let last = if range.end == range.start {
            first
        } else {
            (range.end - 1) / c
        }
        .min(self.chunks - 1);
        let start = HEADER_LEN as u64 + first * self.header.sealed_chunk();
        let end =
            (HEADER_LEN as u64 + (last + 1) * self.header.sealed_chunk()).min(self.sealed_len);
        Ok((first..last + 1, start..end))
    }

    /// Decrypts the plaintext `range` from `fetched`, the sealed bytes the
    /// plan named for it.
    pub fn open(
        &self,
        key: &DataKey,
        range: Range<u64>,
        fetched: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        if key.suite != self.header.suite {
            return Err(SealError::SuiteMismatch {
                key: key.suite.as_str(),
                data: self.header.suite.as_str(),
            });
        }
        let (chunks, sealed) = self.plan(range.clone())?;
        if fetched.len() as u64 != sealed.end - sealed.start {
            return Err(SealError::Truncated);
        }
        let aead = Aead::new(key.suite, &key.bytes)?;
        let mut plain = Vec::with_capacity((range.end - range.start) as usize);
        for (i, chunk) in chunks
            .clone()
            .zip(fetched.chunks(self.header.sealed_chunk() as usize))
        {
            let mut buf = chunk.to_vec();
            let last = i == self.chunks - 1;
            if !aead.open(&self.header.nonce(i), &self.header.aad(i, last), &mut buf) {
                return Err(SealError::Tampered { chunk: i });
            }
            plain.extend_from_slice(&buf);
        }
        let skip = (range.start - chunks.start * u64::from(self.header.chunk)) as usize;
        Ok(plain[skip..skip + (range.end - range.start) as usize].to_vec())
    }
}

/// Opens a plaintext range of a whole sealed buffer, decrypting only the
/// chunks that cover it.
pub fn open_range(key: &DataKey, sealed: &[u8], range: Range<u64>) -> Result<Vec<u8>, SealError> {
    let layout = SealedLayout::new(sealed, sealed.len() as u64)?;
    let (_, bytes) = layout.plan(range.clone())?;
    layout.open(
        key,
        range,
        &sealed[bytes.start as usize..bytes.end as usize],
    )
}

/// Opens everything.
pub fn open_all(key: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    let layout = SealedLayout::new(sealed, sealed.len() as u64)?;
    open_range(key, sealed, 0..layout.plaintext_len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(suite: Suite) -> DataKey {
        DataKey::generate(suite)
    }

    #[test]
    fn sm4_gcm_matches_rfc_8998_a1() {
        let k = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let iv: [u8; 12] = hex::decode("00001234567800000000ABCD")
            .unwrap()
            .try_into()
            .unwrap();
        let aad = hex::decode("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2").unwrap();
        let mut buf = hex::decode(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        )
        .unwrap();
        Aead::new(Suite::Sm4Gcm, &k)
            .unwrap()
            .seal(&iv, &aad, &mut buf);
        assert_eq!(
            hex::encode_upper(&buf),
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC"
        );
    }

    #[test]
    fn round_trips_every_size_around_chunk_edges() {
        for suite in [Suite::Sm4Gcm, Suite::Aes256Gcm] {
            let k = key(suite);
            for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100] {
                let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let sealed = seal(&k, 16, &plain);
                assert_eq!(open_all(&k, &sealed).unwrap(), plain, "{suite:?} {len}");
                if len >= 16 {
                    assert!(
                        !sealed.windows(16).any(|w| w == &plain[..16]),
                        "no plaintext in the sealed bytes"
                    );
                }
            }
        }
    }

    #[test]
    fn any_range_decrypts_only_what_covers_it() {
        let k = key(Suite::Sm4Gcm);
        let plain: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let sealed = seal(&k, 64, &plain);
        let layout = SealedLayout::new(&sealed, sealed.len() as u64).unwrap();
        assert_eq!(layout.plaintext_len(), 1000);
        for (a, b) in [
            (0, 1),
            (63, 65),
            (64, 128),
            (500, 1000),
            (999, 1000),
            (10, 10),
            (0, 1000),
        ] {
            assert_eq!(
                open_range(&k, &sealed, a..b).unwrap(),
                plain[a as usize..b as usize],
                "{a}..{b}"
            );
        }
        let (chunks, bytes) = layout.plan(130..140).unwrap();
        assert_eq!(chunks, 2..3, "one chunk for a range inside it");
        assert_eq!(bytes.end - bytes.start, 64 + 16);
        assert!(matches!(
            open_range(&k, &sealed, 990..1001),
            Err(SealError::OutOfRange { .. })
        ));
    }

    #[test]
    fn tampering_is_caught_and_located() {
        let k = key(Suite::Aes256Gcm);
        let plain = vec![42u8; 200];
        let sealed = seal(&k, 64, &plain);
        // Flip a byte in the second chunk.
        let mut bad = sealed.clone();
        bad[HEADER_LEN + 80 + 3] ^= 1;
        assert_eq!(open_all(&k, &bad), Err(SealError::Tampered { chunk: 1 }));
        assert_eq!(
            open_range(&k, &bad, 0..10).unwrap(),
            vec![42u8; 10],
            "other chunks still read"
        );
        // Swap the first two chunks.
        let c = 80;
        let mut swapped = sealed.clone();
        let (a, b) = (
            sealed[HEADER_LEN..HEADER_LEN + c].to_vec(),
            sealed[HEADER_LEN + c..HEADER_LEN + 2 * c].to_vec(),
        );
        swapped[HEADER_LEN..HEADER_LEN + c].copy_from_slice(&b);
        swapped[HEADER_LEN + c..HEADER_LEN + 2 * c].copy_from_slice(&a);
        assert_eq!(
            open_all(&k, &swapped),
            Err(SealError::Tampered { chunk: 0 })
        );
        // Cut at a chunk boundary: the new last chunk was not sealed as last.
        let cut = &sealed[..HEADER_LEN + 2 * c];
        assert_eq!(open_all(&k, cut), Err(SealError::Tampered { chunk: 1 }));
        // A different header (changed chunk size) authenticates nothing.
        let mut reheader = sealed.clone();
        reheader[9] ^= 1;
        assert!(matches!(
            open_all(&k, &reheader),
            Err(SealError::Tampered { chunk: 0 })
        ));
        assert_eq!(open_all(&k, b"nonsense"), Err(SealError::BadHeader));
    }

    #[test]
    fn wrong_keys_fail() {
        let plain = b"persons' records".to_vec();
        let sealed = seal(&key(Suite::Sm4Gcm), 8, &plain);
        assert_eq!(
            open_all(&key(Suite::Sm4Gcm), &sealed),
            Err(SealError::Tampered { chunk: 0 })
        );
        assert!(matches!(
            open_all(&key(Suite::Aes256Gcm), &sealed),
            Err(SealError::SuiteMismatch { .. })
        ));
    }

    #[test]
    fn data_keys_wrap_unwrap_and_bind_their_context() {
        let master = MasterKey::generate();
        let dk = key(Suite::Aes256Gcm);
        let wrapped = master.wrap(&dk, b"resource 7 version 3");
        let back = master.unwrap(&wrapped, b"resource 7 version 3").unwrap();
        let sealed = seal(&dk, 32, b"hello, chengdu");
        assert_eq!(open_all(&back, &sealed).unwrap(), b"hello, chengdu");
        assert_eq!(
            master
                .unwrap(&wrapped, b"resource 7 version 4")
                .unwrap_err(),
            SealError::KeyUnwrap
        );
        assert_eq!(
            MasterKey::generate()
                .unwrap(&wrapped, b"resource 7 version 3")
                .unwrap_err(),
            SealError::KeyUnwrap
        );
        // Rotation: unwrap with the old master, wrap with the new; the data stays.
        let new_master = MasterKey::generate();
        let rewrapped = new_master.wrap(&back, b"resource 7 version 3");
        let again = new_master
            .unwrap(&rewrapped, b"resource 7 version 3")
            .unwrap();
        assert_eq!(open_all(&again, &sealed).unwrap(), b"hello, chengdu");
        assert_eq!(
            format!("{:?} {:?}", dk, master),
            "DataKey(aes-256-gcm) MasterKey(<secret>)"
        );
    }

    #[test]
    fn the_sealer_streams_in_small_writes() {
        let k = key(Suite::Sm4Gcm);
        let plain: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut s = Sealer::new(&k, 1024, Vec::new()).unwrap();
        for piece in plain.chunks(7) {
            s.write_all(piece).unwrap();
        }
        let sealed = s.finish().unwrap();
        // Nine full chunks and a last one of 784 bytes, each with its tag.
        assert_eq!(sealed.len(), HEADER_LEN + 9 * (1024 + 16) + 784 + 16);
        assert_eq!(open_all(&k, &sealed).unwrap(), plain);
    }

    #[test]
    fn parallel_sealing_opens_like_serial_sealing() {
        for suite in [Suite::Sm4Gcm, Suite::Aes256Gcm] {
            let k = key(suite);
            for len in [0usize, 1, 1024, 1025, 100_000] {
                let plain: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
                for workers in [2, 3, 8] {
                    let mut s = Sealer::new(&k, 1024, Vec::new())
                        .unwrap()
                        .with_workers(workers);
                    for piece in plain.chunks(3000) {
                        s.write_all(piece).unwrap();
                    }
                    let sealed = s.finish().unwrap();
                    assert_eq!(sealed.len(), seal(&k, 1024, &plain).len(), "same layout");
                    assert_eq!(
                        open_all(&k, &sealed).unwrap(),
                        plain,
                        "{suite:?} {len} {workers}"
                    );
                    if len > 5000 {
                        assert_eq!(
                            open_range(&k, &sealed, 4000..5000).unwrap(),
                            plain[4000..5000]
                        );
                    }
                }
            }
        }
    }
}

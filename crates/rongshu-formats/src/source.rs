//! Parquet read by range from wherever a version is kept: a sealed object
//! decrypts only the chunks a read covers, so a download of any size holds
//! one row group's columns, never the whole file.

use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

/// What a version can be read from, again and again: its bytes in memory,
/// or a [`Ranged`] source.
pub trait VersionSource: ChunkReader + Clone + 'static {}

impl<R: ChunkReader + Clone + 'static> VersionSource for R {}

/// A stored file's bytes, fetched by range.
pub trait RangeSource: Send + Sync + 'static {
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self, range: Range<u64>) -> std::io::Result<Bytes>;
}

/// A [`RangeSource`] as Parquet's [`ChunkReader`]; clones share it.
#[derive(Debug)]
pub struct Ranged<S>(Arc<S>);

impl<S> Ranged<S> {
    pub fn new(source: S) -> Ranged<S> {
        Ranged(Arc::new(source))
    }
}

impl<S> Clone for Ranged<S> {
    fn clone(&self) -> Self {
        Ranged(self.0.clone())
    }
}

/// How much a sequential read (Parquet's page headers) fetches at a time.
const READ_AHEAD: u64 = 64 * 1024;

impl<S: RangeSource> Length for Ranged<S> {
    fn len(&self) -> u64 {
        self.0.len()
    }
}

impl<S: RangeSource> ChunkReader for Ranged<S> {
    type T = Sequential<S>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Sequential<S>> {
        Ok(Sequential {
            source: self.0.clone(),
            at: start,
            buffered: Bytes::new(),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let end = start
            .checked_add(length as u64)
            .filter(|end| *end <= self.0.len())
            .ok_or_else(|| ParquetError::EOF(format!("{length} bytes at {start}")))?;
        self.0
            .read(start..end)
            .map_err(|e| ParquetError::External(Box::new(e)))
    }
}

/// Reads onwards from a place, a window at a time.
#[derive(Debug)]
pub struct Sequential<S> {
    source: Arc<S>,
    at: u64,
    buffered: Bytes,
}

impl<S: RangeSource> Read for Sequential<S> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buffered.is_empty() {
            let end = (self.at + READ_AHEAD).min(self.source.len());
            if self.at >= end {
                return Ok(0);
            }
            self.buffered = self.source.read(self.at..end)?;
            self.at = end;
        }
        let n = out.len().min(self.buffered.len());
        self.buffered.copy_to_slice(&mut out[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes in memory, counting what is fetched.
    struct Counted(Bytes, std::sync::atomic::AtomicU64);

    impl RangeSource for Counted {
        fn len(&self) -> u64 {
            self.0.len() as u64
        }
        fn read(&self, range: Range<u64>) -> std::io::Result<Bytes> {
            self.1.fetch_add(
                range.end - range.start,
                std::sync::atomic::Ordering::Relaxed,
            );
            Ok(self.0.slice(range.start as usize..range.end as usize))
        }
    }

    #[test]
    fn ranges_and_sequential_reads_see_the_same_bytes() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let source = Ranged::new(Counted(Bytes::from(data.clone()), 0.into()));
        assert_eq!(&source.get_bytes(1000, 10).unwrap()[..], &data[1000..1010]);
        assert!(source.get_bytes(199_995, 10).is_err(), "past the end");
        let mut read = Vec::new();
        source
            .get_read(150_000)
            .unwrap()
            .read_to_end(&mut read)
            .unwrap();
        assert_eq!(read, &data[150_000..]);
        let mut head = [0u8; 16];
        source.get_read(7).unwrap().read_exact(&mut head).unwrap();
        assert_eq!(&head[..], &data[7..23]);
        let fetched = source.0.1.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            fetched < 130_000,
            "reads fetch a window, not the rest: {fetched}"
        );
    }
}

//! Text encodings: detection from a sample and streaming decoding.

use std::io::{self, Read};
use std::str::FromStr;

use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_8};

/// The encodings delimited government files come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    /// GB18030, a superset of GBK and GB2312, which Chinese office software
    /// and many government systems still export.
    Gb18030,
}

impl TextEncoding {
    pub const fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Gb18030 => "gb18030",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 => UTF_8,
            TextEncoding::Gb18030 => GB18030,
        }
    }
}

/// An encoding name the platform does not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported text encoding {0:?}; use utf-8, gb18030, gbk or gb2312")]
pub struct UnknownEncoding(pub String);

impl FromStr for TextEncoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Self, UnknownEncoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(TextEncoding::Gb18030),
            _ => Err(UnknownEncoding(s.to_owned())),
        }
    }
}

/// Guesses a file's encoding from its first bytes: a UTF-8 byte-order
/// mark or valid UTF-8 means UTF-8 (a sample cut inside a character is
/// allowed); anything else that decodes cleanly as GB18030 is GB18030.
/// `None` when it is neither, so the provider must say.
pub fn detect_encoding(sample: &[u8]) -> Option<TextEncoding> {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Some(TextEncoding::Utf8);
    }
    match std::str::from_utf8(sample) {
        Ok(_) => return Some(TextEncoding::Utf8),
        // Valid up to a character cut off by the end of the sample.
        Err(e) if e.error_len().is_none() => return Some(TextEncoding::Utf8),
        Err(_) => {}
    }
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(sample.len() * 2);
    // `last = false`: a trailing partial character is not an error.
    let (result, _) = decoder.decode_to_string_without_replacement(sample, &mut out, false);
    match result {
        DecoderResult::InputEmpty => Some(TextEncoding::Gb18030),
        _ => None,
    }
}

/// Why a stream could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("byte {offset} is not valid {encoding}")]
    Malformed { offset: u64, encoding: &'static str },
}

/// Reads bytes in one encoding and yields UTF-8, a buffer at a time.
/// A malformed sequence is an error naming its byte offset, never a
/// silent replacement character.
pub struct DecodingReader<R: Read> {
    inner: R,
    decoder: Decoder,
    encoding: TextEncoding,
    input: Vec<u8>,
    start: usize,
    end: usize,
    consumed: u64,
    pending: Vec<u8>,
    pending_at: usize,
    done: bool,
}

impl<R: Read> std::fmt::Debug for DecodingReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DecodingReader({}, {} bytes read)",
            self.encoding.as_str(),
            self.consumed
        )
    }
}

impl<R: Read> DecodingReader<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> DecodingReader<R> {
        DecodingReader {
            inner,
            // Strips a UTF-8 byte-order mark, which is not data.
            decoder: encoding.encoding().new_decoder_with_bom_removal(),
            encoding,
            input: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            consumed: 0,
            pending: Vec::with_capacity(192 * 1024),
            pending_at: 0,
            done: false,
        }
    }

    /// Decodes the next buffer into `pending`.
    fn fill(&mut self) -> io::Result<()> {
        if self.start == self.end && !self.done {
            let n = self.inner.read(&mut self.input)?;
            self.start = 0;
            self.end = n;
            if n == 0 {
                self.done = true;
            }
        }
        self.pending.clear();
        self.pending_at = 0;
        let max = self
            .decoder
            .max_utf8_buffer_length_without_replacement(self.end - self.start)
            .unwrap_or(usize::MAX);
        self.pending.resize(max.max(4), 0);
        let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
            &self.input[self.start..self.end],
            &mut self.pending,
            self.done,
        );
        self.pending.truncate(written);
        self.start += read;
        self.consumed += read as u64;
        match result {
            DecoderResult::Malformed(bad, after) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                DecodeError::Malformed {
                    offset: self.consumed - u64::from(bad) - u64::from(after),
                    encoding: self.encoding.as_str(),
                },
            )),
            DecoderResult::InputEmpty | DecoderResult::OutputFull => Ok(()),
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending_at == self.pending.len() {
            if self.done && self.start == self.end {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.pending.len() - self.pending_at);
        buf[..n].copy_from_slice(&self.pending[self.pending_at..self.pending_at + n]);
        self.pending_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb(text: &str) -> Vec<u8> {
        GB18030.encode(text).0.into_owned()
    }

    #[test]
    fn detection() {
        let text = "企业名称,统一社会信用代码,法定代表人\n成都蓉城智行科技有限公司,91510100MA61R6XK3B,张伟\n";
        assert_eq!(detect_encoding(text.as_bytes()), Some(TextEncoding::Utf8));
        assert_eq!(detect_encoding(&gb(text)), Some(TextEncoding::Gb18030));
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(detect_encoding(&bom), Some(TextEncoding::Utf8));
        // A sample that ends inside a character is still recognised.
        let utf8 = text.as_bytes();
        assert_eq!(
            detect_encoding(&utf8[..utf8.len() - 10]),
            Some(TextEncoding::Utf8)
        );
        let g = gb(text);
        assert_eq!(
            detect_encoding(&g[..13]),
            Some(TextEncoding::Gb18030),
            "cut inside a character"
        );
        assert_eq!(detect_encoding(&[0xFF, 0xFF, 0xFF]), None, "neither");
        assert_eq!(detect_encoding(b"plain ascii"), Some(TextEncoding::Utf8));
    }

    #[test]
    fn names() {
        assert_eq!("GBK".parse::<TextEncoding>(), Ok(TextEncoding::Gb18030));
        assert_eq!("utf8".parse::<TextEncoding>(), Ok(TextEncoding::Utf8));
        assert!("big5".parse::<TextEncoding>().is_err());
    }

    fn decode_all(bytes: &[u8], enc: TextEncoding, read_size: usize) -> io::Result<String> {
        // Feed the decoder through a reader that returns tiny pieces, so
        // characters straddle every buffer boundary.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = String::new();
        DecodingReader::new(Trickle(bytes, read_size), enc).read_to_string(&mut out)?;
        Ok(out)
    }

    #[test]
    fn streaming_decoding_across_boundaries() {
        let text =
            "姓名,身份证号\n张伟,11010519491231002X\n欧阳修文,510104199001011234\n".repeat(50);
        for size in [1, 2, 3, 7, 4096] {
            assert_eq!(
                decode_all(&gb(&text), TextEncoding::Gb18030, size).unwrap(),
                text,
                "gb18030 by {size}"
            );
            assert_eq!(
                decode_all(text.as_bytes(), TextEncoding::Utf8, size).unwrap(),
                text,
                "utf-8 by {size}"
            );
        }
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(b"a,b\n");
        assert_eq!(
            decode_all(&bom, TextEncoding::Utf8, 2).unwrap(),
            "a,b\n",
            "the BOM is not data"
        );
    }

    #[test]
    fn malformed_bytes_are_named_not_replaced() {
        let mut bytes = b"ok,ok\n".to_vec();
        bytes.extend_from_slice(&[0xFF, 0xFE]);
        let err = decode_all(&bytes, TextEncoding::Utf8, 3).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(err.to_string(), "byte 6 is not valid utf-8");
    }
}

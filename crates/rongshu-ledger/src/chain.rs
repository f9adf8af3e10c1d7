//! The SM3 hash chain.
//!
//! hash(n) = SM3(0x00 || "rongshu-ledger-v1" || seq(n) || hash(n-1) || fields(n)),
//! where fields are each written as a tag byte (0 absent, 1 present) followed,
//! when present, by a big-endian u32 length and the bytes. Length prefixes
//! make the encoding injective: no two different entries encode alike.

use std::fmt;

use sm3::{Digest as _, Sm3};

use crate::entry::{Entry, EntryDraft};

/// An SM3 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

/// The `prev_hash` of the first entry.
pub const GENESIS: Digest = Digest([0; 32]);

impl Digest {
    pub fn to_hex(&self) -> String {
        // Through a buffer: `hex::encode` collects a char at a time, and
        // two digests a ledger entry are on every data call's path.
        let mut digits = [0u8; 64];
        hex::encode_to_slice(self.0, &mut digits).expect("two digits a byte");
        String::from_utf8(digits.to_vec()).expect("hexadecimal digits are ASCII")
    }

    pub fn from_hex(s: &str) -> Option<Digest> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Digest(out))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

const DOMAIN: &[u8] = b"rongshu-ledger-v1";

struct Encoder(Sm3);

impl Encoder {
    fn field(&mut self, value: Option<&[u8]>) {
        match value {
            None => self.0.update([0u8]),
            Some(bytes) => {
                let len = u32::try_from(bytes.len()).expect("ledger field under 4 GiB");
                self.0.update([1u8]);
                self.0.update(len.to_be_bytes());
                self.0.update(bytes);
            }
        }
    }

    fn int(&mut self, value: Option<i64>) {
        self.field(value.map(i64::to_be_bytes).as_ref().map(|b| &b[..]));
    }

    fn text(&mut self, value: Option<&str>) {
        self.field(value.map(str::as_bytes));
    }
}

pub(crate) fn entry_hash(seq: i64, prev: &Digest, d: &EntryDraft) -> Digest {
    let mut e = Encoder(Sm3::new());
    e.0.update([0u8]);
    e.0.update(DOMAIN);
    e.int(Some(seq));
    e.field(Some(&prev.0));
    e.int(Some(d.at_ms));
    e.int(d.actor_account_id);
    e.text(d.actor_username.as_deref());
    e.int(d.org_id);
    e.text(d.party.map(|p| p.as_str()));
    e.text(Some(&d.action));
    e.text(Some(&d.object_type));
    e.text(d.object_id.as_deref());
    e.text(d.segment.map(|s| s.as_str()));
    e.text(Some(d.outcome.as_str()));
    e.text(d.reason.as_deref());
    e.text(d.request_id.as_deref());
    e.text(d.client_addr.as_deref());
    Digest(e.0.finalize().into())
}

/// The first place where the chain does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// Entry `expected` is missing: the next stored entry is `found`.
    #[error("entry {expected} is missing (next stored entry is {found})")]
    Missing { expected: i64, found: i64 },
    /// The entry does not point at its predecessor's hash: something before
    /// it was removed or reordered.
    #[error("entry {seq} does not follow the entry before it")]
    Unlinked { seq: i64 },
    /// The entry's content no longer matches its hash: it was altered.
    #[error("entry {seq} was altered: its content does not match its hash")]
    Altered { seq: i64 },
    /// The chain ends before the recorded head: entries were removed from the end.
    #[error("entries after {last} are missing: the ledger head records {head}")]
    Truncated { last: i64, head: i64 },
    /// The archive anchor is not where the chain's last archive entry put
    /// it: entries were removed from the start and the anchor forged.
    #[error("the archive anchor at entry {seq} is not the one the ledger's archive entries record")]
    AnchorMoved { seq: i64 },
    /// The last entry is not the one the head records.
    #[error("entry {seq} is not the one the ledger head records")]
    HeadMismatch { seq: i64 },
}

impl Break {
    /// The first sequence number found bad.
    pub fn seq(&self) -> i64 {
        match *self {
            Break::Missing { expected, .. } => expected,
            Break::Unlinked { seq }
            | Break::Altered { seq }
            | Break::HeadMismatch { seq }
            | Break::AnchorMoved { seq } => seq,
            Break::Truncated { last, .. } => last + 1,
        }
    }
}

/// Checks entries one at a time, in sequence order, in constant memory.
#[derive(Debug)]
pub struct ChainVerifier {
    next_seq: i64,
    prev: Digest,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev: GENESIS,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Starts after an archived prefix: the first entry expected is
    /// `seq + 1`, linked to `hash`, the last archived entry's hash.
    pub fn after(seq: i64, hash: Digest) -> ChainVerifier {
        ChainVerifier {
            next_seq: seq + 1,
            prev: hash,
            checked: 0,
        }
    }

    pub fn push(&mut self, entry: &Entry) -> Result<(), Break> {
        if entry.seq != self.next_seq {
            return Err(Break::Missing {
                expected: self.next_seq,
                found: entry.seq,
            });
        }
        if entry.prev_hash != self.prev {
            return Err(Break::Unlinked { seq: entry.seq });
        }
        if entry_hash(entry.seq, &entry.prev_hash, &entry.draft) != entry.hash {
            return Err(Break::Altered { seq: entry.seq });
        }
        self.next_seq += 1;
        self.prev = entry.hash;
        self.checked += 1;
        Ok(())
    }

    /// Compares the end of the chain with the stored head (sequence and hash
    /// of the last entry appended), which catches removal from the end.
    pub fn finish(self, head_seq: i64, head_hash: Digest) -> Result<u64, Break> {
        let last = self.next_seq - 1;
        if last < head_seq {
            return Err(Break::Truncated {
                last,
                head: head_seq,
            });
        }
        if last != head_seq || self.prev != head_hash {
            return Err(Break::HeadMismatch { seq: last });
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use rongshu_domain::PartyType;

    use super::*;
    use crate::{Outcome, Segment};

    fn draft(i: i64) -> EntryDraft {
        EntryDraft {
            at_ms: 1_700_000_000_000 + i,
            actor_account_id: Some(i),
            actor_username: Some(format!("user{i}")),
            org_id: Some(3),
            party: Some(PartyType::Provider),
            action: "resource.read".into(),
            object_type: "resource".into(),
            object_id: Some(i.to_string()),
            segment: Some(Segment::Provider),
            outcome: Outcome::Success,
            reason: None,
            request_id: Some(format!("req-{i}")),
            client_addr: Some("127.0.0.1".into()),
        }
    }

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|i| {
                let e = draft(i).seal(i, prev);
                prev = e.hash;
                e
            })
            .collect()
    }

    fn verify(entries: &[Entry], head: (i64, Digest)) -> Result<u64, Break> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.push(e)?;
        }
        v.finish(head.0, head.1)
    }

    fn head(entries: &[Entry]) -> (i64, Digest) {
        let last = entries.last().unwrap();
        (last.seq, last.hash)
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, head(&c)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = draft(1);
        let h = |d: &EntryDraft| entry_hash(1, &GENESIS, d);
        let mut variants: Vec<EntryDraft> = Vec::new();
        let mut push = |f: &dyn Fn(&mut EntryDraft)| {
            let mut d = base.clone();
            f(&mut d);
            variants.push(d);
        };
        push(&|d| d.at_ms += 1);
        push(&|d| d.actor_account_id = None);
        push(&|d| d.actor_username = Some("user".into()));
        push(&|d| d.org_id = Some(4));
        push(&|d| d.party = Some(PartyType::User));
        push(&|d| d.action = "resource.write".into());
        push(&|d| d.object_type = "demand".into());
        push(&|d| d.object_id = None);
        push(&|d| d.segment = Some(Segment::User));
        push(&|d| d.outcome = Outcome::Denied);
        push(&|d| d.reason = Some(String::new()));
        push(&|d| d.request_id = None);
        push(&|d| d.client_addr = Some("10.0.0.1".into()));
        for v in &variants {
            assert_ne!(h(v), h(&base), "{v:?}");
        }
        assert_ne!(entry_hash(2, &GENESIS, &base), h(&base), "seq is covered");
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let mut a = draft(1);
        let mut b = draft(1);
        a.action = "ab".into();
        a.object_type = "c".into();
        b.action = "a".into();
        b.object_type = "bc".into();
        assert_ne!(entry_hash(1, &GENESIS, &a), entry_hash(1, &GENESIS, &b));
    }

    #[test]
    fn altered_entry_is_named() {
        let mut c = chain(5);
        c[2].draft.reason = Some("covered up".into());
        assert_eq!(verify(&c, head(&c)), Err(Break::Altered { seq: 3 }));
    }

    #[test]
    fn removed_entry_is_named() {
        let mut c = chain(5);
        let h = head(&c);
        c.remove(1);
        let err = verify(&c, h).unwrap_err();
        assert_eq!(
            err,
            Break::Missing {
                expected: 2,
                found: 3
            }
        );
        assert_eq!(err.seq(), 2);
    }

    #[test]
    fn swapped_contents_are_caught_at_the_first_swapped_seq() {
        let mut c = chain(5);
        let h = head(&c);
        let (a, b) = (c[1].clone(), c[3].clone());
        // Swap everything but the sequence numbers, as an UPDATE of two rows would.
        c[1] = Entry { seq: 2, ..b };
        c[3] = Entry { seq: 4, ..a };
        assert_eq!(verify(&c, h).unwrap_err().seq(), 2);
    }

    #[test]
    fn truncation_and_rewritten_tail_are_caught() {
        let c = chain(5);
        let h = head(&c);
        assert_eq!(
            verify(&c[..3], h),
            Err(Break::Truncated { last: 3, head: 5 })
        );
        assert_eq!(Break::Truncated { last: 3, head: 5 }.seq(), 4);
        let mut forged = chain(5);
        forged[4] = draft(99).seal(5, forged[3].hash);
        assert_eq!(verify(&forged, h), Err(Break::HeadMismatch { seq: 5 }));
    }

    #[test]
    fn verification_can_start_after_an_archived_prefix() {
        let c = chain(5);
        let mut v = ChainVerifier::after(2, c[1].hash);
        for e in &c[2..] {
            v.push(e).unwrap();
        }
        assert_eq!(v.finish(5, c[4].hash), Ok(3));
        let mut wrong = ChainVerifier::after(2, c[0].hash);
        assert_eq!(wrong.push(&c[2]), Err(Break::Unlinked { seq: 3 }));
    }

    #[test]
    fn digest_hex_round_trip() {
        let d = chain(1)[0].hash;
        assert_eq!(Digest::from_hex(&d.to_hex()), Some(d));
        assert_eq!(Digest::from_hex("zz"), None);
    }
}

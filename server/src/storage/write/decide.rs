//! A request's pushes decided before the writer is taken (step 1 of [`super`]): the stored
//! document each push is decided against ([`DocState`]), what a decision keeps until the
//! writer's turn ([`Decided`]), and the decision of a whole batch on every core
//! ([`decide_all`]).

use danvan_core::facts::Fact;
use danvan_core::sync::merge::{MergeLimits, MergeOutcome, Stored};
use danvan_core::sync::wire::{Push, RejectReason};
use danvan_core::{RecordKind, RulesConfig};

use super::super::docs::{Decide, MAX_CHUNKS};

/// Pushes per thread below which a batch is decided on one thread.
const MIN_PUSHES_PER_THREAD: usize = 8;

/// A stored document as the write path reads it.
#[derive(Debug, Clone)]
pub(crate) struct DocState {
    /// Snapshot followed by its chunks.
    pub bytes: Vec<u8>,
    /// Length of the snapshot alone.
    pub snapshot_len: usize,
    /// Bytes of the chunks.
    pub chunk_bytes: i64,
    /// Device whose changes alone the snapshot holds, if one.
    pub snapshot_origin: Option<String>,
    /// Origin device of each chunk, in order.
    pub chunk_origins: Vec<String>,
    /// Sequence of the document's last change (the optimistic check).
    pub updated_seq: i64,
    /// Kind code.
    pub kind: String,
    /// Unit code.
    pub unit: String,
}

impl DocState {
    /// What [`Decide`] is given.
    pub fn stored(&self) -> Stored<'_> {
        Stored {
            bytes: &self.bytes,
            kind: &self.kind,
            unit: &self.unit,
        }
    }

    /// The chunk count and chunk bytes once a chunk of `len` bytes is appended.
    pub(super) fn with_chunk(&self, len: usize) -> (i64, i64) {
        (
            self.chunk_origins.len() as i64 + 1,
            self.chunk_bytes + len as i64,
        )
    }

    /// Whether a change of `len` bytes should fold the document into a new snapshot rather than
    /// be appended: past [`MAX_CHUNKS`] chunks, when the chunks would outweigh the snapshot, or
    /// when snapshot and chunks would pass the document size limit (the merge decision
    /// accepted the change because the compacted document fits: the stored bytes never pass
    /// the limit).
    pub(super) fn compacts_with(&self, len: usize) -> bool {
        let (count, bytes) = self.with_chunk(len);
        count > MAX_CHUNKS
            || bytes > self.snapshot_len as i64
            || self.bytes.len() + len > MergeLimits::default().max_doc_bytes
    }

    /// Whether a stored change names `device` as its origin (its authorship is then in
    /// `doc_authors` already).
    pub(super) fn written_by(&self, device: &str) -> bool {
        self.snapshot_origin.as_deref() == Some(device)
            || self.chunk_origins.iter().any(|o| o == device)
    }

    /// Whether every change stored is `device`'s: a snapshot folding in one more change of
    /// `device` is then that device's alone (and the pull skips it for that device).
    pub(super) fn only_from(&self, device: &str) -> bool {
        self.snapshot_origin.as_deref() == Some(device)
            && self.chunk_origins.iter().all(|o| o == device)
    }
}

/// A decision as held until the writer's turn. The merged Automerge document is not kept: in
/// memory it weighs tens of KiB for a record of about 1 KiB saved, and a request holds hundreds
/// of decisions while it waits for the writer (with four such requests at once the server's RSS
/// passed 120 MiB in the merges bench). Only what the write needs is kept: the new changes,
/// the heads, the record, and the compacted bytes when the write will compact
/// ([`DocState::compacts_with`]), saved here on the deciding thread.
pub(crate) enum Decided {
    /// Accepted: store it.
    Accepted {
        /// The changes the server did not have.
        new_changes: Vec<u8>,
        /// Heads after the merge.
        heads: Vec<[u8; 32]>,
        /// The merged record's unit.
        unit: String,
        /// The merged record's kind.
        kind: RecordKind,
        /// The merged record's fact (its fact row), worked out on the deciding thread.
        fact: Box<Fact>,
        /// The merged document saved, when the write compacts it into a new snapshot.
        snapshot: Option<Vec<u8>>,
    },
    /// Nothing new: the server's heads.
    Unchanged {
        /// Heads of the server's copy.
        heads: Vec<[u8; 32]>,
    },
    /// Refused; nothing is stored.
    Rejected {
        /// Why.
        reason: RejectReason,
        /// Detail for the device.
        detail: String,
    },
}

impl Decided {
    /// Keep of `outcome`, decided against `stored`, what its write needs.
    pub(super) fn hold(
        outcome: MergeOutcome,
        stored: Option<&DocState>,
        rules: &RulesConfig,
    ) -> Decided {
        match outcome {
            MergeOutcome::Accepted {
                new_changes,
                heads,
                record,
                mut doc,
            } => {
                let snapshot = stored
                    .is_some_and(|d| d.compacts_with(new_changes.len()))
                    .then(|| doc.save());
                let fact = Box::new(Fact::from_record(&record, rules));
                Decided::Accepted {
                    new_changes,
                    heads,
                    unit: record.envelope.unit,
                    kind: record.envelope.kind,
                    fact,
                    snapshot,
                }
            }
            MergeOutcome::Unchanged { heads } => Decided::Unchanged { heads },
            MergeOutcome::Rejected { reason, detail } => Decided::Rejected { reason, detail },
        }
    }
}

/// Decide every push against the document read for it, on all cores, without holding the async
/// worker thread hostage (`block_in_place` on the multi-threaded runtime).
pub(crate) fn decide_all(
    decide: &Decide<'_>,
    pushes: &[Push],
    docs: &[Option<DocState>],
    rules: &RulesConfig,
) -> Vec<Decided> {
    let run = || {
        let work: Vec<(&Push, Option<&DocState>)> =
            pushes.iter().zip(docs.iter().map(Option::as_ref)).collect();
        let one = |(push, doc): &(&Push, Option<&DocState>)| {
            Decided::hold(decide(doc.map(DocState::stored), push), *doc, rules)
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(work.len() / MIN_PUSHES_PER_THREAD)
            .max(1);
        if threads == 1 {
            return work.iter().map(one).collect::<Vec<_>>();
        }
        let per = work.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = work
                .chunks(per)
                .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(run)
    } else {
        run()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(snapshot_len: usize, chunk_bytes: i64, origins: &[&str]) -> DocState {
        DocState {
            bytes: Vec::new(),
            snapshot_len,
            chunk_bytes,
            snapshot_origin: Some("a".into()),
            chunk_origins: origins.iter().map(|o| o.to_string()).collect(),
            updated_seq: 1,
            kind: "mediation".into(),
            unit: "11533".into(),
        }
    }

    #[test]
    fn a_change_is_appended_until_the_chunks_outnumber_or_outweigh_the_snapshot() {
        let few = doc(1000, 100, &["a"; 3]);
        assert_eq!(few.with_chunk(50), (4, 150));
        assert!(!few.compacts_with(50));
        // Past MAX_CHUNKS chunks.
        let many = doc(1000, 100, &["a"; MAX_CHUNKS as usize]);
        assert!(many.compacts_with(1));
        // Chunks heavier than the snapshot.
        assert!(few.compacts_with(901));
        assert!(!few.compacts_with(900));
    }

    #[test]
    fn a_snapshot_is_one_device_s_only_if_every_change_was() {
        assert!(doc(10, 0, &[]).only_from("a"));
        assert!(doc(10, 0, &["a", "a"]).only_from("a"));
        assert!(!doc(10, 0, &["a", "b"]).only_from("a"));
        assert!(!doc(10, 0, &[]).only_from("b"));
        let mut unknown = doc(10, 0, &[]);
        unknown.snapshot_origin = None;
        assert!(!unknown.only_from("a"));
    }
}

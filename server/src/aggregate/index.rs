//! The in-memory fact index: one fixed-size [`Slot`] per record (interned unit, kind, category,
//! subtype, day numbers), status histories in flat arrays, and the few measures each kind needs in
//! per-kind tables. Records are keyed by id (UUID → slot) and grouped in buckets by entered unit
//! version, so a report scans only the buckets inside its subtree.
//!
//! Updates overwrite a slot in place; a history or due-date list that grows is appended anew
//! (the old cells become garbage until the next restart, which rebuilds the index).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use danvan_core::RecordKind;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::Serialize;

use super::asof::{self, Day};

mod snapshot;
use crate::storage::docs::FactRow;
use crate::units::UnitTree;

/// Sentinel for "no value" in day columns.
pub(super) const NO_DAY: Day = i32::MIN;

/// One record (24 bytes). Its unit is its bucket's.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    /// The main day: received, started, checked… ([`NO_DAY`]: none).
    pub main: Day,
    /// Kind (top 3 bits), history out of line ([`OUT_OF_LINE`]), and where its measures are in
    /// its kind's table (low 28 bits; for a mediation, its fee in [`FactIndex::fees`],
    /// [`NO_MEAS`]: no fee).
    kind_meas: u32,
    /// Mediation flags ([`flag`], top 8 bits; 0 for the other kinds) and bucket (low 24 bits).
    flags_bucket: u32,
    /// The status history. Inline (most records): up to three entries, each
    /// `status << 12 | days after main`, [`HIST_END`] after the last. Out of line: its position
    /// in [`FactIndex::hist_day`] (low, high half) and its length.
    hist: [u16; 3],
    pub cat: u16,
    pub sub: u16,
    /// Entry day − main day ([`ENTRY_FAR`]: in [`FactIndex::far_entries`]).
    entry_off: i16,
}

/// [`Slot::meas`] of a mediation without a fee; one past the largest position a table can have.
pub(super) const NO_MEAS: u32 = (1 << 28) - 1;
const OUT_OF_LINE: u32 = 1 << 28;
const KIND_SHIFT: u32 = 29;
const BUCKET_MASK: u32 = (1 << 24) - 1;
/// Buckets an index can hold (unit versions with records).
const MAX_BUCKETS: usize = 1 << 24;
/// After the last inline history entry.
const HIST_END: u16 = u16::MAX;
/// Inline entries: days after main that fit, statuses that fit (15 with 4095 is [`HIST_END`]).
const HIST_DAYS: Day = 0x0FFF;
const HIST_STATUS_MAX: u8 = 14;
const HIST_INLINE: usize = 3;
/// [`Slot::entry_off`] of an entry day kept in [`FactIndex::far_entries`].
const ENTRY_FAR: i16 = i16::MIN;

impl Slot {
    /// The record's kind code.
    #[inline]
    pub fn kind(&self) -> u8 {
        (self.kind_meas >> KIND_SHIFT) as u8
    }

    /// Where its measures are in its kind's table.
    #[inline]
    pub fn meas(&self) -> u32 {
        self.kind_meas & NO_MEAS
    }

    /// Mediation flags ([`flag`]).
    #[inline]
    pub fn flags(&self) -> u8 {
        (self.flags_bucket >> 24) as u8
    }

    /// Its bucket.
    #[inline]
    pub fn bucket(&self) -> u32 {
        self.flags_bucket & BUCKET_MASK
    }

    fn set_meas(&mut self, meas: u32) {
        self.kind_meas = (self.kind_meas & !NO_MEAS) | (meas & NO_MEAS);
    }

    fn set_bucket(&mut self, bucket: u32) {
        self.flags_bucket = (self.flags_bucket & !BUCKET_MASK) | (bucket & BUCKET_MASK);
    }

    fn out_of_line(&self) -> bool {
        self.kind_meas & OUT_OF_LINE != 0
    }

    /// Position and length of an out-of-line history.
    fn hist_at(&self) -> (usize, usize) {
        let at = u32::from(self.hist[0]) | (u32::from(self.hist[1]) << 16);
        (at as usize, usize::from(self.hist[2]))
    }

    /// Keep `days` (ascending) inline if they fit: at most three, on or after the main day and
    /// within 4,095 days of it, with statuses up to 14.
    fn set_inline(&mut self, days: &[(Day, u8)]) -> bool {
        if self.main == NO_DAY
            || days.len() > HIST_INLINE
            || days.iter().any(|(d, st)| {
                *st > HIST_STATUS_MAX || *d < self.main || *d - self.main > HIST_DAYS
            })
        {
            return false;
        }
        let mut e = [HIST_END; HIST_INLINE];
        for (x, (d, st)) in e.iter_mut().zip(days) {
            *x = (u16::from(*st) << 12) | (*d - self.main) as u16;
        }
        self.hist = e;
        self.kind_meas &= !OUT_OF_LINE;
        true
    }

    fn set_out_of_line(&mut self, at: u32, len: usize) {
        self.hist = [at as u16, (at >> 16) as u16, len as u16];
        self.kind_meas |= OUT_OF_LINE;
    }
}

/// A record's status history, as [`FactIndex::history`] reads it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Hist<'a> {
    /// Kept in the slot: entries after the main day `base`.
    Inline { base: Day, e: [u16; HIST_INLINE] },
    /// In the history columns.
    Wide { days: &'a [Day], sts: &'a [u8] },
}

impl Hist<'_> {
    /// The status effective on `on` and the day it took effect (as [`asof::status_at`]).
    #[inline]
    pub fn status_at(&self, on: Day) -> Option<(u8, Day)> {
        match self {
            Hist::Inline { base, e } => {
                let mut found = None;
                for x in e {
                    if *x == HIST_END {
                        break;
                    }
                    let d = base + Day::from(x & 0x0FFF);
                    if d > on {
                        break;
                    }
                    found = Some(((x >> 12) as u8, d));
                }
                found
            }
            Hist::Wide { days, sts } => asof::status_at(days, sts, on),
        }
    }

    /// Its (day, status) entries, ascending.
    pub fn entries(&self) -> impl Iterator<Item = (Day, u8)> + '_ {
        let (base, e): (Day, &[u16]) = match self {
            Hist::Inline { base, e } => (*base, &e[..]),
            Hist::Wide { .. } => (NO_DAY, &[]),
        };
        let (days, sts): (&[Day], &[u8]) = match self {
            Hist::Inline { .. } => (&[], &[]),
            Hist::Wide { days, sts } => (days, sts),
        };
        e.iter()
            .take_while(|x| **x != HIST_END)
            .map(move |x| (base + Day::from(x & 0x0FFF), (x >> 12) as u8))
            .chain(days.iter().copied().zip(sts.iter().copied()))
    }
}

/// Mediation measures (kept as [`Slot::flags`] and a fee in [`FactIndex::fees`] only when
/// there is one: most mediations have none).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct MedM {
    pub fee_vnd: f64,
    pub flags: u8,
}

/// Mediation flags.
pub(super) mod flag {
    pub const STARTED_LATE: u8 = 1;
    pub const VIOLENCE_RISK: u8 = 2;
    pub const AGREEMENT_NOT_CARRIED_OUT: u8 = 4;
    pub const FEE_CLAIMED: u8 = 8;
    pub const FEE_PAID: u8 = 16;
}

/// Inspection measures: where the record's flows and recommendation (due, answered) pairs are.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct InsM {
    pub dues: u32,
    pub flows: u32,
    pub dues_len: u16,
    pub flows_len: u16,
}

/// Inspection flow kinds ([`danvan_core::facts::Flow`] names), in [`FactIndex::flows`].
pub(super) mod flow {
    pub const FINDING: u8 = 0;
    pub const VIOLATION: u8 = 1;
    pub const RECOMMENDATION_SENT: u8 = 2;
    pub const MONEY_RECOVERED: u8 = 3;
    pub const LAND_RECOVERED: u8 = 4;
    pub const PERSONS_DISCIPLINED: u8 = 5;

    /// The kind of a flow name (`None`: a flow this build does not count).
    pub fn of(name: &str) -> Option<u8> {
        Some(match name {
            "finding" => FINDING,
            "violation" => VIOLATION,
            "recommendation_sent" => RECOMMENDATION_SENT,
            "money_recovered_vnd" => MONEY_RECOVERED,
            "land_recovered_m2" => LAND_RECOVERED,
            "persons_disciplined" => PERSONS_DISCIPLINED,
            _ => return None,
        })
    }
}

/// One dated flow of a record, as read from its fact row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Flow {
    pub day: Day,
    pub what: u8,
    pub value: f64,
}

/// One dated flow of a record as the index keeps it (8 bytes): its day, its kind, and its
/// value — a whole number below 2^28 in place (counts, most sums of money), any other in
/// [`FactIndex::flow_values`].
#[derive(Debug, Clone, Copy)]
pub(super) struct FlowCell {
    pub day: Day,
    /// Kind (top 3 bits), value kept aside ([`FLOW_ASIDE`]), the value or where it is kept
    /// (low 28 bits).
    what_value: u32,
}

const FLOW_ASIDE: u32 = 1 << 28;
const FLOW_VALUE: u32 = FLOW_ASIDE - 1;

impl FlowCell {
    /// Its kind ([`flow`]).
    #[inline]
    pub fn what(&self) -> u8 {
        (self.what_value >> 29) as u8
    }

    /// Its value.
    #[inline]
    pub fn value(&self, idx: &FactIndex) -> f64 {
        let v = self.what_value & FLOW_VALUE;
        if self.what_value & FLOW_ASIDE == 0 {
            f64::from(v)
        } else {
            idx.flow_values.get(v as usize).copied().unwrap_or(0.0)
        }
    }

    /// Where its value is in [`FactIndex::flow_values`], if it is kept there.
    fn aside(&self) -> Option<usize> {
        (self.what_value & FLOW_ASIDE != 0).then_some((self.what_value & FLOW_VALUE) as usize)
    }

    /// The cell of `f`, its value kept aside in `values` unless it fits in place.
    fn new(f: &Flow, values: &mut Vec<f64>) -> FlowCell {
        let what = u32::from(f.what) << 29;
        let fits = f.value >= 0.0 && f.value <= f64::from(FLOW_VALUE) && f.value.fract() == 0.0;
        let what_value = if fits && f.value.to_bits() != (-0.0f64).to_bits() {
            what | f.value as u32
        } else {
            values.push(f.value);
            what | FLOW_ASIDE | (values.len() - 1) as u32
        };
        FlowCell {
            day: f.day,
            what_value,
        }
    }
}

/// Democracy measures: item outcomes, counts, open remediation items, score.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DemM {
    /// met, partly, not met, n/a, decisions, meeting threshold, consultations, complaints
    /// received/resolved/outstanding, dialogues, remediation open.
    pub n: [u16; 12],
    /// Score 0–100, or -1.
    pub score: i16,
}

/// Names of [`DemM::n`], in order.
pub(super) const DEM_MEASURES: [&str; 12] = [
    "items_met",
    "items_partly_met",
    "items_not_met",
    "items_not_applicable",
    "decisions_taken",
    "decisions_meeting_threshold",
    "consultations",
    "complaints_received",
    "complaints_resolved",
    "complaints_outstanding",
    "dialogues_held",
    "remediation_open",
];

/// Petition measures: deadlines as day numbers and where the extensions' (decided, due) pairs
/// are in [`FactIndex::dues`]; codes interned in [`FactIndex::cats`] (`u16::MAX`: none).
#[derive(Debug, Clone, Copy)]
pub(super) struct PetM {
    pub accept_due: Day,
    pub resolve_due: Day,
    pub dues: u32,
    pub dues_len: u16,
    pub flags: u8,
    pub channel: u16,
    pub outcome: u16,
    pub reason: u16,
}

/// Petition flags.
pub(super) mod pflag {
    pub const GROUP: u8 = 1;
    pub const SECOND_TIME: u8 = 2;
    pub const REMOTE: u8 = 4;
    pub const COMMUNE_COMPETENT: u8 = 8;
}

/// Dialogue measures and where the commitments' (due, done) pairs are in [`FactIndex::dues`].
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DlgM {
    pub participants: u32,
    pub issues: u16,
    pub on_the_spot: u16,
    pub commitments: u16,
    pub referred: u16,
    pub head: bool,
    pub dues: u32,
    pub dues_len: u16,
}

/// Records entered under one unit version.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    /// The interned unit code.
    pub unit: u32,
    pub code: String,
    /// The version's first day (`None`: the code is not in the unit tree).
    pub version: Option<NaiveDate>,
    /// The slots the last compaction laid out for this bucket, `laid.0..laid.1`; a record that
    /// moved to another bucket since stays in the range with that bucket in its slot, and is
    /// passed over.
    laid: (u32, u32),
    /// Records that came into this bucket since the last compaction (appended, or moved here),
    /// outside its laid range.
    extra: Vec<u32>,
}

impl Bucket {
    /// Whether the bucket holds no record (an empty range and no extras).
    pub fn is_empty(&self) -> bool {
        self.laid.0 == self.laid.1 && self.extra.is_empty()
    }

    /// An upper bound of its records (its laid range and its extras).
    pub fn len_bound(&self) -> usize {
        (self.laid.1 - self.laid.0) as usize + self.extra.len()
    }

    fn is_laid(&self, slot: u32) -> bool {
        self.laid.0 <= slot && slot < self.laid.1
    }
}

/// Strings interned to small numbers.
#[derive(Debug, Default)]
pub(super) struct Interner {
    pub names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(i) = self.ids.get(s) {
            return *i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
}

/// Size of the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Records held.
    pub records: u64,
    /// Bytes allocated by the index's arrays (approximate, by capacity).
    pub bytes: u64,
    /// Highest `updated_seq` seen.
    pub last_seq: i64,
    /// [`Self::bytes`] by part.
    pub parts: IndexParts,
}

/// Bytes of the index by part (by capacity).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexParts {
    /// Record id → slot.
    pub ids: u64,
    /// One fixed-size slot per record.
    pub slots: u64,
    /// Status histories.
    pub histories: u64,
    /// Per-kind measures: fees, inspection, democracy, petition and dialogue tables, day
    /// pairs and flows.
    pub measures: u64,
    /// Buckets and their lists.
    pub buckets: u64,
}

/// Record number (the fact row's `created_seq`: unique, never changed) → slot. The bulk is
/// sorted numbers — their low 32 bits, with where each high half starts — and the slots beside
/// them, 8 B a record; records added since the last compaction are in a hash map.
#[derive(Debug, Default)]
pub(super) struct IdMap {
    /// (high 32 bits, index in `lows` of the first number with them), ascending.
    highs: Vec<(u32, u32)>,
    lows: Vec<u32>,
    slots: Vec<u32>,
    recent: FxHashMap<u64, u32>,
}

impl IdMap {
    fn get(&self, n: u64) -> Option<u32> {
        if let Some(s) = self.recent.get(&n) {
            return Some(*s);
        }
        let g = self
            .highs
            .binary_search_by_key(&((n >> 32) as u32), |h| h.0)
            .ok()?;
        let from = self.highs[g].1 as usize;
        let to = self
            .highs
            .get(g + 1)
            .map_or(self.lows.len(), |h| h.1 as usize);
        let i = self.lows.get(from..to)?.binary_search(&(n as u32)).ok()?;
        self.slots.get(from + i).copied()
    }

    fn insert(&mut self, n: u64, slot: u32) {
        self.recent.insert(n, slot);
    }

    fn len(&self) -> usize {
        self.lows.len() + self.recent.len()
    }

    /// The sorted part's numbers, ascending.
    fn numbers(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        let mut g = 0;
        self.lows.iter().enumerate().map(move |(i, low)| {
            while self.highs.get(g + 1).is_some_and(|h| h.1 as usize <= i) {
                g += 1;
            }
            let high = self.highs.get(g).map_or(0, |h| h.0);
            (u64::from(high) << 32) | u64::from(*low)
        })
    }

    /// Every (number, slot), ascending.
    fn all(&self) -> Vec<(u64, u32)> {
        let mut all: Vec<(u64, u32)> = self.numbers().zip(self.slots.iter().copied()).collect();
        if !self.recent.is_empty() {
            all.extend(self.recent.iter().map(|(k, v)| (*k, *v)));
            all.sort_unstable_by_key(|e| e.0);
        }
        all
    }

    /// The map of `all`, ascending by number (`None` if it is not strictly ascending).
    fn from_sorted(all: impl IntoIterator<Item = (u64, u32)>) -> Option<Self> {
        let mut m = IdMap::default();
        let mut last: Option<u64> = None;
        for (n, slot) in all {
            if last.is_some_and(|l| l >= n) {
                return None;
            }
            last = Some(n);
            let high = (n >> 32) as u32;
            if m.highs.last().is_none_or(|h| h.0 != high) {
                m.highs.push((high, m.lows.len() as u32));
            }
            m.lows.push(n as u32);
            m.slots.push(slot);
        }
        m.lows.shrink_to_fit();
        m.slots.shrink_to_fit();
        Some(m)
    }

    /// Renumber slots and fold the recent entries into the sorted arrays.
    fn remap(&mut self, perm: &[u32]) {
        let mut all = self.all();
        *self = IdMap::default();
        for (_, v) in &mut all {
            *v = perm[*v as usize];
        }
        // Ascending and distinct: the map's own keys.
        *self = IdMap::from_sorted(all).unwrap_or_default();
    }

    fn bytes(&self) -> usize {
        self.highs.capacity() * 8
            + self.lows.capacity() * 4
            + self.slots.capacity() * 4
            + self.recent.capacity() * (std::mem::size_of::<(u64, u32)>() + 1)
    }
}

/// A unit's versions as (first day, last day), oldest first.
type Versions = Box<[(Day, Day)]>;

/// The index.
#[derive(Debug, Default)]
pub(super) struct FactIndex {
    by_id: IdMap,
    pub slots: Vec<Slot>,
    pub hist_day: Vec<Day>,
    pub hist_status: Vec<u8>,
    /// Mediation fees, of the mediations that have one.
    pub fees: Vec<f64>,
    pub ins: Vec<InsM>,
    pub dem: Vec<DemM>,
    pub pet: Vec<PetM>,
    pub dlg: Vec<DlgM>,
    /// Day pairs: inspection recommendations (due day, answered day or NO_DAY), petition
    /// extensions (decided day, due day after it), dialogue commitments (due day, done day or
    /// NO_DAY).
    pub dues: Vec<(Day, Day)>,
    /// Inspection flows (findings, recommendations sent, recoveries…), each on its day.
    pub flows: Vec<FlowCell>,
    /// Flow values that do not fit in their cell.
    pub flow_values: Vec<f64>,
    pub units: Interner,
    pub cats: Interner,
    pub subs: Interner,
    pub buckets: Vec<Bucket>,
    /// Entry days of the slots whose entry is not within ±32,767 days of their main day (or
    /// that have none), by slot.
    far_entries: FxHashMap<u32, Day>,
    bucket_of: FxHashMap<(u32, Day), u32>,
    tree: Option<Arc<UnitTree>>,
    /// Per interned unit: its versions in `tree` as (first day, last day), oldest first; filled
    /// on first use, emptied with the tree.
    unit_versions: Vec<Option<Versions>>,
    last_seq: i64,
    /// Id of the row whose `updated_seq` is `last_seq` (a snapshot's database check).
    last_key: [u64; 2],
    /// Records laid out in bucket order by the last compaction.
    sorted: usize,
}

#[derive(Deserialize)]
struct FlowEntry<'a> {
    name: &'a str,
    on: &'a str,
    value: f64,
}

#[derive(Deserialize)]
struct HistEntry<'a> {
    status: &'a str,
    on: &'a str,
}

fn parse_day(s: &str) -> Option<Day> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(asof::day)
}

pub(super) fn id_key(id: &str) -> [u64; 2] {
    match uuid::Uuid::parse_str(id) {
        Ok(u) => {
            let (hi, lo) = u.as_u64_pair();
            [hi, lo]
        }
        Err(_) => {
            // Not a UUID (never written by the server): a stable 128-bit hash of the text.
            use std::hash::{Hash, Hasher};
            let mut a = rustc_hash::FxHasher::default();
            id.hash(&mut a);
            let mut b = std::collections::hash_map::DefaultHasher::new();
            id.hash(&mut b);
            [a.finish(), b.finish()]
        }
    }
}

fn kind_code(k: &str) -> Option<RecordKind> {
    match k {
        "mediation" => Some(RecordKind::Mediation),
        "inspection" => Some(RecordKind::Inspection),
        "democracy" => Some(RecordKind::Democracy),
        "petition" => Some(RecordKind::Petition),
        "dialogue" => Some(RecordKind::Dialogue),
        _ => None,
    }
}

/// Kind of a slot.
pub(super) fn kind_of(k: u8) -> RecordKind {
    match k {
        0 => RecordKind::Mediation,
        1 => RecordKind::Inspection,
        2 => RecordKind::Democracy,
        3 => RecordKind::Petition,
        _ => RecordKind::Dialogue,
    }
}

fn kind_u8(k: RecordKind) -> u8 {
    match k {
        RecordKind::Mediation => 0,
        RecordKind::Inspection => 1,
        RecordKind::Democracy => 2,
        RecordKind::Petition => 3,
        RecordKind::Dialogue => 4,
    }
}

fn clamp16(v: f64) -> u16 {
    v.clamp(0.0, f64::from(u16::MAX)) as u16
}

impl FactIndex {
    /// Highest `updated_seq` applied.
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Size of the index.
    pub fn stats(&self) -> IndexStats {
        use std::mem::size_of;
        let parts = IndexParts {
            ids: self.by_id.bytes() as u64,
            slots: (self.slots.capacity() * size_of::<Slot>()
                + self.far_entries.capacity() * (size_of::<(u32, Day)>() + 1))
                as u64,
            histories: (self.hist_day.capacity() * size_of::<Day>() + self.hist_status.capacity())
                as u64,
            measures: (self.fees.capacity() * 8
                + self.ins.capacity() * size_of::<InsM>()
                + self.dem.capacity() * size_of::<DemM>()
                + self.pet.capacity() * size_of::<PetM>()
                + self.dlg.capacity() * size_of::<DlgM>()
                + self.dues.capacity() * size_of::<(Day, Day)>()
                + self.flows.capacity() * size_of::<FlowCell>()
                + self.flow_values.capacity() * 8) as u64,
            buckets: self
                .buckets
                .iter()
                .map(|b| b.extra.capacity() * 4 + size_of::<Bucket>() + b.code.capacity())
                .sum::<usize>() as u64,
        };
        IndexStats {
            records: self.slots.len() as u64,
            bytes: parts.ids + parts.slots + parts.histories + parts.measures + parts.buckets,
            last_seq: self.last_seq,
            parts,
        }
    }

    /// The slot of the record numbered `n` (its fact row's `created_seq`), if the index holds
    /// it.
    pub fn slot_of(&self, n: i64) -> Option<u32> {
        self.by_id.get(n as u64)
    }

    /// The measures of a mediation's slot.
    pub fn med_of(&self, s: &Slot) -> MedM {
        MedM {
            fee_vnd: self.fees.get(s.meas() as usize).copied().unwrap_or(0.0),
            flags: s.flags(),
        }
    }

    /// The status history of a slot.
    #[inline]
    pub fn history(&self, s: &Slot) -> Hist<'_> {
        if s.out_of_line() {
            let (a, n) = s.hist_at();
            Hist::Wide {
                days: self.hist_day.get(a..a + n).unwrap_or(&[]),
                sts: self.hist_status.get(a..a + n).unwrap_or(&[]),
            }
        } else {
            Hist::Inline {
                base: s.main,
                e: s.hist,
            }
        }
    }

    /// The day slot `i`'s unit code is read on (its bucket's version is the one in force then).
    fn entry_of(&self, i: u32) -> Day {
        match self.slots.get(i as usize) {
            Some(s) if s.entry_off != ENTRY_FAR => s.main + Day::from(s.entry_off),
            _ => self.far_entries.get(&i).copied().unwrap_or(NO_DAY),
        }
    }

    /// Set slot `i`'s entry day.
    fn set_entry(&mut self, i: u32, entry: Day) {
        let Some(s) = self.slots.get_mut(i as usize) else {
            return;
        };
        let off = if s.main == NO_DAY || entry == NO_DAY {
            None
        } else {
            i16::try_from(entry - s.main)
                .ok()
                .filter(|o| *o != ENTRY_FAR)
        };
        match off {
            Some(o) => {
                s.entry_off = o;
                self.far_entries.remove(&i);
            }
            None => {
                s.entry_off = ENTRY_FAR;
                self.far_entries.insert(i, entry);
            }
        }
    }

    /// Point the buckets at `tree` (re-bucketing every record if the tree was reloaded).
    pub fn use_tree(&mut self, tree: &Arc<UnitTree>) {
        if self.tree.as_ref().is_some_and(|t| Arc::ptr_eq(t, tree)) {
            return;
        }
        self.tree = Some(Arc::clone(tree));
        let units: Vec<u32> = self
            .slots
            .iter()
            .map(|s| self.buckets.get(s.bucket() as usize).map_or(0, |b| b.unit))
            .collect();
        self.rebucket(&units, self.sorted);
    }

    /// Put every record (of unit `units[slot]`) in its bucket under the current tree. The
    /// first `sorted` slots, if they are still in bucket order (each bucket's records one run:
    /// buckets are numbered in slot order, so their numbers do not decrease), are covered by
    /// their buckets' ranges; the other records are listed as their buckets' extras.
    fn rebucket(&mut self, units: &[u32], sorted: usize) {
        self.buckets.clear();
        self.bucket_of.clear();
        self.unit_versions.clear();
        let n = self.slots.len().min(units.len());
        for (i, unit) in units.iter().enumerate().take(n) {
            let b = self.bucket_for(*unit, self.entry_of(i as u32));
            self.slots[i].set_bucket(b);
        }
        let sorted = sorted.min(n);
        let laid = self.slots[..sorted]
            .windows(2)
            .all(|w| w[0].bucket() <= w[1].bucket());
        let from = if laid { sorted } else { 0 };
        for (i, s) in self.slots[..from].iter().enumerate() {
            let b = &mut self.buckets[s.bucket() as usize];
            if b.laid.0 == b.laid.1 {
                b.laid = (i as u32, i as u32 + 1);
            } else {
                b.laid.1 = i as u32 + 1;
            }
        }
        for (i, s) in self.slots.iter().enumerate().take(n).skip(from) {
            self.buckets[s.bucket() as usize].extra.push(i as u32);
        }
        self.sorted = from;
    }

    /// The records of bucket `b`, by slot number: its laid range (less the records that moved
    /// out), then its extras.
    pub fn bucket_slots(&self, b: usize) -> impl Iterator<Item = (u32, &Slot)> + '_ {
        let bucket = &self.buckets[b];
        let (from, to) = bucket.laid;
        let laid = self.slots[from as usize..to as usize]
            .iter()
            .zip(from..)
            .filter(move |(s, _)| s.bucket() as usize == b)
            .map(|(s, i)| (i, s));
        let extra = bucket
            .extra
            .iter()
            .filter_map(|i| self.slots.get(*i as usize).map(|s| (*i, s)));
        laid.chain(extra)
    }

    /// The bucket of records of `unit` entered on `entry`: the unit's version the record was
    /// entered under ([`super::resolve::entered_version`], on day numbers: the version in force
    /// that day, else the first starting later, else the last).
    fn bucket_for(&mut self, unit: u32, entry: Day) -> u32 {
        let u = unit as usize;
        if self.unit_versions.len() <= u {
            self.unit_versions.resize(u + 1, None);
        }
        if self.unit_versions[u].is_none() {
            let code = &self.units.names[u];
            let versions: Versions = self
                .tree
                .as_ref()
                .map(|t| {
                    t.versions(code)
                        .iter()
                        .map(|v| {
                            (
                                asof::day(v.valid_from),
                                v.valid_to.map_or(Day::MAX, asof::day),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.unit_versions[u] = Some(versions);
        }
        let versions = self.unit_versions[u].as_deref().unwrap_or(&[]);
        // `NO_DAY` reads as the earliest date, as `asof::date` makes it.
        let e = asof::day(asof::date(entry));
        let version = versions
            .iter()
            .find(|(from, to)| *from <= e && e <= *to)
            .or_else(|| versions.iter().find(|(from, _)| *from > e))
            .or_else(|| versions.last())
            .map(|(from, _)| *from);
        let key = (unit, version.unwrap_or(NO_DAY));
        if let Some(b) = self.bucket_of.get(&key) {
            return *b;
        }
        let b = self.buckets.len() as u32;
        self.buckets.push(Bucket {
            unit,
            code: self.units.names[u].clone(),
            version: version.map(asof::date),
            laid: (0, 0),
            extra: Vec::new(),
        });
        self.bucket_of.insert(key, b);
        b
    }

    /// Records appended since the last [`compact`](Self::compact).
    pub fn unsorted(&self) -> usize {
        self.slots.len() - self.sorted
    }

    /// Lay records out bucket by bucket — slots, histories and measures in scan order — so a
    /// report reads memory sequentially. Run after the first load and when many records were
    /// appended since (about a second per million records).
    pub fn compact(&mut self) {
        let n = self.slots.len();
        let mut perm = vec![0u32; n];
        let mut slots = Vec::with_capacity(n);
        let mut hist_day = Vec::with_capacity(self.hist_day.len());
        let mut hist_status = Vec::with_capacity(self.hist_status.len());
        let mut fees = Vec::with_capacity(self.fees.len());
        let mut ins = Vec::with_capacity(self.ins.len());
        let mut dem = Vec::with_capacity(self.dem.len());
        let mut pet = Vec::with_capacity(self.pet.len());
        let mut dlg = Vec::with_capacity(self.dlg.len());
        let mut dues = Vec::with_capacity(self.dues.len());
        let mut flows = Vec::with_capacity(self.flows.len());
        let mut flow_values = Vec::new();
        let mut far_entries = FxHashMap::default();
        let old_dues = &self.dues;
        // Copy a record's day pairs into the new table; their new position.
        let mut move_pairs = |at: u32, len: u16| {
            let to = dues.len() as u32;
            dues.extend_from_slice(&old_dues[at as usize..at as usize + usize::from(len)]);
            to
        };
        // One bucket's slot numbers at a time (the buffer is reused), not a copy of them all.
        let mut olds: Vec<u32> = Vec::new();
        for b in 0..self.buckets.len() {
            olds.clear();
            olds.extend(self.bucket_slots(b).map(|(i, _)| i));
            let first = slots.len() as u32;
            for &old in &olds {
                let mut s = self.slots[old as usize];
                if s.out_of_line() {
                    let (a, len) = s.hist_at();
                    s.set_out_of_line(hist_day.len() as u32, len);
                    hist_day.extend_from_slice(&self.hist_day[a..a + len]);
                    hist_status.extend_from_slice(&self.hist_status[a..a + len]);
                }
                if s.entry_off == ENTRY_FAR {
                    let e = self.far_entries.get(&old).copied().unwrap_or(NO_DAY);
                    far_entries.insert(slots.len() as u32, e);
                }
                let meas = match kind_of(s.kind()) {
                    RecordKind::Mediation => match self.fees.get(s.meas() as usize) {
                        Some(fee) => {
                            fees.push(*fee);
                            fees.len() - 1
                        }
                        None => NO_MEAS as usize,
                    },
                    RecordKind::Inspection => {
                        let mut m = self.ins[s.meas() as usize];
                        m.dues = move_pairs(m.dues, m.dues_len);
                        let f = m.flows as usize;
                        m.flows = flows.len() as u32;
                        for cell in &self.flows[f..f + usize::from(m.flows_len)] {
                            flows.push(match cell.aside() {
                                Some(_) => FlowCell::new(
                                    &Flow {
                                        day: cell.day,
                                        what: cell.what(),
                                        value: cell.value(self),
                                    },
                                    &mut flow_values,
                                ),
                                None => *cell,
                            });
                        }
                        ins.push(m);
                        ins.len() - 1
                    }
                    RecordKind::Democracy => {
                        dem.push(self.dem[s.meas() as usize]);
                        dem.len() - 1
                    }
                    RecordKind::Petition => {
                        let mut m = self.pet[s.meas() as usize];
                        m.dues = move_pairs(m.dues, m.dues_len);
                        pet.push(m);
                        pet.len() - 1
                    }
                    RecordKind::Dialogue => {
                        let mut m = self.dlg[s.meas() as usize];
                        m.dues = move_pairs(m.dues, m.dues_len);
                        dlg.push(m);
                        dlg.len() - 1
                    }
                } as u32;
                s.set_meas(meas);
                let new = slots.len() as u32;
                perm[old as usize] = new;
                slots.push(s);
            }
            let bucket = &mut self.buckets[b];
            bucket.laid = (first, slots.len() as u32);
            bucket.extra = Vec::new();
        }
        self.by_id.remap(&perm);
        self.slots = slots;
        self.far_entries = far_entries;
        // Most histories are inline: the columns keep only the others.
        hist_day.shrink_to_fit();
        hist_status.shrink_to_fit();
        self.hist_day = hist_day;
        self.hist_status = hist_status;
        self.fees = fees;
        self.ins = ins;
        self.dem = dem;
        self.pet = pet;
        self.dlg = dlg;
        self.dues = dues;
        self.flows = flows;
        self.flow_values = flow_values;
        self.sorted = self.slots.len();
    }

    /// Apply fact rows (in `updated_seq` order) read from storage.
    pub fn apply(&mut self, rows: &[FactRow], tree: &Arc<UnitTree>) {
        self.use_tree(tree);
        for row in rows {
            if let Err(e) = self.apply_one(row) {
                // A malformed row is skipped (and said so) rather than failing every report.
                tracing::warn!(seq = row.updated_seq, error = %e, "fact row skipped");
            }
            if row.updated_seq >= self.last_seq {
                self.last_seq = row.updated_seq;
                self.last_key = id_key(&row.id);
            }
        }
    }

    fn apply_one(&mut self, row: &FactRow) -> Result<(), String> {
        let kind = kind_code(&row.kind).ok_or_else(|| format!("unknown kind {:?}", row.kind))?;
        let hist: Vec<HistEntry<'_>> =
            serde_json::from_str(&row.history).map_err(|e| format!("history: {e}"))?;
        let measures: Vec<(&str, f64)> =
            serde_json::from_str(&row.measures).map_err(|e| format!("measures: {e}"))?;
        let mut days: Vec<(Day, u8)> = hist
            .iter()
            .filter_map(|h| Some((parse_day(h.on)?, asof::status_code(kind, h.status))))
            .collect();
        // Facts keep history in effective-date order; a stable sort keeps same-day order.
        days.sort_by_key(|(d, _)| *d);
        days.truncate(usize::from(u8::MAX));
        let main = row
            .main_date
            .as_deref()
            .and_then(parse_day)
            .unwrap_or(NO_DAY);
        // The day the unit code is read on: the record's creation day or a historical entry's
        // day (migration 0005); rows written before it fall back to the main date.
        let entry = match row.unit_on.as_deref().and_then(parse_day) {
            Some(d) => d,
            None if main != NO_DAY => main,
            None => days.first().map(|(d, _)| *d).unwrap_or(NO_DAY),
        };
        let unit = self.units.id(&row.unit);
        let cat = row
            .category
            .as_deref()
            .map(|c| self.cats.id(c) as u16)
            .unwrap_or(u16::MAX);
        let sub = row
            .subtype
            .as_deref()
            .map(|c| self.subs.id(c) as u16)
            .unwrap_or(u16::MAX);
        let key = row.created_seq as u64;
        let existing = self.by_id.get(key);
        let old = existing.map(|i| self.slots[i as usize]);

        if self.buckets.len() >= MAX_BUCKETS - 1 || self.slots.len() >= NO_MEAS as usize {
            return Err("the index is full".into());
        }
        let mut slot = Slot {
            main,
            kind_meas: u32::from(kind_u8(kind)) << KIND_SHIFT,
            flags_bucket: 0,
            hist: [HIST_END; HIST_INLINE],
            cat,
            sub,
            entry_off: 0,
        };
        // History: inline when it fits; else in place of the old one when that is long enough,
        // else appended.
        if !slot.set_inline(&days) {
            let at = match old.filter(|o| o.out_of_line() && o.hist_at().1 >= days.len()) {
                Some(o) => o.hist_at().0,
                None => {
                    let at = self.hist_day.len();
                    self.hist_day.resize(at + days.len(), NO_DAY);
                    self.hist_status.resize(at + days.len(), 0);
                    at
                }
            };
            for (i, (d, st)) in days.iter().enumerate() {
                self.hist_day[at + i] = *d;
                self.hist_status[at + i] = *st;
            }
            slot.set_out_of_line(at as u32, days.len());
        }

        let m = |name: &str| {
            measures
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .unwrap_or(0.0)
        };
        let same_kind = old.filter(|o| o.kind() == kind_u8(kind));
        let mut med_flags = 0u8;
        let meas = match kind {
            RecordKind::Mediation => {
                let mut flags = 0u8;
                for (name, f) in [
                    ("started_late", flag::STARTED_LATE),
                    ("violence_risk", flag::VIOLENCE_RISK),
                    ("agreement_not_carried_out", flag::AGREEMENT_NOT_CARRIED_OUT),
                    ("fee_claimed", flag::FEE_CLAIMED),
                    ("fee_paid", flag::FEE_PAID),
                ] {
                    if m(name) > 0.0 {
                        flags |= f;
                    }
                }
                med_flags = flags;
                let fee = m("fee_amount_vnd");
                if fee.to_bits() == 0 {
                    NO_MEAS
                } else {
                    let at = same_kind.map(|o| o.meas()).filter(|a| *a != NO_MEAS);
                    put(&mut self.fees, at, fee)
                }
            }
            RecordKind::Inspection => {
                let pairs = day_pairs(
                    &measures,
                    "recommendation_due_day",
                    "recommendation_answered_day",
                );
                let prev = same_kind.and_then(|o| self.ins.get(o.meas() as usize).copied());
                let dues = self.put_pairs(prev.map(|p| (p.dues, p.dues_len)), &pairs);
                let mut read: Vec<Flow> = if row.flows.is_empty() {
                    Vec::new()
                } else {
                    serde_json::from_str::<Vec<FlowEntry<'_>>>(&row.flows)
                        .map_err(|e| format!("flows: {e}"))?
                        .iter()
                        .filter_map(|f| {
                            Some(Flow {
                                day: parse_day(f.on)?,
                                what: flow::of(f.name)?,
                                value: f.value,
                            })
                        })
                        .collect()
                };
                merge_flows(&mut read);
                read.truncate(usize::from(u16::MAX));
                let cells: Vec<FlowCell> = read
                    .iter()
                    .map(|f| FlowCell::new(f, &mut self.flow_values))
                    .collect();
                let flows = match prev {
                    Some(p) if usize::from(p.flows_len) >= cells.len() => p.flows,
                    _ => {
                        let at = self.flows.len() as u32;
                        self.flows.extend(cells.iter().copied());
                        at
                    }
                };
                self.flows[flows as usize..flows as usize + cells.len()].copy_from_slice(&cells);
                let v = InsM {
                    dues,
                    flows,
                    dues_len: pairs.len().min(usize::from(u16::MAX)) as u16,
                    flows_len: cells.len() as u16,
                };
                put(&mut self.ins, same_kind.map(|o| o.meas()), v)
            }
            RecordKind::Democracy => {
                let mut v = DemM {
                    score: -1,
                    ..DemM::default()
                };
                for (i, name) in DEM_MEASURES.iter().enumerate() {
                    v.n[i] = clamp16(m(name));
                }
                if let Some((_, s)) = measures.iter().find(|(n, _)| *n == "score") {
                    v.score = s.clamp(0.0, 1000.0) as i16;
                }
                put(&mut self.dem, same_kind.map(|o| o.meas()), v)
            }
            RecordKind::Petition => {
                let day = |name: &str| {
                    measures
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or(NO_DAY, |(_, v)| *v as Day)
                };
                let pairs = day_pairs(&measures, "extension_day", "extended_due_day");
                let prev = same_kind.and_then(|o| self.pet.get(o.meas() as usize).copied());
                let dues = self.put_pairs(prev.map(|p| (p.dues, p.dues_len)), &pairs);
                let mut flags = 0u8;
                for (name, f) in [
                    ("group", pflag::GROUP),
                    ("second_time", pflag::SECOND_TIME),
                    ("remote_area", pflag::REMOTE),
                    ("commune_competent", pflag::COMMUNE_COMPETENT),
                ] {
                    if m(name) > 0.0 {
                        flags |= f;
                    }
                }
                let mut code = |prefix: &str| {
                    measures
                        .iter()
                        .find_map(|(n, _)| n.strip_prefix(prefix))
                        .map_or(u16::MAX, |c| self.cats.id(c) as u16)
                };
                let v = PetM {
                    accept_due: day("accept_due_day"),
                    resolve_due: day("resolve_due_day"),
                    dues,
                    dues_len: pairs.len().min(usize::from(u16::MAX)) as u16,
                    flags,
                    channel: code("channel:"),
                    outcome: code("outcome:"),
                    reason: code("not_accepted:"),
                };
                put(&mut self.pet, same_kind.map(|o| o.meas()), v)
            }
            RecordKind::Dialogue => {
                let pairs = day_pairs(&measures, "commitment_due_day", "commitment_done_day");
                let prev = same_kind.and_then(|o| self.dlg.get(o.meas() as usize).copied());
                let dues = self.put_pairs(prev.map(|p| (p.dues, p.dues_len)), &pairs);
                let v = DlgM {
                    participants: m("participants").clamp(0.0, f64::from(u32::MAX)) as u32,
                    issues: clamp16(m("issues")),
                    on_the_spot: clamp16(m("answered_on_the_spot")),
                    commitments: clamp16(m("commitments")),
                    referred: clamp16(m("referred")),
                    head: m("chaired_by_head") > 0.0,
                    dues,
                    dues_len: pairs.len().min(usize::from(u16::MAX)) as u16,
                };
                put(&mut self.dlg, same_kind.map(|o| o.meas()), v)
            }
        };

        if meas > NO_MEAS {
            return Err("the index is full".into());
        }
        slot.set_meas(meas);
        slot.flags_bucket = u32::from(med_flags) << 24;
        let bucket = match (old, existing) {
            (Some(o), Some(i))
                if self.buckets[o.bucket() as usize].unit == unit && self.entry_of(i) == entry =>
            {
                o.bucket()
            }
            _ => self.bucket_for(unit, entry),
        };
        slot.set_bucket(bucket);
        match existing {
            Some(i) => {
                if let Some(o) = old.filter(|o| o.bucket() != bucket) {
                    // Out of the old bucket: its laid range passes over a slot of another
                    // bucket; an extra is taken off the list.
                    let from = &mut self.buckets[o.bucket() as usize];
                    if !from.is_laid(i)
                        && let Some(p) = from.extra.iter().position(|s| *s == i)
                    {
                        from.extra.swap_remove(p);
                    }
                    // Into the new one: back into its laid range if it came from there.
                    let to = &mut self.buckets[bucket as usize];
                    if !to.is_laid(i) {
                        to.extra.push(i);
                    }
                }
                self.slots[i as usize] = slot;
                self.set_entry(i, entry);
            }
            None => {
                let i = self.slots.len() as u32;
                self.slots.push(slot);
                self.set_entry(i, entry);
                self.by_id.insert(key, i);
                self.buckets[bucket as usize].extra.push(i);
            }
        }
        Ok(())
    }
}

/// One cell for the flows of one kind on one day whose values are whole numbers (three
/// findings on the day of a visit, say): every figure is a sum of those values by day and kind,
/// and whole numbers below 2^52 add up exactly in any order, so the figures do not change. Other
/// values (a fraction of a square metre) keep their own cells.
fn merge_flows(cells: &mut Vec<Flow>) {
    let whole = |v: f64| (0.0..4_503_599_627_370_496.0).contains(&v) && v.fract() == 0.0;
    cells.sort_by_key(|c| (c.day, c.what));
    cells.dedup_by(|later, kept| {
        let same = later.day == kept.day
            && later.what == kept.what
            && whole(later.value)
            && whole(kept.value);
        if same {
            kept.value += later.value;
        }
        same
    });
}

/// The (a, b) day pairs of measures named `a` and `b`, in order (a negative `b`: `NO_DAY`).
fn day_pairs(measures: &[(&str, f64)], a: &str, b: &str) -> Vec<(Day, Day)> {
    measures
        .iter()
        .filter(|(n, _)| *n == a)
        .zip(measures.iter().filter(|(n, _)| *n == b))
        .map(|((_, x), (_, y))| (*x as Day, if *y < 0.0 { NO_DAY } else { *y as Day }))
        .take(usize::from(u16::MAX))
        .collect()
}

impl FactIndex {
    /// Store day pairs in place of the previous ones when they fit, else appended; returns
    /// their position in [`FactIndex::dues`].
    fn put_pairs(&mut self, prev: Option<(u32, u16)>, pairs: &[(Day, Day)]) -> u32 {
        let at = match prev {
            Some((at, len)) if usize::from(len) >= pairs.len() => at,
            _ => {
                let at = self.dues.len() as u32;
                self.dues
                    .resize(self.dues.len() + pairs.len(), (NO_DAY, NO_DAY));
                at
            }
        };
        self.dues[at as usize..at as usize + pairs.len()].copy_from_slice(pairs);
        at
    }

    /// The day pairs at `at`.
    pub(super) fn pairs(&self, at: u32, len: u16) -> &[(Day, Day)] {
        let a = at as usize;
        self.dues.get(a..a + usize::from(len)).unwrap_or(&[])
    }
}

/// Store `v` at `at` (same kind as before) or append it; returns its position.
fn put<T>(table: &mut Vec<T>, at: Option<u32>, v: T) -> u32 {
    match at.filter(|a| (*a as usize) < table.len()) {
        Some(a) => {
            table[a as usize] = v;
            a
        }
        None => {
            table.push(v);
            (table.len() - 1) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Unit;

    fn unit(code: &str) -> Unit {
        Unit {
            code: code.into(),
            valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            valid_to: None,
            name: code.into(),
            level: "commune".into(),
            parent: None,
            successors: Vec::new(),
        }
    }

    fn row(n: u64, unit: &str, seq: i64) -> FactRow {
        FactRow {
            id: uuid::Uuid::from_u64_pair(7, n).to_string(),
            kind: "mediation".into(),
            unit: unit.into(),
            unit_on: Some("2025-03-01".into()),
            status: "received".into(),
            category: None,
            subtype: None,
            main_date: Some("2025-03-01".into()),
            closed_on: None,
            history: r#"[{"status":"received","on":"2025-03-01"}]"#.into(),
            measures: "[]".into(),
            flows: "[]".into(),
            updated_seq: seq,
            // A record's number: the sequence it was first written with.
            created_seq: 1000 + n as i64,
        }
    }

    /// Record numbers (their `n` in [`row`]) of bucket `code`, sorted.
    fn members(idx: &FactIndex, code: &str) -> Vec<u64> {
        let mut ids: Vec<u64> = idx
            .buckets
            .iter()
            .enumerate()
            .filter(|(_, b)| b.code == code)
            .flat_map(|(b, _)| idx.bucket_slots(b).map(|(i, _)| i))
            .map(|slot| {
                let (key, _) = idx
                    .by_id
                    .all()
                    .into_iter()
                    .find(|(_, s)| *s == slot)
                    .unwrap();
                key - 1000
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A mediation numbered `n` with history `hist` ((status, day) pairs), main date `main`,
    /// entered on `entry`.
    fn med(n: u64, hist: &[(&str, &str)], main: Option<&str>, entry: &str) -> FactRow {
        let h: Vec<String> = hist
            .iter()
            .map(|(st, on)| format!(r#"{{"status":"{st}","on":"{on}"}}"#))
            .collect();
        FactRow {
            history: format!("[{}]", h.join(",")),
            main_date: main.map(str::to_string),
            unit_on: Some(entry.into()),
            ..row(n, "A", n as i64 + 1)
        }
    }

    /// Every day from 2014 to 2040 and the far ends: the index's history gives what the core's
    /// `status_at` gives on the row's own entries.
    fn check_histories(idx: &FactIndex, rows: &[FactRow]) {
        let probe: Vec<Day> = (asof::day(NaiveDate::from_ymd_opt(2014, 1, 1).unwrap())
            ..asof::day(NaiveDate::from_ymd_opt(2040, 1, 1).unwrap()))
            .chain([NO_DAY + 1, Day::MAX])
            .collect();
        for r in rows {
            let hist: Vec<HistEntry<'_>> = serde_json::from_str(&r.history).unwrap();
            let mut want: Vec<(Day, u8)> = hist
                .iter()
                .map(|h| {
                    let st = asof::status_code(RecordKind::Mediation, h.status);
                    (parse_day(h.on).unwrap(), st)
                })
                .collect();
            want.sort_by_key(|e| e.0);
            let (days, sts): (Vec<Day>, Vec<u8>) = want.iter().copied().unzip();
            let slot = idx.slots[idx.slot_of(r.created_seq).unwrap() as usize];
            let h = idx.history(&slot);
            assert_eq!(
                h.entries().collect::<Vec<_>>(),
                want,
                "record {}",
                r.created_seq
            );
            for d in &probe {
                assert_eq!(
                    h.status_at(*d),
                    asof::status_at(&days, &sts, *d),
                    "record {} on day {d}",
                    r.created_seq
                );
            }
        }
    }

    #[test]
    fn histories_read_the_same_inline_or_out_of_line() {
        let tree = Arc::new(UnitTree::new(vec![unit("A")]));
        let d = "2025-03-01";
        let mut rows = vec![
            // Inline: three entries from the main day.
            med(
                0,
                &[
                    ("received", d),
                    ("mediating", "2025-03-04"),
                    ("successful", "2025-04-01"),
                ],
                Some(d),
                d,
            ),
            // Out of line: four entries; one before the main day; one 12 years after it; a
            // status this build does not know; no main day.
            med(
                1,
                &[
                    ("received", d),
                    ("mediating", "2025-03-02"),
                    ("successful", "2025-03-09"),
                    ("mediating", "2025-05-01"),
                ],
                Some(d),
                d,
            ),
            med(
                2,
                &[("received", "2025-02-27"), ("mediating", "2025-03-02")],
                Some(d),
                d,
            ),
            med(
                3,
                &[("received", d), ("mediating", "2037-03-01")],
                Some(d),
                d,
            ),
            med(
                4,
                &[("received", d), ("archived", "2025-03-05")],
                Some(d),
                d,
            ),
            med(5, &[("received", d)], None, d),
            // Entered 100 years after its main day (the entry day is kept aside).
            med(6, &[("received", d)], Some(d), "2125-03-01"),
            // Same-day entries keep their order; 4,095 days after main still fits inline,
            // 4,096 does not.
            med(
                7,
                &[("received", d), ("mediating", d), ("stopped", "2036-05-17")],
                Some(d),
                d,
            ),
            med(
                8,
                &[("received", d), ("mediating", d), ("stopped", "2036-05-18")],
                Some(d),
                d,
            ),
        ];
        let mut idx = FactIndex::default();
        idx.apply(&rows, &tree);
        let inline: Vec<bool> = rows
            .iter()
            .map(|r| !idx.slots[idx.slot_of(r.created_seq).unwrap() as usize].out_of_line())
            .collect();
        assert_eq!(
            inline,
            [true, false, false, false, false, false, true, true, false]
        );
        check_histories(&idx, &rows);
        let entry = |idx: &FactIndex, n: i64| idx.entry_of(idx.slot_of(n).unwrap());
        assert_eq!(entry(&idx, 1006), parse_day("2125-03-01").unwrap());
        assert_eq!(entry(&idx, 1005), parse_day(d).unwrap());
        // Edits move histories in and out of line; compaction and a snapshot keep them.
        rows[0] = med(
            0,
            &[
                ("received", d),
                ("mediating", "2025-03-04"),
                ("successful", "2025-04-01"),
                ("mediating", "2025-06-01"),
            ],
            Some(d),
            d,
        );
        rows[1] = med(
            1,
            &[("received", d), ("unsuccessful", "2025-03-20")],
            Some(d),
            d,
        );
        rows[6] = med(6, &[("received", d)], Some(d), "2025-03-02");
        idx.apply(&rows, &tree);
        check_histories(&idx, &rows);
        assert_eq!(entry(&idx, 1006), parse_day("2025-03-02").unwrap());
        idx.compact();
        check_histories(&idx, &rows);
        assert_eq!(entry(&idx, 1005), parse_day(d).unwrap());
        // Out of line after the edits: records 0 (4 entries), 2, 3, 4 (2 each), 5 (1), 8 (3):
        // 14 entries of 4 + 1 bytes.
        assert_eq!(idx.stats().parts.histories, 14 * 5);
    }

    #[test]
    fn flows_of_one_kind_on_one_day_share_a_cell_when_whole() {
        let c = |day: Day, what: u8, value: f64| Flow { day, what, value };
        let mut cells = vec![
            c(20, flow::FINDING, 1.0),
            c(20, flow::FINDING, 1.0),
            c(21, flow::FINDING, 1.0),
            c(20, flow::VIOLATION, 1.0),
            c(20, flow::MONEY_RECOVERED, 5e6),
            c(20, flow::LAND_RECOVERED, 0.5),
            c(20, flow::LAND_RECOVERED, 0.25),
            c(20, flow::MONEY_RECOVERED, 2e6),
            c(20, flow::FINDING, 1.0),
        ];
        merge_flows(&mut cells);
        let got: Vec<(Day, u8, f64)> = cells.iter().map(|c| (c.day, c.what, c.value)).collect();
        // Day 20: 1 + 1 + 1 findings, one violation, 5,000,000 + 2,000,000 VND; the fractions
        // of a square metre stay apart. Day 21: one finding.
        assert_eq!(
            got,
            [
                (20, flow::FINDING, 3.0),
                (20, flow::VIOLATION, 1.0),
                (20, flow::MONEY_RECOVERED, 7e6),
                (20, flow::LAND_RECOVERED, 0.5),
                (20, flow::LAND_RECOVERED, 0.25),
                (21, flow::FINDING, 1.0),
            ]
        );
    }

    #[test]
    fn flow_values_are_kept_exactly_in_place_or_aside() {
        let mut idx = FactIndex::default();
        let big = f64::from(FLOW_VALUE);
        let values = [
            0.0,
            1.0,
            49e6,
            big,
            big + 1.0,
            0.5,
            -3.0,
            1e12,
            -0.0,
            f64::NAN,
        ];
        let cells: Vec<FlowCell> = values
            .iter()
            .map(|v| {
                let f = Flow {
                    day: 7,
                    what: flow::LAND_RECOVERED,
                    value: *v,
                };
                FlowCell::new(&f, &mut idx.flow_values)
            })
            .collect();
        // Whole numbers up to 2^28 - 1 in place; the other six aside.
        let aside: Vec<bool> = cells.iter().map(|c| c.aside().is_some()).collect();
        assert_eq!(
            aside,
            [
                false, false, false, false, true, true, true, true, true, true
            ]
        );
        assert_eq!(idx.flow_values.len(), 6);
        for (c, v) in cells.iter().zip(values) {
            assert_eq!((c.day, c.what()), (7, flow::LAND_RECOVERED));
            assert_eq!(c.value(&idx).to_bits(), v.to_bits(), "value {v}");
        }
    }

    #[test]
    fn record_numbers_find_their_slots_across_the_32_bit_boundary() {
        let big = 1u64 << 32;
        let nums = [5, 6, big - 1, big, big + 7, 3 * big + 1];
        let mut m = IdMap::from_sorted(nums.iter().copied().zip(10..)).unwrap();
        for (n, slot) in nums.iter().zip(10..) {
            assert_eq!(m.get(*n), Some(slot), "number {n}");
        }
        // Near misses: same low half under another high half, and between numbers.
        for n in [7, big + 5, 2 * big + 1, 3 * big, big + 6] {
            assert_eq!(m.get(n), None, "number {n}");
        }
        assert_eq!(m.numbers().collect::<Vec<_>>(), nums);
        // Added since, then folded in under new slot numbers.
        m.insert(2 * big, 16);
        assert_eq!(m.get(2 * big), Some(16));
        let perm: Vec<u32> = (0..17).rev().collect();
        m.remap(&perm);
        assert!(m.recent.is_empty());
        assert_eq!(m.get(2 * big), Some(0));
        assert_eq!(m.get(5), Some(6));
        assert_eq!(m.len(), 7);
        // Not ascending, or a number twice: refused.
        assert!(IdMap::from_sorted([(6, 0), (5, 1)]).is_none());
        assert!(IdMap::from_sorted([(5, 0), (5, 1)]).is_none());
    }

    #[test]
    fn records_moving_between_laid_out_buckets_count_once_where_they_are() {
        let tree = Arc::new(UnitTree::new(vec![unit("A"), unit("B")]));
        let mut idx = FactIndex::default();
        let first: Vec<FactRow> = (0..6)
            .map(|n| row(n, if n < 3 { "A" } else { "B" }, n as i64 + 1))
            .collect();
        idx.apply(&first, &tree);
        idx.compact();
        assert_eq!(idx.unsorted(), 0);
        assert_eq!(members(&idx, "A"), [0, 1, 2]);
        assert_eq!(members(&idx, "B"), [3, 4, 5]);

        // Record 1 moves from A's laid range to B, record 4 from B's to A, a new record 6
        // comes to A; then record 1 goes back to A (into its own laid range, not twice).
        idx.apply(&[row(1, "B", 7), row(4, "A", 8), row(6, "A", 9)], &tree);
        assert_eq!(members(&idx, "A"), [0, 2, 4, 6]);
        assert_eq!(members(&idx, "B"), [1, 3, 5]);
        idx.apply(&[row(1, "A", 10), row(6, "B", 11)], &tree);
        assert_eq!(members(&idx, "A"), [0, 1, 2, 4]);
        assert_eq!(members(&idx, "B"), [3, 5, 6]);

        // Compacted again: the same members, each bucket one laid range and no extras.
        idx.compact();
        assert_eq!(members(&idx, "A"), [0, 1, 2, 4]);
        assert_eq!(members(&idx, "B"), [3, 5, 6]);
        assert!(idx.buckets.iter().all(|b| b.extra.is_empty()));
        let laid: usize = idx.buckets.iter().map(Bucket::len_bound).sum();
        assert_eq!(laid, 7);

        // A reloaded tree with the same versions keeps the layout (as a snapshot read does).
        idx.use_tree(&Arc::new(UnitTree::new(vec![unit("A"), unit("B")])));
        assert_eq!(idx.unsorted(), 0);
        assert!(idx.buckets.iter().all(|b| b.extra.is_empty()));
        assert_eq!(members(&idx, "A"), [0, 1, 2, 4]);
        assert_eq!(members(&idx, "B"), [3, 5, 6]);
    }
}

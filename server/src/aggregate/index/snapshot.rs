//! The fact index on disk (ADR 0016): what a restart loads instead of reading every fact row,
//! then catches up from the `facts` table by `updated_seq` like any refresh.
//!
//! Layout (little-endian): a 96-byte header — magic, format, the server's version, the
//! database's identity, the last `updated_seq` and the id of its row, how many records are laid
//! out in bucket order, the body's length and CRC-32, the header's own CRC-32 — then the body:
//! the interned codes, the id map, and one section per table (a count, then the elements field
//! by field, so the file does not depend on the in-memory layout). Buckets are not kept: they
//! depend on the unit tree and are rebuilt from it on load.
//!
//! A file that is short, fails a checksum, is of another format or server version, of another
//! database, or refers outside its own tables is refused with an error (the caller then loads
//! from the table); nothing in it is trusted before it is checked.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use super::{
    DemM, DlgM, FactIndex, FlowCell, IdMap, InsM, Interner, NO_MEAS, PetM, Slot, UnitTree, flow,
};
use chrono::NaiveDate;

use super::NO_DAY;
use crate::aggregate::asof::{self, Day};

/// Format of the file: bump it whenever what is written, or what the index makes of a fact row
/// (`FactIndex::apply_one`, the core's status codes), changes.
pub(in crate::aggregate) const SNAPSHOT_FORMAT: u32 = 2;

const MAGIC: &[u8; 8] = b"DVFIDX\r\n";
const HEADER: usize = 96;
/// Elements encoded per write (and per read).
const CHUNK: usize = 8192;
/// Longest interned code accepted from a file.
const MAX_CODE: usize = 4096;

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::aggregate) struct SnapshotHeader {
    /// The database the index was made from.
    pub db_id: [u8; 16],
    /// Highest `updated_seq` applied.
    pub last_seq: i64,
    /// Id key of the row with `last_seq`.
    pub last_key: [u64; 2],
}

/// The server's version, as kept in the header (16 bytes, zero-padded).
fn version_tag() -> [u8; 16] {
    let mut v = [0u8; 16];
    let s = env!("CARGO_PKG_VERSION").as_bytes();
    let n = s.len().min(16);
    v[..n].copy_from_slice(&s[..n]);
    v
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// A fixed-size element of a table, written field by field.
trait Wire: Sized {
    const SIZE: usize;
    fn put(&self, out: &mut Vec<u8>);
    fn get(b: &mut Cur<'_>) -> Self;
}

/// Reads fixed-size fields from a slice known to be long enough.
struct Cur<'a> {
    b: &'a [u8],
}

impl Cur<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        let (h, t) = self.b.split_at(N.min(self.b.len()));
        a[..h.len()].copy_from_slice(h);
        self.b = t;
        a
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn i16(&mut self) -> i16 {
        i16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn i32(&mut self) -> i32 {
        i32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.take())
    }
}

impl Wire for u8 {
    const SIZE: usize = 1;
    fn put(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn get(b: &mut Cur<'_>) -> Self {
        b.u8()
    }
}

impl Wire for i32 {
    const SIZE: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        b.i32()
    }
}

impl Wire for (Day, Day) {
    const SIZE: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_le_bytes());
        out.extend_from_slice(&self.1.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        (b.i32(), b.i32())
    }
}

impl Wire for u32 {
    const SIZE: usize = 4;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        b.u32()
    }
}

impl Wire for f64 {
    const SIZE: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        b.f64()
    }
}

impl Wire for u64 {
    const SIZE: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        b.u64()
    }
}

/// A slot without its bucket (rebuilt from the unit tree) and entry day (a table of its own).
impl Wire for Slot {
    const SIZE: usize = 19;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.main.to_le_bytes());
        out.extend_from_slice(&self.kind_meas.to_le_bytes());
        out.push(self.flags());
        for h in self.hist {
            out.extend_from_slice(&h.to_le_bytes());
        }
        out.extend_from_slice(&self.cat.to_le_bytes());
        out.extend_from_slice(&self.sub.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        Slot {
            main: b.i32(),
            kind_meas: b.u32(),
            flags_bucket: u32::from(b.u8()) << 24,
            hist: [b.u16(), b.u16(), b.u16()],
            cat: b.u16(),
            sub: b.u16(),
            entry_off: 0,
        }
    }
}

impl Wire for InsM {
    const SIZE: usize = 12;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.dues.to_le_bytes());
        out.extend_from_slice(&self.flows.to_le_bytes());
        out.extend_from_slice(&self.dues_len.to_le_bytes());
        out.extend_from_slice(&self.flows_len.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        InsM {
            dues: b.u32(),
            flows: b.u32(),
            dues_len: b.u16(),
            flows_len: b.u16(),
        }
    }
}

impl Wire for DemM {
    const SIZE: usize = 26;
    fn put(&self, out: &mut Vec<u8>) {
        for n in self.n {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&self.score.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        let mut n = [0u16; 12];
        for v in &mut n {
            *v = b.u16();
        }
        DemM { n, score: b.i16() }
    }
}

impl Wire for PetM {
    const SIZE: usize = 21;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.accept_due.to_le_bytes());
        out.extend_from_slice(&self.resolve_due.to_le_bytes());
        out.extend_from_slice(&self.dues.to_le_bytes());
        out.extend_from_slice(&self.dues_len.to_le_bytes());
        out.push(self.flags);
        out.extend_from_slice(&self.channel.to_le_bytes());
        out.extend_from_slice(&self.outcome.to_le_bytes());
        out.extend_from_slice(&self.reason.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        PetM {
            accept_due: b.i32(),
            resolve_due: b.i32(),
            dues: b.u32(),
            dues_len: b.u16(),
            flags: b.u8(),
            channel: b.u16(),
            outcome: b.u16(),
            reason: b.u16(),
        }
    }
}

impl Wire for DlgM {
    const SIZE: usize = 19;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.participants.to_le_bytes());
        out.extend_from_slice(&self.issues.to_le_bytes());
        out.extend_from_slice(&self.on_the_spot.to_le_bytes());
        out.extend_from_slice(&self.commitments.to_le_bytes());
        out.extend_from_slice(&self.referred.to_le_bytes());
        out.push(u8::from(self.head));
        out.extend_from_slice(&self.dues.to_le_bytes());
        out.extend_from_slice(&self.dues_len.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        DlgM {
            participants: b.u32(),
            issues: b.u16(),
            on_the_spot: b.u16(),
            commitments: b.u16(),
            referred: b.u16(),
            head: b.u8() != 0,
            dues: b.u32(),
            dues_len: b.u16(),
        }
    }
}

impl Wire for FlowCell {
    const SIZE: usize = 8;
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.day.to_le_bytes());
        out.extend_from_slice(&self.what_value.to_le_bytes());
    }
    fn get(b: &mut Cur<'_>) -> Self {
        FlowCell {
            day: b.i32(),
            what_value: b.u32(),
        }
    }
}

/// Writes the body, counting its bytes and their CRC-32.
struct BodyWriter<W: Write> {
    w: W,
    crc: crc32fast::Hasher,
    len: u64,
    buf: Vec<u8>,
}

impl<W: Write> BodyWriter<W> {
    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc.update(b);
        self.len += b.len() as u64;
        self.w.write_all(b)
    }

    fn u64(&mut self, v: u64) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    fn table<T: Wire>(&mut self, items: impl ExactSizeIterator<Item = T>) -> io::Result<()> {
        self.u64(items.len() as u64)?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        for (i, item) in items.enumerate() {
            item.put(&mut buf);
            if (i + 1) % CHUNK == 0 {
                self.bytes(&buf)?;
                buf.clear();
            }
        }
        self.bytes(&buf)?;
        self.buf = buf;
        Ok(())
    }

    fn codes(&mut self, names: &[String]) -> io::Result<()> {
        self.u64(names.len() as u64)?;
        for n in names {
            self.u64(n.len() as u64)?;
            self.bytes(n.as_bytes())?;
        }
        Ok(())
    }
}

/// Reads the body, checking its length and CRC-32 as it goes.
struct BodyReader<R: Read> {
    r: R,
    crc: crc32fast::Hasher,
    left: u64,
    buf: Vec<u8>,
}

impl<R: Read> BodyReader<R> {
    fn bytes(&mut self, n: usize) -> io::Result<&[u8]> {
        if n as u64 > self.left {
            return Err(bad("snapshot shorter than its tables"));
        }
        self.buf.resize(n, 0);
        self.r.read_exact(&mut self.buf)?;
        self.left -= n as u64;
        self.crc.update(&self.buf);
        Ok(&self.buf)
    }

    fn u64(&mut self) -> io::Result<u64> {
        let b = self.bytes(8)?;
        Ok(Cur { b }.u64())
    }

    /// A count of elements of `size` bytes that the rest of the body can hold.
    fn count(&mut self, size: usize) -> io::Result<usize> {
        let n = self.u64()?;
        match n.checked_mul(size as u64) {
            Some(b) if b <= self.left => Ok(n as usize),
            _ => Err(bad("snapshot table longer than the file")),
        }
    }

    fn table<T: Wire>(&mut self) -> io::Result<Vec<T>> {
        let n = self.count(T::SIZE)?;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let k = (n - out.len()).min(CHUNK);
            let mut cur = Cur {
                b: self.bytes(k * T::SIZE)?,
            };
            for _ in 0..k {
                out.push(T::get(&mut cur));
            }
        }
        Ok(out)
    }

    fn codes(&mut self) -> io::Result<Vec<String>> {
        let n = self.count(8)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let len = self.u64()?;
            if len > MAX_CODE as u64 {
                return Err(bad("snapshot code too long"));
            }
            let b = self.bytes(len as usize)?.to_vec();
            out.push(String::from_utf8(b).map_err(|_| bad("snapshot code not UTF-8"))?);
        }
        Ok(out)
    }
}

fn interner(names: Vec<String>) -> io::Result<Interner> {
    let mut ids = std::collections::HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        if ids.insert(n.clone(), i as u32).is_some() {
            return Err(bad("snapshot code interned twice"));
        }
    }
    Ok(Interner { names, ids })
}

impl FactIndex {
    /// Write the index to `path` atomically (a temporary file beside it, synced, then renamed
    /// over it); returns the file's size. `db_id` names the database it was read from.
    pub fn write_snapshot(&self, path: &Path, db_id: [u8; 16]) -> io::Result<u64> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir)?;
        }
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let result = self.write_to(&tmp, db_id).and_then(|size| {
            std::fs::rename(&tmp, path)?;
            if let Some(dir) = dir {
                // Make the rename itself durable (best effort: not every system allows it).
                let _ = File::open(dir).and_then(|d| d.sync_all());
            }
            Ok(size)
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    fn write_to(&self, tmp: &Path, db_id: [u8; 16]) -> io::Result<u64> {
        let mut file = File::create(tmp)?;
        file.write_all(&[0u8; HEADER])?;
        let mut body = BodyWriter {
            w: BufWriter::with_capacity(1 << 20, file),
            crc: crc32fast::Hasher::new(),
            len: 0,
            buf: Vec::with_capacity(CHUNK * 32),
        };
        body.codes(&self.units.names)?;
        body.codes(&self.cats.names)?;
        body.codes(&self.subs.names)?;
        if self.by_id.recent.is_empty() {
            body.table(self.by_id.numbers())?;
            body.table(self.by_id.slots.iter().copied())?;
        } else {
            let ids = self.by_id.all();
            body.table(ids.iter().map(|e| e.0))?;
            body.table(ids.iter().map(|e| e.1))?;
        }
        body.table(self.slots.iter().copied())?;
        body.table((0..self.slots.len() as u32).map(|i| self.entry_of(i)))?;
        body.table(
            self.slots
                .iter()
                .map(|s| self.buckets.get(s.bucket() as usize).map_or(0, |b| b.unit)),
        )?;
        body.table(self.hist_day.iter().copied())?;
        body.table(self.hist_status.iter().copied())?;
        body.table(self.fees.iter().copied())?;
        body.table(self.ins.iter().copied())?;
        body.table(self.dem.iter().copied())?;
        body.table(self.pet.iter().copied())?;
        body.table(self.dlg.iter().copied())?;
        body.table(self.dues.iter().copied())?;
        body.table(self.flows.iter().copied())?;
        body.table(self.flow_values.iter().copied())?;
        let BodyWriter { w, len, crc, .. } = body;
        let mut file = w.into_inner().map_err(|e| e.into_error())?;
        let crc = crc.finalize();
        let mut h = Vec::with_capacity(HEADER);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&SNAPSHOT_FORMAT.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&version_tag());
        h.extend_from_slice(&db_id);
        h.extend_from_slice(&self.last_seq.to_le_bytes());
        h.extend_from_slice(&self.last_key[0].to_le_bytes());
        h.extend_from_slice(&self.last_key[1].to_le_bytes());
        h.extend_from_slice(&(self.sorted as u64).to_le_bytes());
        h.extend_from_slice(&len.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        let hcrc = crc32fast::hash(&h);
        h.extend_from_slice(&hcrc.to_le_bytes());
        debug_assert_eq!(h.len(), HEADER);
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&h)?;
        file.sync_all()?;
        Ok(HEADER as u64 + len)
    }

    /// Read an index written by [`write_snapshot`](Self::write_snapshot) for database `db_id`,
    /// bucketed by `tree`. Any doubt about the file is an error.
    pub fn read_snapshot(
        path: &Path,
        db_id: [u8; 16],
        tree: &Arc<UnitTree>,
    ) -> io::Result<(FactIndex, SnapshotHeader)> {
        let file = File::open(path)?;
        let file_len = file.metadata()?.len();
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut h = [0u8; HEADER];
        r.read_exact(&mut h)
            .map_err(|_| bad("snapshot shorter than its header"))?;
        let mut c = Cur { b: &h };
        if &c.take::<8>() != MAGIC {
            return Err(bad("not a fact index snapshot"));
        }
        let stored_hcrc = u32::from_le_bytes([h[92], h[93], h[94], h[95]]);
        if crc32fast::hash(&h[..92]) != stored_hcrc {
            return Err(bad("snapshot header checksum mismatch"));
        }
        let format = c.u32();
        if format != SNAPSHOT_FORMAT {
            return Err(bad(format!(
                "snapshot format {format}, this server reads {SNAPSHOT_FORMAT}"
            )));
        }
        let _flags = c.u32();
        if c.take::<16>() != version_tag() {
            return Err(bad("snapshot written by another server version"));
        }
        if c.take::<16>() != db_id {
            return Err(bad("snapshot of another database"));
        }
        let header = SnapshotHeader {
            db_id,
            last_seq: c.u64() as i64,
            last_key: [c.u64(), c.u64()],
        };
        let sorted = c.u64();
        let len = c.u64();
        let crc = c.u32();
        if HEADER as u64 + len != file_len {
            return Err(bad("snapshot length does not match its header"));
        }
        let mut body = BodyReader {
            r,
            crc: crc32fast::Hasher::new(),
            left: len,
            buf: Vec::new(),
        };
        let units = interner(body.codes()?)?;
        let cats = interner(body.codes()?)?;
        let subs = interner(body.codes()?)?;
        let numbers: Vec<u64> = body.table()?;
        let id_slots: Vec<u32> = body.table()?;
        if numbers.len() != id_slots.len() {
            return Err(bad("snapshot ids do not match its records"));
        }
        let by_id = IdMap::from_sorted(numbers.into_iter().zip(id_slots))
            .ok_or_else(|| bad("snapshot ids out of order"))?;
        let slots: Vec<Slot> = body.table()?;
        let entries: Vec<Day> = body.table()?;
        let slot_units: Vec<u32> = body.table()?;
        let mut idx = FactIndex {
            slots,
            hist_day: body.table()?,
            hist_status: body.table()?,
            fees: body.table()?,
            ins: body.table()?,
            dem: body.table()?,
            pet: body.table()?,
            dlg: body.table()?,
            dues: body.table()?,
            flows: body.table()?,
            flow_values: body.table()?,
            units,
            cats,
            subs,
            by_id,
            last_seq: header.last_seq,
            last_key: header.last_key,
            ..FactIndex::default()
        };
        if body.left != 0 {
            return Err(bad("snapshot longer than its tables"));
        }
        if body.crc.finalize() != crc {
            return Err(bad("snapshot checksum mismatch"));
        }
        if entries.len() != idx.slots.len() {
            return Err(bad("snapshot entry days do not match its records"));
        }
        for (i, e) in entries.into_iter().enumerate() {
            idx.set_entry(i as u32, e);
        }
        idx.check()?;
        if slot_units.len() != idx.slots.len()
            || slot_units
                .iter()
                .any(|u| *u as usize >= idx.units.names.len())
        {
            return Err(bad("snapshot record units do not match its records"));
        }
        idx.tree = Some(Arc::clone(tree));
        // Still laid out in bucket order if the tree is the one it was compacted under.
        idx.rebucket(&slot_units, sorted as usize);
        Ok((idx, header))
    }

    /// Whether every reference inside the index stays inside its tables (a snapshot is input).
    fn check(&self) -> io::Result<()> {
        let n = self.slots.len();
        let ids = &self.by_id;
        if ids.len() != n || ids.slots.len() != n {
            return Err(bad("snapshot ids do not match its records"));
        }
        let mut seen = vec![false; n];
        for s in &ids.slots {
            match seen.get_mut(*s as usize) {
                Some(b) if !*b => *b = true,
                _ => return Err(bad("snapshot id points outside its records")),
            }
        }
        if self.hist_day.len() != self.hist_status.len() {
            return Err(bad("snapshot history columns differ"));
        }
        let code = |c: u16, names: &Interner| c == u16::MAX || usize::from(c) < names.names.len();
        let within = |at: u32, len: u16, total: usize| at as usize + usize::from(len) <= total;
        let nd = self.dues.len();
        for s in &self.slots {
            let meas = s.meas() as usize;
            let hist_ok = if s.out_of_line() {
                let (at, len) = s.hist_at();
                at + len <= self.hist_day.len()
            } else {
                s.main != NO_DAY
            };
            let ok = hist_ok
                && code(s.cat, &self.cats)
                && code(s.sub, &self.subs)
                && match s.kind() {
                    0 => s.meas() == NO_MEAS || meas < self.fees.len(),
                    1 => self.ins.get(meas).is_some_and(|m| {
                        within(m.dues, m.dues_len, nd)
                            && within(m.flows, m.flows_len, self.flows.len())
                    }),
                    2 => meas < self.dem.len(),
                    3 => self.pet.get(meas).is_some_and(|m| {
                        within(m.dues, m.dues_len, nd)
                            && code(m.channel, &self.cats)
                            && code(m.outcome, &self.cats)
                            && code(m.reason, &self.cats)
                    }),
                    4 => self
                        .dlg
                        .get(meas)
                        .is_some_and(|m| within(m.dues, m.dues_len, nd)),
                    _ => false,
                };
            if !ok {
                return Err(bad("snapshot record refers outside its tables"));
            }
        }
        if self
            .flows
            .iter()
            .any(|f| f.what() > flow::PERSONS_DISCIPLINED)
        {
            return Err(bad("snapshot flow of an unknown kind"));
        }
        if self
            .flows
            .iter()
            .any(|f| f.aside().is_some_and(|v| v >= self.flow_values.len()))
        {
            return Err(bad("snapshot flow value outside its table"));
        }
        // Days read from dates (the others are figures, any value goes).
        let (lo, hi) = (asof::day(NaiveDate::MIN), asof::day(NaiveDate::MAX));
        let date = |d: Day| d == NO_DAY || (lo..=hi).contains(&d);
        let inline_days =
            |s: &Slot| s.out_of_line() || self.history(s).entries().all(|(d, _)| date(d));
        if !((0..n as u32).all(|i| date(self.entry_of(i)))
            && self.slots.iter().all(|s| date(s.main) && inline_days(s))
            && self.hist_day.iter().all(|d| date(*d))
            && self.flows.iter().all(|f| date(f.day)))
        {
            return Err(bad("snapshot day out of range"));
        }
        Ok(())
    }
}

//! What the shared SQL asks of a backend.
//!
//! [`Backend`] is the whole of a backend as the rest of storage sees it: a sqlx driver, its two
//! pools, and the one thing its SQL does differently (how many fact rows one statement inserts). [`Storage`] and the
//! traits it extends are implemented once, for every backend (`sql.rs`, `docs.rs`, `write.rs`,
//! `agg.rs`, `sessions.rs`); `sqlite.rs` and `postgres.rs` only implement this trait.
//!
//! Those generic impls carry the sqlx bounds they rely on in their `where` clauses: Rust does not
//! carry a trait's `where` clauses over to its users (rust-lang/rust#20671), so the bounds
//! cannot live in [`Backend`] itself. [`Column`] and [`Bind`] keep them to one line per Rust type
//! the SQL binds or reads.
//!
//! [`Storage`]: super::Storage

use sqlx::{Database, Decode, Encode, Pool, Type};

/// A connection of backend `B` (what `&mut *tx` and `&mut *pool_connection` give).
pub(crate) type Conn<B> = <<B as Backend>::Db as Database>::Connection;

/// A result row of backend `B`.
pub(crate) type Row<B> = <<B as Backend>::Db as Database>::Row;

/// The arguments of a statement of backend `B`.
pub(crate) type Args<B> = <<B as Backend>::Db as Database>::Arguments;

/// A storage backend: SQLite or PostgreSQL.
pub trait Backend: Send + Sync + 'static {
    /// The sqlx driver.
    type Db: Database;
    /// `"sqlite"` or `"postgres"`.
    const NAME: &'static str;

    /// Fact rows per statement of the bulk fact import: 1 is a prepared single-row upsert,
    /// more a multi-row upsert (12 parameters a row, under the driver's limit).
    const FACT_ROWS_PER_INSERT: usize;

    /// The pool for writes (and for reads that must see them in a transaction).
    fn writer(&self) -> &Pool<Self::Db>;
    /// The pool for reads.
    fn reader(&self) -> &Pool<Self::Db>;

    /// How many rows a statement changed.
    fn rows_affected(result: &<Self::Db as Database>::QueryResult) -> u64;
}

/// A Rust value the shared SQL binds as a parameter (`&str` as well as owned values).
pub trait Bind<Db: Database>: for<'t> Encode<'t, Db> + Type<Db> + Send {}

impl<Db: Database, T> Bind<Db> for T where T: for<'t> Encode<'t, Db> + Type<Db> + Send {}

/// A Rust type the shared SQL binds and reads back.
pub trait Column<Db: Database>: Bind<Db> + for<'r> Decode<'r, Db> {}

impl<Db: Database, T> Column<Db> for T where T: Bind<Db> + for<'r> Decode<'r, Db> {}

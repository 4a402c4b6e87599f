//! Reports that leave the server as documents. [`docx`] writes a report laid out as a Party
//! document (Hướng dẫn 36-HD/VPTW, 2018) to a Word file and reads one back for checks; the
//! figures that fill it are built elsewhere.

pub mod docx;
pub mod mass;

pub use docx::{
    Block, ParsedDocx, PartyReport, ReportError, Section, Signature, Table, dateline, read_back,
    write,
};

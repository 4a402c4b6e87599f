//! Integration tests of danvan-server. The storage suite runs against SQLite always and against
//! PostgreSQL when `DANVAN_TEST_DATABASE_URL` is set (each test in its own fresh database).

// Test helpers panic on failure by design (`allow-unwrap-in-tests` covers only `#[test]` fns).
#![allow(clippy::unwrap_used)]

mod aggregate;
mod api;
mod city_view;
mod cli;
mod corrections;
mod dash;
mod deidentify;
mod dvk;
mod edges;
mod exports;
mod fact_snapshot;
mod figures;
mod hostile;
mod http;
mod login_hardening;
mod mass_report;
mod merge_path;
mod openapi;
mod operations;
mod petitions;
mod registry;
mod report_docx;
mod scope;
mod small_cells;
mod storage_suite;
mod submitted;
mod support;
mod sync_hardening;
mod web;

//! Black-box tests: the real server on a random port, GraphQL over HTTP, on SQLite and
//! PostgreSQL. One test binary, so the suite compiles once.

// Test code states its expectations with expect(); the workspace denies it elsewhere.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod fixtures;
mod helpers;

mod accountability;
mod activity;
mod audit;
mod auth;
mod binary;
mod campaign;
mod company;
mod concurrency;
mod coordination;
mod db_lane;
mod fast;
mod follow_up;
mod hostile;
mod http;
mod legacy_audit;
mod matrix;
mod performance;
mod prefetch;
mod privacy;
mod reference;
mod report;
mod seed;
mod unit_of_work;

//! Black-box tests: the real server on a random port, GraphQL over HTTP, on SQLite and
//! PostgreSQL. One test binary, so the suite compiles once.

mod fixtures;
mod helpers;

mod activity;
mod audit;
mod auth;
mod binary;
mod company;
mod concurrency;
mod follow_up;
mod http;
mod matrix;
mod performance;
mod reference;

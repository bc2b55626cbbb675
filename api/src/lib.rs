//! Kontaktpunkt: one shared record per company for every jobcentre and Jobservice Danmark.

// A plain list of objects resolved in one future (`graphql::fast`) nests its objects' futures
// in the field's own; proving the call list's future `Send` takes deeper than the default 128.
#![recursion_limit = "256"]

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod json;
pub mod metrics;
pub mod service;
pub mod telemetry;

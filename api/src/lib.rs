//! Kontaktpunkt: one shared record per company for every jobcentre and Jobservice Danmark.

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

//! Domain rules and transactions. No GraphQL types here: services take a connection
//! (`&impl ConnectionTrait`, so they run inside a transaction or not) and the `Actor` explicitly.

pub mod activity;
pub mod audit;
pub mod audit_view;
pub mod calendar;
pub mod campaign;
pub mod company;
pub mod company_contact;
pub mod entry_point;
pub mod follow_up;
pub mod job_service_agreement;
pub mod pagination;
pub mod positional;
pub mod prefetch;
pub mod read;
pub mod record;
pub mod reference;
pub mod report;
pub mod rows;
pub mod seed;
pub mod shaped;
pub mod sql;
pub mod survey;
pub mod uow;
pub mod validation;

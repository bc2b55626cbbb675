//! Two per-company lookups that every list repeats for each company, answered from an index.
//!
//! - **The entry point** (`entryPoint` on the deep list and company search) looks up each
//!   company's ACTIVE job service agreement. With only the partial unique index on
//!   `company_id`, each lookup also had to read the agreement's row, and PostgreSQL costed that
//!   above scanning the small agreements table: 100 scans of every agreement for a page of 100
//!   companies, about a quarter of the deep list's execution (6.2–7.3 ms against 4.6–4.8 ms a
//!   page in `pgbench` at 20,000 companies). The unique index now carries the columns the entry
//!   point reads (`INCLUDE`), so a lookup is one index-only probe. It keeps its name, which the
//!   service maps to the CONFLICT of a second activation; PostgreSQL runs a migration in one
//!   transaction, so the rule holds throughout.
//! - **A company's open follow-ups** by due date (`followUps(status: OPEN)`, the municipality
//!   page, the company page) were a bitmap scan of all the company's follow-ups, a filter and a
//!   sort; a partial index on OPEN ones in due-date order, carrying what a list shows of them,
//!   reads them in order (in `EXPLAIN ANALYZE` of a municipality page: 83 → 61 buffers and no
//!   sort for the follow-ups).
//!
//! Both serve only the literal predicates the service writes (`service::sql::is`). SQLite has no
//! `INCLUDE` and keeps its indexes.

use crate::shapes::on_postgres;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = "DROP INDEX uq_job_service_agreement_active; \
     CREATE UNIQUE INDEX uq_job_service_agreement_active ON job_service_agreement (company_id) \
     INCLUDE (id, coordinator_id, coordinator_contact_name, coordinator_contact_email, \
     coordinator_contact_phone) WHERE status = 'ACTIVE'; \
     CREATE INDEX idx_follow_up_company_open ON follow_up (company_id, due_on, id) \
     INCLUDE (description, organisation_id, assignee_sub) WHERE status = 'OPEN'";

const DOWN: &str = "DROP INDEX idx_follow_up_company_open; \
     DROP INDEX uq_job_service_agreement_active; \
     CREATE UNIQUE INDEX uq_job_service_agreement_active ON job_service_agreement (company_id) \
     WHERE status = 'ACTIVE'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(manager, DOWN).await
    }
}

//! Schema and reference data of Kontaktpunkt.
//!
//! This crate does not depend on `entity`: a migration describes the schema as it was on the
//! day it was written, so old migrations never change meaning when an entity changes.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_reference_tables;
mod m20261123_000002_seed_reference_data;
mod m20261123_000003_create_company_record;
mod m20261130_000004_audit_owner_and_subjects;
mod m20261130_000005_audit_snapshots_as_views;
mod m20261130_000006_audit_client_request_id;
mod m20261130_000007_company_name_trigram;
mod m20261201_000008_coordination;
mod m20261201_000009_campaigns;
mod m20261201_000010_report_indexes;
mod m20261201_000011_company_list_index;
mod m20261201_000012_covering_indexes;
mod m20261202_000013_call_list_order;
pub mod reference_data;
mod shapes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_reference_tables::Migration),
            Box::new(m20261123_000002_seed_reference_data::Migration),
            Box::new(m20261123_000003_create_company_record::Migration),
            Box::new(m20261130_000004_audit_owner_and_subjects::Migration),
            Box::new(m20261130_000005_audit_snapshots_as_views::Migration),
            Box::new(m20261130_000006_audit_client_request_id::Migration),
            Box::new(m20261130_000007_company_name_trigram::Migration),
            Box::new(m20261201_000008_coordination::Migration),
            Box::new(m20261201_000009_campaigns::Migration),
            Box::new(m20261201_000010_report_indexes::Migration),
            Box::new(m20261201_000011_company_list_index::Migration),
            Box::new(m20261201_000012_covering_indexes::Migration),
            Box::new(m20261202_000013_call_list_order::Migration),
        ]
    }
}

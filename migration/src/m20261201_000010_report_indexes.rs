//! Indexes the reports need (checked with EXPLAIN on PostgreSQL in the tests):
//!
//! - `agreementReport`/`satisfactionReport` over a period without a campaign read the visits
//!   by the moment they count for: `activity (contact_at)`;
//! - `cooperationReport` asks, per company, whether an agreement was made in the period:
//!   `agreement (company_id, created_at)`.
//!
//! (Campaign reports read `activity (campaign_id)` and `call_list_entry (campaign_id, …)`,
//! made with those tables.)

use sea_orm_migration::prelude::*;

use crate::shapes::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activity {
    Table,
    ContactAt,
}

#[derive(DeriveIden)]
enum Agreement {
    Table,
    CompanyId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "idx_activity_contact_at",
                Activity::Table,
                vec![Activity::ContactAt.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_agreement_company_created",
                Agreement::Table,
                vec![
                    Agreement::CompanyId.into_iden(),
                    Agreement::CreatedAt.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (
                "idx_agreement_company_created",
                Agreement::Table.into_iden(),
            ),
            ("idx_activity_contact_at", Activity::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

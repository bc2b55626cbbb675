//! The audit trail records the server's own request id (`request_id`) and, beside it, the
//! caller's `x-request-id` (`client_request_id`), which is only kept for correlation: a caller
//! could send any id, so it never stands in for the server's.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    ClientRequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvent::Table)
                    .add_column(
                        ColumnDef::new(AuditEvent::ClientRequestId)
                            .string_len(128)
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvent::Table)
                    .drop_column(AuditEvent::ClientRequestId)
                    .to_owned(),
            )
            .await
    }
}

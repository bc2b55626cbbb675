//! The audit trail learns whose record an event is about (`owner_organisation_id`: the owning
//! organisation sees changes made to its records by others, e.g. an admin) and which events
//! hold a person's data (`audit_event_subject`: erasure finds every snapshot of the person,
//! nested ones included, by index instead of by scanning the trail).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    OwnerOrganisationId,
}

#[derive(DeriveIden)]
enum AuditEventSubject {
    Table,
    SubjectId,
    EventId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvent::Table)
                    .add_column(
                        ColumnDef::new(AuditEvent::OwnerOrganisationId)
                            .string_len(64)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_event_owner")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::OwnerOrganisationId)
                    .col(AuditEvent::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEventSubject::Table)
                    .col(
                        ColumnDef::new(AuditEventSubject::SubjectId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEventSubject::EventId)
                            .string_len(64)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AuditEventSubject::SubjectId)
                            .col(AuditEventSubject::EventId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEventSubject::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_audit_event_owner")
                    .table(AuditEvent::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvent::Table)
                    .drop_column(AuditEvent::OwnerOrganisationId)
                    .to_owned(),
            )
            .await
    }
}

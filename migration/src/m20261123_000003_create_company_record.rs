//! The shared company record: companies, production units, contact persons, activities,
//! agreements, follow-ups, and the audit trail.
//!
//! Ids are UUID v7 strings (time-ordered, portable between SQLite and PostgreSQL). Enums are
//! stored as their SCREAMING_SNAKE_CASE names. `contact_at` on an activity is the moment it
//! counts for (occurred, else scheduled, else created), kept by the service so that ordering,
//! cooldown checks and `lastActivityAt` read one indexed column.

use sea_orm_migration::prelude::*;

use crate::shapes::{fk, id, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
    Cvr,
    Name,
    NameSearch,
    IndustryCode,
    MunicipalityCode,
    Address,
    PostalCode,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductionUnit {
    Table,
    Id,
    CompanyId,
    PNumber,
    Name,
    MunicipalityCode,
    Address,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContactPerson {
    Table,
    Id,
    CompanyId,
    OrganisationId,
    Name,
    Email,
    Phone,
    Title,
    Erased,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
    CompanyId,
    OrganisationId,
    Kind,
    Status,
    InitiatedBy,
    Visibility,
    ScheduledAt,
    OccurredAt,
    ContactAt,
    Summary,
    CampaignId,
    OutcomeRegistered,
    CreatedBySub,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Agreement {
    Table,
    Id,
    ActivityId,
    CompanyId,
    OrganisationId,
    Kind,
    Positions,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FollowUp {
    Table,
    Id,
    CompanyId,
    ActivityId,
    OrganisationId,
    AssigneeSub,
    Description,
    DueOn,
    Status,
    CompletedAt,
    CompletionNote,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    ActorSub,
    OrganisationId,
    Action,
    EntityType,
    EntityId,
    Before,
    After,
    RequestId,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Code,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Company::Table)
                    .col(id(Company::Id))
                    .col(
                        ColumnDef::new(Company::Cvr)
                            .string_len(8)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Company::Name).string_len(200).not_null())
                    .col(
                        ColumnDef::new(Company::NameSearch)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Company::IndustryCode).string_len(6).null())
                    .col(
                        ColumnDef::new(Company::MunicipalityCode)
                            .string_len(3)
                            .null(),
                    )
                    .col(ColumnDef::new(Company::Address).string_len(200).null())
                    .col(ColumnDef::new(Company::PostalCode).string_len(4).null())
                    .col(ColumnDef::new(Company::Version).integer().not_null())
                    .col(
                        ColumnDef::new(Company::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Company::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_company_municipality",
                        (Company::Table, Company::MunicipalityCode),
                        (Municipality::Table, Municipality::Code),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_company_name_search",
                vec![Company::NameSearch.into_iden(), Company::Id.into_iden()],
            ),
            (
                "idx_company_municipality",
                vec![Company::MunicipalityCode.into_iden()],
            ),
            (
                "idx_company_industry",
                vec![Company::IndustryCode.into_iden()],
            ),
        ] {
            manager
                .create_index(index(name, Company::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProductionUnit::Table)
                    .col(id(ProductionUnit::Id))
                    .col(
                        ColumnDef::new(ProductionUnit::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProductionUnit::PNumber)
                            .string_len(10)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(ProductionUnit::Name).string_len(200).null())
                    .col(
                        ColumnDef::new(ProductionUnit::MunicipalityCode)
                            .string_len(3)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ProductionUnit::Address)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ProductionUnit::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_production_unit_company",
                        (ProductionUnit::Table, ProductionUnit::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_production_unit_municipality",
                        (ProductionUnit::Table, ProductionUnit::MunicipalityCode),
                        (Municipality::Table, Municipality::Code),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_production_unit_company",
                ProductionUnit::Table,
                vec![ProductionUnit::CompanyId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContactPerson::Table)
                    .col(id(ContactPerson::Id))
                    .col(
                        ColumnDef::new(ContactPerson::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContactPerson::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ContactPerson::Name).string_len(200).null())
                    .col(ColumnDef::new(ContactPerson::Email).string_len(254).null())
                    .col(ColumnDef::new(ContactPerson::Phone).string_len(32).null())
                    .col(ColumnDef::new(ContactPerson::Title).string_len(200).null())
                    .col(ColumnDef::new(ContactPerson::Erased).boolean().not_null())
                    .col(ColumnDef::new(ContactPerson::Version).integer().not_null())
                    .col(
                        ColumnDef::new(ContactPerson::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContactPerson::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContactPerson::DeletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_contact_person_company",
                        (ContactPerson::Table, ContactPerson::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_contact_person_organisation",
                        (ContactPerson::Table, ContactPerson::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_contact_person_company",
                ContactPerson::Table,
                vec![ContactPerson::CompanyId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Activity::Table)
                    .col(id(Activity::Id))
                    .col(
                        ColumnDef::new(Activity::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Activity::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Activity::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Activity::Status).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Activity::InitiatedBy)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Activity::Visibility)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Activity::ScheduledAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Activity::OccurredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Activity::ContactAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Activity::Summary).text().null())
                    .col(ColumnDef::new(Activity::CampaignId).string_len(36).null())
                    .col(
                        ColumnDef::new(Activity::OutcomeRegistered)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Activity::CreatedBySub)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Activity::Version).integer().not_null())
                    .col(
                        ColumnDef::new(Activity::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Activity::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Activity::DeletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_activity_company",
                        (Activity::Table, Activity::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_activity_organisation",
                        (Activity::Table, Activity::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_activity_company_contact_at",
                Activity::Table,
                vec![
                    Activity::CompanyId.into_iden(),
                    Activity::ContactAt.into_iden(),
                    Activity::Id.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_activity_organisation",
                Activity::Table,
                vec![
                    Activity::OrganisationId.into_iden(),
                    Activity::ContactAt.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Agreement::Table)
                    .col(id(Agreement::Id))
                    .col(
                        ColumnDef::new(Agreement::ActivityId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Agreement::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Agreement::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Agreement::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Agreement::Positions).integer().not_null())
                    .col(ColumnDef::new(Agreement::Note).string_len(2000).null())
                    .col(
                        ColumnDef::new(Agreement::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_agreement_activity",
                        (Agreement::Table, Agreement::ActivityId),
                        (Activity::Table, Activity::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_agreement_company",
                        (Agreement::Table, Agreement::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_agreement_activity",
                Agreement::Table,
                vec![Agreement::ActivityId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FollowUp::Table)
                    .col(id(FollowUp::Id))
                    .col(
                        ColumnDef::new(FollowUp::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(ColumnDef::new(FollowUp::ActivityId).string_len(36).null())
                    .col(
                        ColumnDef::new(FollowUp::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(FollowUp::AssigneeSub).string_len(200).null())
                    .col(
                        ColumnDef::new(FollowUp::Description)
                            .string_len(2000)
                            .not_null(),
                    )
                    .col(ColumnDef::new(FollowUp::DueOn).date().not_null())
                    .col(ColumnDef::new(FollowUp::Status).string_len(32).not_null())
                    .col(
                        ColumnDef::new(FollowUp::CompletedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(FollowUp::CompletionNote)
                            .string_len(2000)
                            .null(),
                    )
                    .col(ColumnDef::new(FollowUp::Version).integer().not_null())
                    .col(
                        ColumnDef::new(FollowUp::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FollowUp::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_follow_up_company",
                        (FollowUp::Table, FollowUp::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_follow_up_activity",
                        (FollowUp::Table, FollowUp::ActivityId),
                        (Activity::Table, Activity::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_follow_up_organisation",
                        (FollowUp::Table, FollowUp::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_follow_up_company",
                vec![FollowUp::CompanyId.into_iden()],
            ),
            (
                "idx_follow_up_activity",
                vec![FollowUp::ActivityId.into_iden()],
            ),
            (
                "idx_follow_up_org_status_due",
                vec![
                    FollowUp::OrganisationId.into_iden(),
                    FollowUp::Status.into_iden(),
                    FollowUp::DueOn.into_iden(),
                ],
            ),
            (
                "idx_follow_up_due",
                vec![FollowUp::DueOn.into_iden(), FollowUp::Id.into_iden()],
            ),
        ] {
            manager
                .create_index(index(name, FollowUp::Table, cols))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(id(AuditEvent::Id))
                    .col(
                        ColumnDef::new(AuditEvent::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvent::ActorSub)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvent::OrganisationId)
                            .string_len(64)
                            .null(),
                    )
                    .col(ColumnDef::new(AuditEvent::Action).string_len(64).not_null())
                    .col(
                        ColumnDef::new(AuditEvent::EntityType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEvent::EntityId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvent::Before).json().null())
                    .col(ColumnDef::new(AuditEvent::After).json().null())
                    .col(
                        ColumnDef::new(AuditEvent::RequestId)
                            .string_len(128)
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_audit_event_entity",
                AuditEvent::Table,
                vec![AuditEvent::EntityId.into_iden(), AuditEvent::Id.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_audit_event_organisation",
                AuditEvent::Table,
                vec![
                    AuditEvent::OrganisationId.into_iden(),
                    AuditEvent::Id.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvent::Table.into_iden(),
            FollowUp::Table.into_iden(),
            Agreement::Table.into_iden(),
            Activity::Table.into_iden(),
            ContactPerson::Table.into_iden(),
            ProductionUnit::Table.into_iden(),
            Company::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

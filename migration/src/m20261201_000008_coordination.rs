//! Coordination: job service agreements (jobserviceaftaler) with their coordinating jobcentre
//! (tovholder) and regional participants, each organisation's fixed contact for a company
//! (fast kontaktperson), and the organisations that took part in a joint visit.
//!
//! A company has at most one ACTIVE agreement: a partial unique index on `company_id` over
//! the ACTIVE rows, which SQLite and PostgreSQL both enforce, so two concurrent activations
//! cannot both commit. A participant's RAR areas are stored as their enum names separated by
//! commas (portable; read and written only by the service).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::shapes::{fk, id, index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobServiceAgreement {
    Table,
    Id,
    CompanyId,
    CoordinatorId,
    CoordinatorContactName,
    CoordinatorContactEmail,
    CoordinatorContactPhone,
    Status,
    SignedOn,
    EndsOn,
    NextStatusMeetingOn,
    ActivatedAt,
    EndedAt,
    CreatedBySub,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum JobServiceAgreementParticipant {
    Table,
    Id,
    AgreementId,
    OrganisationId,
    RegionLabel,
    ContactName,
    ContactEmail,
    ContactPhone,
    RarAreas,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CompanyContact {
    Table,
    Id,
    CompanyId,
    OrganisationId,
    Sub,
    Name,
    Email,
    Phone,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActivityParticipant {
    Table,
    Id,
    ActivityId,
    CompanyId,
    OrganisationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
}

/// The database's guarantee of rule 2: one ACTIVE agreement per company.
pub const ONE_ACTIVE_AGREEMENT: &str = "CREATE UNIQUE INDEX uq_job_service_agreement_active \
     ON job_service_agreement (company_id) WHERE status = 'ACTIVE'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobServiceAgreement::Table)
                    .col(id(JobServiceAgreement::Id))
                    .col(
                        ColumnDef::new(JobServiceAgreement::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::CoordinatorId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::CoordinatorContactName)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::CoordinatorContactEmail)
                            .string_len(254)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::CoordinatorContactPhone)
                            .string_len(32)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(JobServiceAgreement::SignedOn).date().null())
                    .col(ColumnDef::new(JobServiceAgreement::EndsOn).date().null())
                    .col(
                        ColumnDef::new(JobServiceAgreement::NextStatusMeetingOn)
                            .date()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::ActivatedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::EndedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::CreatedBySub)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreement::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(timestamp(JobServiceAgreement::CreatedAt))
                    .col(timestamp(JobServiceAgreement::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_job_service_agreement_company",
                        (JobServiceAgreement::Table, JobServiceAgreement::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_job_service_agreement_coordinator",
                        (
                            JobServiceAgreement::Table,
                            JobServiceAgreement::CoordinatorId,
                        ),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_job_service_agreement_company",
                vec![JobServiceAgreement::CompanyId.into_iden()],
            ),
            (
                "idx_job_service_agreement_coordinator",
                vec![
                    JobServiceAgreement::CoordinatorId.into_iden(),
                    JobServiceAgreement::Status.into_iden(),
                ],
            ),
            (
                "idx_job_service_agreement_created",
                vec![
                    JobServiceAgreement::CreatedAt.into_iden(),
                    JobServiceAgreement::Id.into_iden(),
                ],
            ),
        ] {
            manager
                .create_index(index(name, JobServiceAgreement::Table, cols))
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(ONE_ACTIVE_AGREEMENT)
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobServiceAgreementParticipant::Table)
                    .col(id(JobServiceAgreementParticipant::Id))
                    .col(
                        ColumnDef::new(JobServiceAgreementParticipant::AgreementId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreementParticipant::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreementParticipant::RegionLabel)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreementParticipant::ContactName)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreementParticipant::ContactEmail)
                            .string_len(254)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreementParticipant::ContactPhone)
                            .string_len(32)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JobServiceAgreementParticipant::RarAreas)
                            .string_len(400)
                            .not_null(),
                    )
                    .col(timestamp(JobServiceAgreementParticipant::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_jsa_participant_agreement",
                        (
                            JobServiceAgreementParticipant::Table,
                            JobServiceAgreementParticipant::AgreementId,
                        ),
                        (JobServiceAgreement::Table, JobServiceAgreement::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_jsa_participant_organisation",
                        (
                            JobServiceAgreementParticipant::Table,
                            JobServiceAgreementParticipant::OrganisationId,
                        ),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_jsa_participant_organisation",
                    JobServiceAgreementParticipant::Table,
                    vec![
                        JobServiceAgreementParticipant::AgreementId.into_iden(),
                        JobServiceAgreementParticipant::OrganisationId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CompanyContact::Table)
                    .col(id(CompanyContact::Id))
                    .col(
                        ColumnDef::new(CompanyContact::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CompanyContact::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CompanyContact::Sub).string_len(200).null())
                    .col(
                        ColumnDef::new(CompanyContact::Name)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(CompanyContact::Email).string_len(254).null())
                    .col(ColumnDef::new(CompanyContact::Phone).string_len(32).null())
                    .col(ColumnDef::new(CompanyContact::Version).integer().not_null())
                    .col(timestamp(CompanyContact::CreatedAt))
                    .col(timestamp(CompanyContact::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_company_contact_company",
                        (CompanyContact::Table, CompanyContact::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_company_contact_organisation",
                        (CompanyContact::Table, CompanyContact::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_company_contact_organisation",
                    CompanyContact::Table,
                    vec![
                        CompanyContact::CompanyId.into_iden(),
                        CompanyContact::OrganisationId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActivityParticipant::Table)
                    .col(id(ActivityParticipant::Id))
                    .col(
                        ColumnDef::new(ActivityParticipant::ActivityId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ActivityParticipant::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ActivityParticipant::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(ActivityParticipant::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_activity_participant_activity",
                        (ActivityParticipant::Table, ActivityParticipant::ActivityId),
                        (Activity::Table, Activity::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_activity_participant_company",
                        (ActivityParticipant::Table, ActivityParticipant::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_activity_participant_organisation",
                        (
                            ActivityParticipant::Table,
                            ActivityParticipant::OrganisationId,
                        ),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_activity_participant",
                    ActivityParticipant::Table,
                    vec![
                        ActivityParticipant::ActivityId.into_iden(),
                        ActivityParticipant::OrganisationId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_activity_participant_organisation",
                ActivityParticipant::Table,
                vec![
                    ActivityParticipant::OrganisationId.into_iden(),
                    ActivityParticipant::CompanyId.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ActivityParticipant::Table.into_iden(),
            CompanyContact::Table.into_iden(),
            JobServiceAgreementParticipant::Table.into_iden(),
            JobServiceAgreement::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

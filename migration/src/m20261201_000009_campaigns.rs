//! Campaigns: national company campaigns with call lists that the local jobcentres clear
//! before anyone calls, meetings booked on behalf of a jobcentre and held by a named
//! consultant (`activity.assignee_sub`), companies' size (`company.employees`, as the CVR
//! register publishes it), and survey responses after a meeting.
//!
//! A calendar feed (`/calendar/<id>.<secret>.ics`) stores only the SHA-256 of its secret.
//!
//! A company is on a campaign's call list once (unique `(campaign_id, company_id)`); a meeting
//! has at most one survey response (unique `activity_id`).

use sea_orm_migration::prelude::*;

use crate::shapes::{fk, id, index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    Name,
    StartsOn,
    EndsOn,
    OrganisationId,
    CreatedBySub,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CallListEntry {
    Table,
    Id,
    CampaignId,
    CompanyId,
    OrganisationId,
    Status,
    ExclusionReason,
    CallAttempts,
    ActivityId,
    ClearedBySub,
    ClearedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
    Id,
    ActivityId,
    Overall,
    WellPrepared,
    NeedsUncovered,
    OffersPresented,
    MetExpectations,
    LikelyToCooperate,
    Comment,
    CreatedBySub,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CalendarFeed {
    Table,
    Id,
    Sub,
    OrganisationId,
    SecretHash,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Company {
    Table,
    Id,
    Employees,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
    AssigneeSub,
    CampaignId,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Company::Table)
                    .add_column(ColumnDef::new(Company::Employees).integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Activity::Table)
                    .add_column(ColumnDef::new(Activity::AssigneeSub).string_len(200).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_activity_campaign",
                Activity::Table,
                vec![Activity::CampaignId.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_activity_assignee",
                Activity::Table,
                vec![Activity::AssigneeSub.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(id(Campaign::Id))
                    .col(ColumnDef::new(Campaign::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Campaign::StartsOn).date().not_null())
                    .col(ColumnDef::new(Campaign::EndsOn).date().not_null())
                    .col(
                        ColumnDef::new(Campaign::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Campaign::CreatedBySub)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Campaign::Version).integer().not_null())
                    .col(timestamp(Campaign::CreatedAt))
                    .col(timestamp(Campaign::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_campaign_organisation",
                        (Campaign::Table, Campaign::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CallListEntry::Table)
                    .col(id(CallListEntry::Id))
                    .col(
                        ColumnDef::new(CallListEntry::CampaignId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::CompanyId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::ExclusionReason)
                            .string_len(2000)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::CallAttempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::ActivityId)
                            .string_len(36)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::ClearedBySub)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(CallListEntry::ClearedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(ColumnDef::new(CallListEntry::Version).integer().not_null())
                    .col(timestamp(CallListEntry::CreatedAt))
                    .col(timestamp(CallListEntry::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_call_list_entry_campaign",
                        (CallListEntry::Table, CallListEntry::CampaignId),
                        (Campaign::Table, Campaign::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_call_list_entry_company",
                        (CallListEntry::Table, CallListEntry::CompanyId),
                        (Company::Table, Company::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_call_list_entry_organisation",
                        (CallListEntry::Table, CallListEntry::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_call_list_entry_activity",
                        (CallListEntry::Table, CallListEntry::ActivityId),
                        (Activity::Table, Activity::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_call_list_entry_company",
                    CallListEntry::Table,
                    vec![
                        CallListEntry::CampaignId.into_iden(),
                        CallListEntry::CompanyId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_call_list_entry_organisation",
                CallListEntry::Table,
                vec![
                    CallListEntry::CampaignId.into_iden(),
                    CallListEntry::OrganisationId.into_iden(),
                    CallListEntry::Id.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SurveyResponse::Table)
                    .col(id(SurveyResponse::Id))
                    .col(
                        ColumnDef::new(SurveyResponse::ActivityId)
                            .string_len(36)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(SurveyResponse::Overall).integer().not_null())
                    .col(
                        ColumnDef::new(SurveyResponse::WellPrepared)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SurveyResponse::NeedsUncovered)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SurveyResponse::OffersPresented)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SurveyResponse::MetExpectations)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SurveyResponse::LikelyToCooperate)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SurveyResponse::Comment)
                            .string_len(2000)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SurveyResponse::CreatedBySub)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(timestamp(SurveyResponse::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_survey_response_activity",
                        (SurveyResponse::Table, SurveyResponse::ActivityId),
                        (Activity::Table, Activity::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalendarFeed::Table)
                    .col(id(CalendarFeed::Id))
                    .col(ColumnDef::new(CalendarFeed::Sub).string_len(200).not_null())
                    .col(
                        ColumnDef::new(CalendarFeed::OrganisationId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CalendarFeed::SecretHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(CalendarFeed::CreatedAt))
                    .col(
                        ColumnDef::new(CalendarFeed::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut fk(
                        "fk_calendar_feed_organisation",
                        (CalendarFeed::Table, CalendarFeed::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_calendar_feed_sub",
                CalendarFeed::Table,
                vec![CalendarFeed::Sub.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarFeed::Table.into_iden(),
            SurveyResponse::Table.into_iden(),
            CallListEntry::Table.into_iden(),
            Campaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for (name, table) in [
            ("idx_activity_assignee", Activity::Table.into_iden()),
            ("idx_activity_campaign", Activity::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Activity::Table)
                    .drop_column(Activity::AssigneeSub)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Company::Table)
                    .drop_column(Company::Employees)
                    .to_owned(),
            )
            .await
    }
}

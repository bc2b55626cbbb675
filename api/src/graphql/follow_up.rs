//! Follow-ups: promises with a due date and an owner organisation.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::enums::FollowUpStatus;

use super::company::Company;
use super::fast::Fast;
use super::reference::{Organisation, load_organisation};
use super::scalars::Date;
use super::{
    connection, db, feed_companies, list_columns, reader, row_company, shows_companies,
    write_context,
};
use crate::service::follow_up as svc;
use crate::service::read::{FollowUpView, Visible};

pub struct FollowUp(pub Visible<FollowUpView>);

/// The follow-up columns a field of `FollowUp` reads (see `activity::field_columns`).
pub fn field_columns(field: &str) -> Option<&'static [entity::follow_up::Column]> {
    use entity::follow_up::Column as C;
    Some(match field {
        "company" | "__typename" => &[],
        "id" => &[C::Id],
        "organisation" => &[C::OrganisationId],
        "dueOn" => &[C::DueOn],
        "status" => &[C::Status],
        "overdue" => &[C::Status, C::DueOn],
        "assigneeSub" => &[C::AssigneeSub],
        "description" => &[C::Description],
        "completedAt" => &[C::CompletedAt],
        "completionNote" => &[C::CompletionNote],
        "version" => &[C::Version],
        "activityId" => &[C::ActivityId],
        _ => return None,
    })
}

#[Object]
impl FollowUp {
    async fn id(&self) -> ID {
        ID(self.0.model.id.clone())
    }
    async fn company(&self, ctx: &Context<'_>) -> Result<Fast<Company>> {
        row_company(ctx, &self.0.model.company_id).await
    }
    /// The organisation that owns the promise.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.model.organisation_id).await
    }
    async fn assignee_sub(&self) -> Option<&str> {
        self.0.model.assignee_sub.as_deref()
    }
    async fn description(&self) -> &str {
        &self.0.model.description
    }
    async fn due_on(&self) -> Date {
        Date(self.0.model.due_on)
    }
    async fn status(&self) -> FollowUpStatus {
        self.0.model.status
    }
    /// OPEN and the due date has passed (Danish time); derived, never stored.
    async fn overdue(&self) -> bool {
        self.0.overdue
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.model.completed_at
    }
    async fn completion_note(&self) -> Option<&str> {
        self.0.model.completion_note.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.model.version
    }
    /// The meeting the promise was made at.
    async fn activity_id(&self) -> Option<ID> {
        self.0.model.activity_id.clone().map(ID)
    }
}

#[derive(InputObject, Default)]
pub struct FollowUpFilter {
    pub organisation_id: Option<ID>,
    pub status: Option<FollowUpStatus>,
    /// true: OPEN and past due; false: everything else.
    pub overdue: Option<bool>,
    /// Due strictly before this date.
    pub due_before: Option<Date>,
}

#[derive(Default)]
pub struct FollowUpQuery;

#[Object]
impl FollowUpQuery {
    /// Follow-ups by due date, filtered; at most 100 per page.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        filter: Option<FollowUpFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Fast<FollowUp>>> {
        let f = filter.unwrap_or_default();
        let filter = svc::FollowUpFilter {
            organisation_id: f.organisation_id.map(|o| o.0),
            status: f.status,
            overdue: f.overdue,
            due_before: f.due_before.map(|d| d.0),
        };
        let joined = shows_companies(ctx);
        let shown = list_columns(ctx, true, field_columns);
        let found = svc::list(
            db(ctx)?,
            reader(ctx)?,
            &filter,
            first,
            after.as_deref(),
            (joined, shown.as_deref()),
        )
        .await?;
        feed_companies(ctx, found.companies, joined).await?;
        Ok(connection(
            ctx,
            found.page,
            |f| svc::cursor(&f.model),
            FollowUp,
        ))
    }
}

#[derive(Default)]
pub struct FollowUpMutation;

#[Object]
impl FollowUpMutation {
    /// Marks a promise kept (DONE), with an optional note.
    async fn complete_follow_up(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        note: Option<String>,
    ) -> Result<FollowUp> {
        let w = write_context(ctx)?;
        let model = svc::complete(db(ctx)?, &w, &id, expected_version, note).await?;
        Ok(FollowUp(reader(ctx)?.follow_up(model)))
    }
}

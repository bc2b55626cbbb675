//! Reports: the campaign evaluations' tables as queries (aggregate SQL), and the survey
//! answers they are made from.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::enums::{AgreementKind, RarArea};

use super::fast::Fast;
use super::reference::{Organisation, load_organisation};
use super::scalars::Date;
use super::{catalogue, db, reader, write_context};
use crate::service::report::{self as svc, CooperationGroup, ReportFilter, SurveyQuestion};
use crate::service::survey;

#[derive(SimpleObject)]
pub struct PositionsByKind {
    pub kind: AgreementKind,
    pub positions: i32,
}

pub struct AgreementReportColumn(svc::AgreementColumn);

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl AgreementReportColumn {
    /// Null: the whole country (Jobservice Danmark's meetings count only here).
    async fn rar_area(&self) -> Option<RarArea> {
        self.0.rar_area
    }
    /// VISITs in the campaign of any status but DRAFT (cancelled ones count as booked).
    async fn booked_meetings(&self) -> i32 {
        int(self.0.booked_meetings)
    }
    /// Booked meetings with a registered outcome (an empty outcome counts).
    async fn meetings_with_outcome(&self) -> i32 {
        int(self.0.meetings_with_outcome)
    }
    async fn held_meetings(&self) -> i32 {
        int(self.0.held_meetings)
    }
    /// Share of held visits with at least one follow-up; null without held visits.
    async fn follow_up_rate(&self) -> Option<f64> {
        self.0.follow_up_rate()
    }
    /// Positions agreed per kind, every kind present (zeros too).
    async fn positions(&self) -> Vec<PositionsByKind> {
        self.0
            .positions
            .iter()
            .map(|(kind, n)| PositionsByKind {
                kind: *kind,
                positions: int(*n),
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct AgreementReport {
    /// One column per RAR area, then the whole country (`rarArea: null`).
    pub columns: Vec<AgreementReportColumn>,
}

pub struct QuestionScore(svc::QuestionScore);

#[Object]
impl QuestionScore {
    async fn question(&self) -> SurveyQuestion {
        self.0.question
    }
    async fn answers(&self) -> i32 {
        int(self.0.answers)
    }
    /// Share answering 4 or 5 ("satisfied or very satisfied"); null without answers.
    async fn satisfied_share(&self) -> Option<f64> {
        self.0.satisfied_share()
    }
}

pub struct SatisfactionReportColumn(svc::SatisfactionColumn);

#[Object]
impl SatisfactionReportColumn {
    /// Null: the whole country.
    async fn rar_area(&self) -> Option<RarArea> {
        self.0.rar_area
    }
    async fn held_meetings(&self) -> i32 {
        int(self.0.held_meetings)
    }
    async fn responses(&self) -> i32 {
        int(self.0.responses)
    }
    /// Responses per held meeting; null without held meetings.
    async fn response_rate(&self) -> Option<f64> {
        self.0.response_rate()
    }
    async fn questions(&self) -> Vec<QuestionScore> {
        self.0
            .questions
            .iter()
            .cloned()
            .map(QuestionScore)
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct SatisfactionReport {
    pub columns: Vec<SatisfactionReportColumn>,
}

/// One organisation's (or RAR area's, or the country's) way through a campaign.
pub struct CampaignFunnel(svc::CampaignFunnel);

#[Object]
impl CampaignFunnel {
    /// Null on the RAR-area and country rows.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Fast<Organisation>>> {
        if self.0.organisation_id.is_empty() {
            return Ok(None);
        }
        Ok(Some(load_organisation(ctx, &self.0.organisation_id).await?))
    }
    /// Null: Jobservice Danmark, or the whole country.
    async fn rar_area(&self) -> Option<RarArea> {
        self.0.rar_area
    }
    /// Companies on the call list assigned to the organisation.
    async fn entries(&self) -> i32 {
        int(self.0.entries)
    }
    async fn cleared(&self) -> i32 {
        int(self.0.cleared)
    }
    async fn excluded(&self) -> i32 {
        int(self.0.excluded)
    }
    async fn call_attempts(&self) -> i32 {
        int(self.0.call_attempts)
    }
    /// The campaign's VISITs of any status but DRAFT.
    async fn booked(&self) -> i32 {
        int(self.0.booked)
    }
    async fn held(&self) -> i32 {
        int(self.0.held)
    }
    async fn cancelled_by_company(&self) -> i32 {
        int(self.0.cancelled_by_company)
    }
    async fn no_show(&self) -> i32 {
        int(self.0.no_show)
    }
    async fn with_outcome(&self) -> i32 {
        int(self.0.with_outcome)
    }
    /// Held visits with at least one follow-up.
    async fn with_follow_up(&self) -> i32 {
        int(self.0.with_follow_up)
    }
    /// Follow-ups promised at the campaign's visits.
    async fn follow_ups(&self) -> i32 {
        int(self.0.follow_ups)
    }
    /// Of those, completed on or before their due date.
    async fn follow_ups_kept_on_time(&self) -> i32 {
        int(self.0.follow_ups_kept)
    }
    /// Meetings booked at most 42 days ahead.
    async fn booked_within_42_days(&self) -> i32 {
        int(self.0.booked_near)
    }
    /// Share of those cancelled (by either side); null without any.
    async fn cancellation_rate_within_42_days(&self) -> Option<f64> {
        self.0.cancellation_rate_near()
    }
    /// Meetings booked more than 42 days ahead.
    async fn booked_beyond_42_days(&self) -> i32 {
        int(self.0.booked_far)
    }
    async fn cancellation_rate_beyond_42_days(&self) -> Option<f64> {
        self.0.cancellation_rate_far()
    }
}

#[derive(SimpleObject)]
pub struct CampaignReport {
    /// One row per organisation with entries or meetings, by RAR area.
    pub by_organisation: Vec<CampaignFunnel>,
    /// One row per RAR area (every area), then the whole country (`rarArea: null`).
    pub by_rar_area: Vec<CampaignFunnel>,
}

pub struct CooperationRow {
    row: svc::CooperationRow,
    name: Option<String>,
}

#[Object]
impl CooperationRow {
    /// The municipality code, the jobcentre id or the RAR area.
    async fn key(&self) -> &str {
        &self.row.group_key
    }
    async fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// Companies on record with their home in the group.
    async fn companies(&self) -> i32 {
        int(self.row.companies)
    }
    /// Of those, companies with at least one agreement made in the period.
    async fn cooperating(&self) -> i32 {
        int(self.row.cooperating)
    }
    /// The "samarbejdsgrad": cooperating / companies.
    async fn share(&self) -> Option<f64> {
        self.row.share()
    }
}

#[derive(InputObject)]
pub struct SurveyResponseInput {
    pub activity_id: ID,
    pub overall: i32,
    pub well_prepared: Option<i32>,
    pub needs_uncovered: Option<i32>,
    pub offers_presented: Option<i32>,
    pub met_expectations: Option<i32>,
    pub likely_to_cooperate: Option<i32>,
    pub comment: Option<String>,
}

fn filter(campaign_id: Option<ID>, from: Option<Date>, to: Option<Date>) -> ReportFilter {
    ReportFilter {
        campaign_id: campaign_id.map(|c| c.0),
        from: from.map(|d| d.0),
        to: to.map(|d| d.0),
    }
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Table 1 of the 2017 campaign evaluation: booked meetings, meetings with outcome, the
    /// follow-up rate and positions per agreement kind, per RAR area of the organisation that
    /// held the meeting and for the whole country. `from`/`to` are Danish dates (inclusive).
    async fn agreement_report(
        &self,
        ctx: &Context<'_>,
        campaign_id: Option<ID>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<AgreementReport> {
        let columns =
            svc::agreement_report(db(ctx)?, reader(ctx)?, &filter(campaign_id, from, to)).await?;
        Ok(AgreementReport {
            columns: columns.into_iter().map(AgreementReportColumn).collect(),
        })
    }

    /// Per survey question the answers and the share answering 4–5, per RAR area and for the
    /// whole country, with the response rate (responses / held meetings).
    async fn satisfaction_report(
        &self,
        ctx: &Context<'_>,
        campaign_id: Option<ID>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<SatisfactionReport> {
        let columns =
            svc::satisfaction_report(db(ctx)?, reader(ctx)?, &filter(campaign_id, from, to))
                .await?;
        Ok(SatisfactionReport {
            columns: columns.into_iter().map(SatisfactionReportColumn).collect(),
        })
    }
}

#[derive(Default)]
pub struct ReportExtraQuery;

#[Object]
impl ReportExtraQuery {
    /// A campaign's funnel: call list entries, cleared, excluded, call attempts, booked, held,
    /// cancelled by the company, no-shows, outcomes, follow-ups and how many were kept on
    /// time, and the cancellation rate of meetings booked ≤ 42 days ahead against > 42 days.
    async fn campaign_report(&self, ctx: &Context<'_>, campaign_id: ID) -> Result<CampaignReport> {
        let rows =
            svc::campaign_report(db(ctx)?, reader(ctx)?, catalogue(ctx)?, &campaign_id).await?;
        let mut by_rar_area: Vec<CampaignFunnel> = <RarArea as sea_orm::Iterable>::iter()
            .map(|area| {
                CampaignFunnel(svc::CampaignFunnel::sum(
                    Some(area),
                    rows.iter().filter(|r| r.rar_area == Some(area)),
                ))
            })
            .collect();
        by_rar_area.push(CampaignFunnel(svc::CampaignFunnel::sum(None, rows.iter())));
        Ok(CampaignReport {
            by_organisation: rows.into_iter().map(CampaignFunnel).collect(),
            by_rar_area,
        })
    }

    /// The national "samarbejdsgrad": per municipality, jobcentre or RAR area (of the
    /// companies' home municipality), companies on record, companies with at least one
    /// agreement (any kind) made in the period, and the share; each company counted once.
    async fn cooperation_report(
        &self,
        ctx: &Context<'_>,
        from: Option<Date>,
        to: Option<Date>,
        group_by: CooperationGroup,
    ) -> Result<Vec<CooperationRow>> {
        let rows =
            svc::cooperation_report(db(ctx)?, reader(ctx)?, &filter(None, from, to), group_by)
                .await?;
        let catalogue = catalogue(ctx)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let name = match group_by {
                    CooperationGroup::Municipality => catalogue
                        .municipality(&row.group_key)
                        .map(|m| m.name.clone()),
                    CooperationGroup::Jobcentre => catalogue
                        .organisation(&row.group_key)
                        .map(|o| o.name.clone()),
                    CooperationGroup::RarArea => None,
                };
                CooperationRow { row, name }
            })
            .collect())
    }
}

#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// A company's answers (1–5) after a HELD meeting; one response per meeting (a second is
    /// a CONFLICT). Jobservice Danmark, admins and integrations record them.
    async fn record_survey_response(
        &self,
        ctx: &Context<'_>,
        input: SurveyResponseInput,
    ) -> Result<bool> {
        let w = write_context(ctx)?;
        survey::record(
            db(ctx)?,
            &w,
            survey::SurveyInput {
                activity_id: input.activity_id.0,
                overall: input.overall,
                well_prepared: input.well_prepared,
                needs_uncovered: input.needs_uncovered,
                offers_presented: input.offers_presented,
                met_expectations: input.met_expectations,
                likely_to_cooperate: input.likely_to_cooperate,
                comment: input.comment,
            },
        )
        .await?;
        Ok(true)
    }
}

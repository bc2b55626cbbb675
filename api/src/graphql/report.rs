//! Reports: the campaign evaluations' tables as queries (aggregate SQL), and the survey
//! answers they are made from.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::enums::{AgreementKind, RarArea};

use super::scalars::Date;
use super::{db, reader, write_context};
use crate::service::report::{self as svc, ReportFilter, SurveyQuestion};
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

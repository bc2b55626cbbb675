//! The evaluations' tables as queries: aggregate SQL over the record, never rows loaded into
//! Rust (DESIGN.md, "Reports").
//!
//! An activity counts in the RAR area of the organisation that owns it (held it); the national
//! organisation has no area, so its activities count only in the whole-country column — which
//! is why the country total can exceed the sum of the areas. A joint visit is one activity and
//! counts once, in its owner's column. Soft-deleted activities never count.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::enums::{ActivityKind, ActivityStatus, AgreementKind, RarArea};
use entity::{
    activity, agreement, call_list_entry, company, follow_up, municipality, organisation,
    survey_response,
};
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, JoinType, Query, SelectStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, FromQueryResult, IdenStatic, Iterable, Statement,
};

use super::activity::BOOKED_FAR_AHEAD_DAYS;
use super::read::Reader;
use super::reference::Catalogue;
use crate::error::{AppError, AppResult};

/// Which activities a report counts.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub campaign_id: Option<String>,
    /// Contacts on or after this Danish date.
    pub from: Option<NaiveDate>,
    /// Contacts on or before this Danish date.
    pub to: Option<NaiveDate>,
}

/// One column of Table 1: a RAR area, or the whole country (`rar_area: None`).
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementColumn {
    pub rar_area: Option<RarArea>,
    /// VISITs of any status but DRAFT.
    pub booked_meetings: i64,
    pub meetings_with_outcome: i64,
    pub held_meetings: i64,
    pub held_with_follow_up: i64,
    /// Every AgreementKind, zeros included, in the enum's order.
    pub positions: Vec<(AgreementKind, i64)>,
}

impl AgreementColumn {
    /// Share of held visits with at least one follow-up; `None` without held visits.
    pub fn follow_up_rate(&self) -> Option<f64> {
        (self.held_meetings > 0)
            .then(|| self.held_with_follow_up as f64 / self.held_meetings as f64)
    }

    fn empty(rar_area: Option<RarArea>) -> Self {
        AgreementColumn {
            rar_area,
            booked_meetings: 0,
            meetings_with_outcome: 0,
            held_meetings: 0,
            held_with_follow_up: 0,
            positions: AgreementKind::iter().map(|k| (k, 0)).collect(),
        }
    }

    fn add(&mut self, row: &AreaCounts) {
        self.booked_meetings += row.booked;
        self.meetings_with_outcome += row.with_outcome;
        self.held_meetings += row.held;
        self.held_with_follow_up += row.held_with_follow_up;
    }

    fn add_positions(&mut self, kind: AgreementKind, n: i64) {
        if let Some((_, total)) = self.positions.iter_mut().find(|(k, _)| *k == kind) {
            *total += n;
        }
    }
}

/// Midnight in Denmark at the start of `date`, as UTC.
fn danish_midnight(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Europe::Copenhagen
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

fn check_range(filter: &ReportFilter) -> AppResult<()> {
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to < from
    {
        return Err(AppError::validation(
            "to",
            "the period ends before it starts",
        ));
    }
    Ok(())
}

/// The meetings a report counts: campaign VISITs (any status but DRAFT), not deleted, in the
/// period (by the moment they count for: held, else booked).
fn meetings(filter: &ReportFilter) -> Condition {
    let mut c = Condition::all()
        .add(Expr::col((activity::Entity, activity::Column::Kind)).eq(ActivityKind::Visit))
        .add(Expr::col((activity::Entity, activity::Column::Status)).ne(ActivityStatus::Draft))
        .add(Expr::col((activity::Entity, activity::Column::DeletedAt)).is_null());
    if let Some(campaign) = &filter.campaign_id {
        c = c.add(Expr::col((activity::Entity, activity::Column::CampaignId)).eq(campaign.trim()));
    }
    if let Some(from) = filter.from {
        c = c.add(
            Expr::col((activity::Entity, activity::Column::ContactAt)).gte(danish_midnight(from)),
        );
    }
    if let Some(to) = filter.to {
        let next = to.succ_opt().unwrap_or(to);
        c = c.add(
            Expr::col((activity::Entity, activity::Column::ContactAt)).lt(danish_midnight(next)),
        );
    }
    c
}

/// `activity` joined with the organisation that owns it.
fn from_meetings(select: &mut SelectStatement, filter: &ReportFilter) {
    select
        .from(activity::Entity)
        .join(
            JoinType::InnerJoin,
            organisation::Entity,
            Expr::col((organisation::Entity, organisation::Column::Id))
                .equals((activity::Entity, activity::Column::OrganisationId)),
        )
        .cond_where(meetings(filter))
        .group_by_col((organisation::Entity, organisation::Column::RarArea));
}

#[derive(Debug, FromQueryResult)]
struct AreaCounts {
    rar_area: Option<RarArea>,
    booked: i64,
    with_outcome: i64,
    held: i64,
    held_with_follow_up: i64,
}

#[derive(Debug, FromQueryResult)]
struct AreaPositions {
    rar_area: Option<RarArea>,
    kind: AgreementKind,
    positions: i64,
}

/// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)`, never NULL.
fn count_if(cond: &str) -> Expr {
    Expr::cust(format!(
        "COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)"
    ))
}

fn agreement_counts_sql(filter: &ReportFilter) -> SelectStatement {
    let mut counts = Query::select();
    counts
        .expr_as(
            Expr::col((organisation::Entity, organisation::Column::RarArea)),
            Alias::new("rar_area"),
        )
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("booked"))
        .expr_as(
            count_if(r#""activity"."outcome_registered""#),
            Alias::new("with_outcome"),
        )
        .expr_as(count_if(r#""activity"."status" = 'HELD'"#), Alias::new("held"))
        .expr_as(
            count_if(
                r#""activity"."status" = 'HELD' AND EXISTS (SELECT 1 FROM "follow_up" WHERE "follow_up"."activity_id" = "activity"."id")"#,
            ),
            Alias::new("held_with_follow_up"),
        );
    from_meetings(&mut counts, filter);
    counts
}

fn agreement_positions_sql(filter: &ReportFilter) -> SelectStatement {
    let mut positions = Query::select();
    positions
        .expr_as(
            Expr::col((organisation::Entity, organisation::Column::RarArea)),
            Alias::new("rar_area"),
        )
        .expr_as(
            Expr::col((agreement::Entity, agreement::Column::Kind)),
            Alias::new("kind"),
        )
        .expr_as(
            Expr::cust(r#"COALESCE(SUM("agreement"."positions"), 0)"#),
            Alias::new("positions"),
        )
        .join(
            JoinType::InnerJoin,
            agreement::Entity,
            Expr::col((agreement::Entity, agreement::Column::ActivityId))
                .equals((activity::Entity, activity::Column::Id)),
        );
    from_meetings(&mut positions, filter);
    positions.group_by_col((agreement::Entity, agreement::Column::Kind));
    positions
}

/// Table 1 of the 2017 evaluation: one column per RAR area (in the enum's order), then the
/// whole country. Two aggregate statements.
#[tracing::instrument(skip_all)]
pub async fn agreement_report(
    db: &impl ConnectionTrait,
    _reader: &Reader,
    filter: &ReportFilter,
) -> AppResult<Vec<AgreementColumn>> {
    check_range(filter)?;
    let backend = db.get_database_backend();
    let counts = agreement_counts_sql(filter);
    let rows = AreaCounts::find_by_statement(backend.build(&counts))
        .all(db)
        .await?;

    let positions = agreement_positions_sql(filter);
    let sums = AreaPositions::find_by_statement(backend.build(&positions))
        .all(db)
        .await?;

    let mut columns: Vec<AgreementColumn> = RarArea::iter()
        .map(|a| AgreementColumn::empty(Some(a)))
        .collect();
    let mut country = AgreementColumn::empty(None);
    for row in &rows {
        country.add(row);
        if let Some(c) = columns
            .iter_mut()
            .find(|c| c.rar_area == row.rar_area && row.rar_area.is_some())
        {
            c.add(row);
        }
    }
    for row in &sums {
        country.add_positions(row.kind, row.positions);
        if let Some(c) = columns
            .iter_mut()
            .find(|c| c.rar_area == row.rar_area && row.rar_area.is_some())
        {
            c.add_positions(row.kind, row.positions);
        }
    }
    columns.push(country);
    Ok(columns)
}

/// The survey's questions, in the order of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum SurveyQuestion {
    Overall,
    WellPrepared,
    NeedsUncovered,
    OffersPresented,
    MetExpectations,
    LikelyToCooperate,
}

impl SurveyQuestion {
    pub const ALL: [SurveyQuestion; 6] = [
        SurveyQuestion::Overall,
        SurveyQuestion::WellPrepared,
        SurveyQuestion::NeedsUncovered,
        SurveyQuestion::OffersPresented,
        SurveyQuestion::MetExpectations,
        SurveyQuestion::LikelyToCooperate,
    ];

    fn column(self) -> survey_response::Column {
        match self {
            SurveyQuestion::Overall => survey_response::Column::Overall,
            SurveyQuestion::WellPrepared => survey_response::Column::WellPrepared,
            SurveyQuestion::NeedsUncovered => survey_response::Column::NeedsUncovered,
            SurveyQuestion::OffersPresented => survey_response::Column::OffersPresented,
            SurveyQuestion::MetExpectations => survey_response::Column::MetExpectations,
            SurveyQuestion::LikelyToCooperate => survey_response::Column::LikelyToCooperate,
        }
    }
}

/// Answers to one question: how many, and how many were 4–5 ("satisfied or very satisfied").
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionScore {
    pub question: SurveyQuestion,
    pub answers: i64,
    pub satisfied: i64,
}

impl QuestionScore {
    pub fn satisfied_share(&self) -> Option<f64> {
        (self.answers > 0).then(|| self.satisfied as f64 / self.answers as f64)
    }
}

/// One column of the satisfaction report: a RAR area, or the whole country.
#[derive(Debug, Clone, PartialEq)]
pub struct SatisfactionColumn {
    pub rar_area: Option<RarArea>,
    pub held_meetings: i64,
    pub responses: i64,
    pub questions: Vec<QuestionScore>,
}

impl SatisfactionColumn {
    /// Responses per held meeting; `None` without held meetings.
    pub fn response_rate(&self) -> Option<f64> {
        (self.held_meetings > 0).then(|| self.responses as f64 / self.held_meetings as f64)
    }

    fn empty(rar_area: Option<RarArea>) -> Self {
        SatisfactionColumn {
            rar_area,
            held_meetings: 0,
            responses: 0,
            questions: SurveyQuestion::ALL
                .into_iter()
                .map(|question| QuestionScore {
                    question,
                    answers: 0,
                    satisfied: 0,
                })
                .collect(),
        }
    }

    fn add(&mut self, row: &sea_orm::QueryResult) -> AppResult<()> {
        let get = |name: &str| -> AppResult<i64> { Ok(row.try_get::<i64>("", name)?) };
        self.held_meetings += get("held")?;
        self.responses += get("responses")?;
        for (i, q) in self.questions.iter_mut().enumerate() {
            q.answers += get(&format!("answers_{i}"))?;
            q.satisfied += get(&format!("satisfied_{i}"))?;
        }
        Ok(())
    }
}

fn satisfaction_sql(filter: &ReportFilter) -> SelectStatement {
    let mut q = Query::select();
    q.expr_as(
        Expr::col((organisation::Entity, organisation::Column::RarArea)),
        Alias::new("rar_area"),
    )
    .expr_as(
        count_if(r#""activity"."status" = 'HELD'"#),
        Alias::new("held"),
    )
    .expr_as(
        count_if(r#""survey_response"."id" IS NOT NULL"#),
        Alias::new("responses"),
    )
    .join(
        JoinType::LeftJoin,
        survey_response::Entity,
        Expr::col((survey_response::Entity, survey_response::Column::ActivityId))
            .equals((activity::Entity, activity::Column::Id)),
    );
    for (i, question) in SurveyQuestion::ALL.into_iter().enumerate() {
        let column = format!(r#""survey_response"."{}""#, question.column().as_str());
        q.expr_as(
            count_if(&format!("{column} IS NOT NULL")),
            Alias::new(format!("answers_{i}")),
        )
        .expr_as(
            count_if(&format!("{column} >= 4")),
            Alias::new(format!("satisfied_{i}")),
        );
    }
    from_meetings(&mut q, filter);
    q
}

/// Per question the number of answers and the share answering 4–5, per RAR area and for the
/// whole country, with the response rate (responses / held meetings). One statement.
#[tracing::instrument(skip_all)]
pub async fn satisfaction_report(
    db: &impl ConnectionTrait,
    _reader: &Reader,
    filter: &ReportFilter,
) -> AppResult<Vec<SatisfactionColumn>> {
    check_range(filter)?;
    let backend = db.get_database_backend();
    let q = satisfaction_sql(filter);
    let rows = db.query_all_raw(backend.build(&q)).await?;
    let mut columns: Vec<SatisfactionColumn> = RarArea::iter()
        .map(|a| SatisfactionColumn::empty(Some(a)))
        .collect();
    let mut country = SatisfactionColumn::empty(None);
    for row in &rows {
        let area: Option<RarArea> = row.try_get("", "rar_area")?;
        country.add(row)?;
        if let Some(c) = columns
            .iter_mut()
            .find(|c| area.is_some() && c.rar_area == area)
        {
            c.add(row)?;
        }
    }
    columns.push(country);
    Ok(columns)
}

/// The funnel of one organisation in a campaign.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignFunnel {
    pub organisation_id: String,
    pub rar_area: Option<RarArea>,
    pub entries: i64,
    pub cleared: i64,
    pub excluded: i64,
    pub call_attempts: i64,
    /// The campaign's VISITs of any status but DRAFT that the organisation owns.
    pub booked: i64,
    pub held: i64,
    pub cancelled_by_company: i64,
    pub no_show: i64,
    pub with_outcome: i64,
    /// Held visits with at least one follow-up.
    pub with_follow_up: i64,
    /// Follow-ups of the campaign's visits completed on or before their due date.
    pub follow_ups: i64,
    pub follow_ups_kept: i64,
    /// Meetings booked at most 42 days ahead, and how many of them were cancelled.
    pub booked_near: i64,
    pub cancelled_near: i64,
    /// Meetings booked more than 42 days ahead, and how many of them were cancelled.
    pub booked_far: i64,
    pub cancelled_far: i64,
}

impl CampaignFunnel {
    /// The funnels of several organisations added up (a RAR area, the whole country).
    pub fn sum<'a>(
        rar_area: Option<RarArea>,
        funnels: impl IntoIterator<Item = &'a CampaignFunnel>,
    ) -> CampaignFunnel {
        let mut t = CampaignFunnel {
            rar_area,
            ..CampaignFunnel::default()
        };
        for f in funnels {
            t.entries += f.entries;
            t.cleared += f.cleared;
            t.excluded += f.excluded;
            t.call_attempts += f.call_attempts;
            t.booked += f.booked;
            t.held += f.held;
            t.cancelled_by_company += f.cancelled_by_company;
            t.no_show += f.no_show;
            t.with_outcome += f.with_outcome;
            t.with_follow_up += f.with_follow_up;
            t.follow_ups += f.follow_ups;
            t.follow_ups_kept += f.follow_ups_kept;
            t.booked_near += f.booked_near;
            t.cancelled_near += f.cancelled_near;
            t.booked_far += f.booked_far;
            t.cancelled_far += f.cancelled_far;
        }
        t
    }

    pub fn cancellation_rate_near(&self) -> Option<f64> {
        (self.booked_near > 0).then(|| self.cancelled_near as f64 / self.booked_near as f64)
    }
    pub fn cancellation_rate_far(&self) -> Option<f64> {
        (self.booked_far > 0).then(|| self.cancelled_far as f64 / self.booked_far as f64)
    }
}

#[derive(Debug, FromQueryResult)]
struct EntryCounts {
    organisation_id: String,
    entries: i64,
    cleared: i64,
    excluded: i64,
    call_attempts: i64,
}

#[derive(Debug, FromQueryResult)]
struct MeetingCounts {
    organisation_id: String,
    booked: i64,
    held: i64,
    cancelled_by_company: i64,
    no_show: i64,
    with_outcome: i64,
    with_follow_up: i64,
    booked_near: i64,
    cancelled_near: i64,
    booked_far: i64,
    cancelled_far: i64,
}

#[derive(Debug, FromQueryResult)]
struct FollowUpCounts {
    organisation_id: String,
    follow_ups: i64,
    kept: i64,
}

/// SQL that is true when `later` lies more than `days` days after `earlier` (timestamps).
fn more_than_days_after(backend: DbBackend, later: &str, earlier: &str, days: i64) -> String {
    match backend {
        DbBackend::Postgres => format!("{later} > {earlier} + INTERVAL '{days} days'"),
        _ => format!("julianday({later}) - julianday({earlier}) > {days}"),
    }
}

/// SQL for the calendar date (UTC) of a timestamp.
fn date_of(backend: DbBackend, timestamp: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST({timestamp} AS DATE)"),
        _ => format!("date({timestamp})"),
    }
}

fn campaign_entries_sql(campaign: &str) -> SelectStatement {
    let mut entries = Query::select();
    entries
        .column(call_list_entry::Column::OrganisationId)
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("entries"))
        .expr_as(
            count_if(r#""call_list_entry"."cleared_at" IS NOT NULL AND "call_list_entry"."status" <> 'EXCLUDED'"#),
            Alias::new("cleared"),
        )
        .expr_as(
            count_if(r#""call_list_entry"."status" = 'EXCLUDED'"#),
            Alias::new("excluded"),
        )
        .expr_as(
            Expr::cust(r#"COALESCE(SUM("call_list_entry"."call_attempts"), 0)"#),
            Alias::new("call_attempts"),
        )
        .from(call_list_entry::Entity)
        .and_where(call_list_entry::Column::CampaignId.eq(campaign))
        .group_by_col(call_list_entry::Column::OrganisationId);
    entries
}

fn campaign_meetings_sql(backend: DbBackend, campaign: &str) -> SelectStatement {
    let far = more_than_days_after(
        backend,
        r#""activity"."scheduled_at""#,
        r#""activity"."created_at""#,
        BOOKED_FAR_AHEAD_DAYS,
    );
    let cancelled = r#""activity"."status" IN ('CANCELLED_BY_COMPANY', 'CANCELLED_BY_JOBCENTRE')"#;
    let booked_ahead = r#""activity"."scheduled_at" IS NOT NULL"#;
    let filter = ReportFilter {
        campaign_id: Some(campaign.to_owned()),
        ..ReportFilter::default()
    };
    let mut meetings_q = Query::select();
    meetings_q
        .column((activity::Entity, activity::Column::OrganisationId))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("booked"))
        .expr_as(count_if(r#""activity"."status" = 'HELD'"#), Alias::new("held"))
        .expr_as(
            count_if(r#""activity"."status" = 'CANCELLED_BY_COMPANY'"#),
            Alias::new("cancelled_by_company"),
        )
        .expr_as(count_if(r#""activity"."status" = 'NO_SHOW'"#), Alias::new("no_show"))
        .expr_as(
            count_if(r#""activity"."outcome_registered""#),
            Alias::new("with_outcome"),
        )
        .expr_as(
            count_if(
                r#""activity"."status" = 'HELD' AND EXISTS (SELECT 1 FROM "follow_up" WHERE "follow_up"."activity_id" = "activity"."id")"#,
            ),
            Alias::new("with_follow_up"),
        )
        .expr_as(
            count_if(&format!("{booked_ahead} AND NOT ({far})")),
            Alias::new("booked_near"),
        )
        .expr_as(
            count_if(&format!("{booked_ahead} AND NOT ({far}) AND {cancelled}")),
            Alias::new("cancelled_near"),
        )
        .expr_as(count_if(&format!("{booked_ahead} AND {far}")), Alias::new("booked_far"))
        .expr_as(
            count_if(&format!("{booked_ahead} AND {far} AND {cancelled}")),
            Alias::new("cancelled_far"),
        )
        .from(activity::Entity)
        .cond_where(meetings(&filter))
        .group_by_col((activity::Entity, activity::Column::OrganisationId));
    meetings_q
}

fn campaign_follow_ups_sql(backend: DbBackend, campaign: &str) -> SelectStatement {
    let filter = ReportFilter {
        campaign_id: Some(campaign.to_owned()),
        ..ReportFilter::default()
    };
    let completed_on = date_of(backend, r#""follow_up"."completed_at""#);
    let mut follow_ups = Query::select();
    follow_ups
        .column((activity::Entity, activity::Column::OrganisationId))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("follow_ups"))
        .expr_as(
            count_if(&format!(
                r#""follow_up"."status" = 'DONE' AND {completed_on} <= "follow_up"."due_on""#
            )),
            Alias::new("kept"),
        )
        .from(follow_up::Entity)
        .join(
            JoinType::InnerJoin,
            activity::Entity,
            Expr::col((activity::Entity, activity::Column::Id))
                .equals((follow_up::Entity, follow_up::Column::ActivityId)),
        )
        .cond_where(meetings(&filter))
        .group_by_col((activity::Entity, activity::Column::OrganisationId));
    follow_ups
}

/// The campaign's funnel per organisation (ordered by RAR area, then organisation): call
/// list, bookings, meetings and their outcome, promises kept, and the cancellation rate of
/// meetings booked at most 42 days ahead against those booked further ahead. Three aggregate
/// statements.
#[tracing::instrument(skip_all)]
pub async fn campaign_report(
    db: &impl ConnectionTrait,
    _reader: &Reader,
    catalogue: &Catalogue,
    campaign_id: &str,
) -> AppResult<Vec<CampaignFunnel>> {
    let backend = db.get_database_backend();
    let campaign = campaign_id.trim();

    let entries = campaign_entries_sql(campaign);
    let entries = EntryCounts::find_by_statement(backend.build(&entries))
        .all(db)
        .await?;

    let meetings_q = campaign_meetings_sql(backend, campaign);
    let meeting_rows = MeetingCounts::find_by_statement(backend.build(&meetings_q))
        .all(db)
        .await?;

    let follow_ups = campaign_follow_ups_sql(backend, campaign);
    let follow_up_rows = FollowUpCounts::find_by_statement(backend.build(&follow_ups))
        .all(db)
        .await?;

    let mut out: Vec<CampaignFunnel> = Vec::new();
    let funnel = |out: &mut Vec<CampaignFunnel>, org: &str| -> usize {
        if let Some(i) = out.iter().position(|f| f.organisation_id == org) {
            return i;
        }
        out.push(CampaignFunnel {
            organisation_id: org.to_owned(),
            rar_area: catalogue.organisation(org).and_then(|o| o.rar_area),
            ..CampaignFunnel::default()
        });
        out.len() - 1
    };
    for e in entries {
        let i = funnel(&mut out, &e.organisation_id);
        let f = &mut out[i];
        (f.entries, f.cleared, f.excluded, f.call_attempts) =
            (e.entries, e.cleared, e.excluded, e.call_attempts);
    }
    for m in meeting_rows {
        let i = funnel(&mut out, &m.organisation_id);
        let f = &mut out[i];
        f.booked = m.booked;
        f.held = m.held;
        f.cancelled_by_company = m.cancelled_by_company;
        f.no_show = m.no_show;
        f.with_outcome = m.with_outcome;
        f.with_follow_up = m.with_follow_up;
        f.booked_near = m.booked_near;
        f.cancelled_near = m.cancelled_near;
        f.booked_far = m.booked_far;
        f.cancelled_far = m.cancelled_far;
    }
    for r in follow_up_rows {
        let i = funnel(&mut out, &r.organisation_id);
        out[i].follow_ups = r.follow_ups;
        out[i].follow_ups_kept = r.kept;
    }
    out.sort_by(|a, b| {
        (a.rar_area.map(|r| r as u8), &a.organisation_id)
            .cmp(&(b.rar_area.map(|r| r as u8), &b.organisation_id))
    });
    Ok(out)
}

/// How `cooperationReport` groups companies (by their home municipality).
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum CooperationGroup {
    Municipality,
    Jobcentre,
    RarArea,
}

/// The national "samarbejdsgrad" of one group: companies on record, and those with at least
/// one agreement (any kind) made in the period.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct CooperationRow {
    /// A municipality code, a jobcentre id or a RAR area's name.
    pub group_key: String,
    pub companies: i64,
    pub cooperating: i64,
}

impl CooperationRow {
    pub fn share(&self) -> Option<f64> {
        (self.companies > 0).then(|| self.cooperating as f64 / self.companies as f64)
    }
}

fn cooperation_sql(filter: &ReportFilter, group: CooperationGroup) -> SelectStatement {
    let key = match group {
        CooperationGroup::Municipality => municipality::Column::Code,
        CooperationGroup::Jobcentre => municipality::Column::JobcentreId,
        CooperationGroup::RarArea => municipality::Column::RarArea,
    };
    // Agreements of soft-deleted meetings do not count.
    let mut made = Query::select();
    made.expr(Expr::val(1))
        .from(agreement::Entity)
        .join(
            JoinType::InnerJoin,
            activity::Entity,
            Expr::col((activity::Entity, activity::Column::Id))
                .equals((agreement::Entity, agreement::Column::ActivityId)),
        )
        .and_where(
            Expr::col((agreement::Entity, agreement::Column::CompanyId))
                .equals((company::Entity, company::Column::Id)),
        )
        .and_where(Expr::col((activity::Entity, activity::Column::DeletedAt)).is_null());
    if let Some(from) = filter.from {
        made.and_where(
            Expr::col((agreement::Entity, agreement::Column::CreatedAt)).gte(danish_midnight(from)),
        );
    }
    if let Some(to) = filter.to {
        let next = to.succ_opt().unwrap_or(to);
        made.and_where(
            Expr::col((agreement::Entity, agreement::Column::CreatedAt)).lt(danish_midnight(next)),
        );
    }
    let mut q = Query::select();
    q.expr_as(
        Expr::col((municipality::Entity, key)),
        Alias::new("group_key"),
    )
    .expr_as(Expr::cust("COUNT(*)"), Alias::new("companies"))
    .expr_as(
        Func::coalesce([
            Func::sum(Expr::case(Expr::exists(made), 1).finally(0)).into(),
            Expr::val(0),
        ]),
        Alias::new("cooperating"),
    )
    .from(company::Entity)
    .join(
        JoinType::InnerJoin,
        municipality::Entity,
        Expr::col((municipality::Entity, municipality::Column::Code))
            .equals((company::Entity, company::Column::MunicipalityCode)),
    )
    .group_by_col((municipality::Entity, key))
    .order_by((municipality::Entity, key), sea_orm::sea_query::Order::Asc);
    q
}

/// Per group of home municipality: companies on record, companies with at least one
/// agreement in the period (each company once), and the share. One statement. Companies
/// without a home municipality are in no group.
#[tracing::instrument(skip_all)]
pub async fn cooperation_report(
    db: &impl ConnectionTrait,
    _reader: &Reader,
    filter: &ReportFilter,
    group: CooperationGroup,
) -> AppResult<Vec<CooperationRow>> {
    check_range(filter)?;
    let backend = db.get_database_backend();
    let q = cooperation_sql(filter, group);
    Ok(CooperationRow::find_by_statement(backend.build(&q))
        .all(db)
        .await?)
}

/// The statements the reports run for `campaign_id` and a period, as they run them: for
/// checking their plans (EXPLAIN) in the tests.
pub fn statements(backend: DbBackend, campaign_id: &str) -> Vec<(&'static str, Statement)> {
    let today = Utc::now().date_naive();
    let with_campaign = ReportFilter {
        campaign_id: Some(campaign_id.to_owned()),
        from: Some(today - chrono::Duration::days(90)),
        to: Some(today),
    };
    let period = ReportFilter {
        campaign_id: None,
        ..with_campaign.clone()
    };
    vec![
        (
            "agreement counts (campaign)",
            backend.build(&agreement_counts_sql(&with_campaign)),
        ),
        (
            "agreement positions (campaign)",
            backend.build(&agreement_positions_sql(&with_campaign)),
        ),
        (
            "agreement counts (period)",
            backend.build(&agreement_counts_sql(&period)),
        ),
        (
            "satisfaction (campaign)",
            backend.build(&satisfaction_sql(&with_campaign)),
        ),
        (
            "campaign entries",
            backend.build(&campaign_entries_sql(campaign_id)),
        ),
        (
            "campaign meetings",
            backend.build(&campaign_meetings_sql(backend, campaign_id)),
        ),
        (
            "campaign follow-ups",
            backend.build(&campaign_follow_ups_sql(backend, campaign_id)),
        ),
        (
            "cooperation",
            backend.build(&cooperation_sql(&period, CooperationGroup::Jobcentre)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_days_start_at_danish_midnight() {
        let winter = NaiveDate::from_ymd_opt(2027, 1, 15).expect("date");
        assert_eq!(
            danish_midnight(winter).to_rfc3339(),
            "2027-01-14T23:00:00+00:00"
        );
        let summer = NaiveDate::from_ymd_opt(2027, 7, 15).expect("date");
        assert_eq!(
            danish_midnight(summer).to_rfc3339(),
            "2027-07-14T22:00:00+00:00"
        );
    }
}

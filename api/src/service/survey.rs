//! Satisfaction surveys after a meeting: the company's answers on a 1–5 scale, one response
//! per meeting, recorded by Jobservice Danmark, an admin or an integration (the survey tool).

use crate::db::Db;
use chrono::Utc;
use entity::enums::ActivityStatus;
use entity::{activity, survey_response};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::uow::{self, WriteContext, new_id};
use super::validation::{self as v, NOTE_MAX};
use crate::auth::policy::Action;
use crate::error::{self, AppError, AppResult, UniqueConstraint};

const ONE_PER_MEETING: UniqueConstraint = UniqueConstraint {
    postgres: "survey_response_activity_id_key",
    sqlite: "survey_response.activity_id",
};

#[derive(Debug, Clone, Default)]
pub struct SurveyInput {
    pub activity_id: String,
    pub overall: i32,
    pub well_prepared: Option<i32>,
    pub needs_uncovered: Option<i32>,
    pub offers_presented: Option<i32>,
    pub met_expectations: Option<i32>,
    pub likely_to_cooperate: Option<i32>,
    pub comment: Option<String>,
}

fn score(field: &str, n: Option<i32>) -> AppResult<Option<i32>> {
    match n {
        Some(n) if !(1..=5).contains(&n) => Err(AppError::validation(field, "a score is 1 to 5")),
        n => Ok(n),
    }
}

#[tracing::instrument(skip_all)]
pub async fn record(
    db: &Db,
    ctx: &WriteContext,
    input: SurveyInput,
) -> AppResult<survey_response::Model> {
    let overall = score("input.overall", Some(input.overall))?.unwrap_or(input.overall);
    let well_prepared = score("input.wellPrepared", input.well_prepared)?;
    let needs_uncovered = score("input.needsUncovered", input.needs_uncovered)?;
    let offers_presented = score("input.offersPresented", input.offers_presented)?;
    let met_expectations = score("input.metExpectations", input.met_expectations)?;
    let likely_to_cooperate = score("input.likelyToCooperate", input.likely_to_cooperate)?;
    let comment = v::optional_text("input.comment", input.comment.as_deref(), NOTE_MAX)?;
    uow::write(db, ctx, async |uow| {
        uow.authorize(&Action::RecordSurveyResponse)?;
        let id = input.activity_id.trim();
        let meeting = if v::is_id(id) {
            activity::Entity::find_by_id(id.to_owned())
                .one(uow.conn())
                .await?
                .filter(|a| a.deleted_at.is_none())
        } else {
            None
        }
        .ok_or_else(|| AppError::NotFound(format!("activity {id} not found")))?;
        if meeting.status != ActivityStatus::Held {
            return Err(AppError::validation(
                "input.activityId",
                "a survey response is recorded for a HELD meeting",
            ));
        }
        let model = survey_response::ActiveModel {
            id: Set(new_id()),
            activity_id: Set(meeting.id),
            overall: Set(overall),
            well_prepared: Set(well_prepared),
            needs_uncovered: Set(needs_uncovered),
            offers_presented: Set(offers_presented),
            met_expectations: Set(met_expectations),
            likely_to_cooperate: Set(likely_to_cooperate),
            comment: Set(comment),
            created_by_sub: Set(uow.actor().sub.clone()),
            created_at: Set(Utc::now()),
        }
        .insert(uow.conn())
        .await
        .map_err(|e| {
            error::on_constraint(e, &ONE_PER_MEETING, || {
                AppError::Conflict("the meeting already has a survey response".into())
            })
        })?;
        uow.created("surveyResponse.recorded", &model)?;
        Ok(model)
    })
    .await
}

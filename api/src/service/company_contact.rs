//! Fixed contacts (fast kontaktperson): each organisation names one person the company can
//! call there. Setting it again replaces it (same record, new version, audited); clearing
//! removes it. The entry point uses the home jobcentre's.

use crate::db::Db;
use chrono::Utc;
use entity::company_contact;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder, Set,
};

use super::company;
use super::read::{Reader, Visible};
use super::record;
use super::rows;
use super::sql;
use super::uow::{self, WriteContext, new_id};
use super::validation::{self as v, NAME_MAX};
use crate::auth::policy::Action;
use crate::error::{self, AppError, AppResult, UniqueConstraint};

const ONE_PER_ORGANISATION: UniqueConstraint = UniqueConstraint {
    postgres: "uq_company_contact_organisation",
    sqlite: "company_contact.company_id, company_contact.organisation_id",
};

#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// The staff user's id, when the contact is a user of the system.
    pub sub: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The fixed contacts of several companies, by organisation.
#[tracing::instrument(skip_all)]
pub async fn by_company(
    db: &impl ConnectionTrait,
    company_ids: &[String],
) -> AppResult<Vec<company_contact::Model>> {
    rows::all(
        db,
        sql::find_in(
            company_contact::Entity,
            db,
            company_contact::Column::CompanyId,
            company_ids,
        )
        .order_by_asc(company_contact::Column::OrganisationId),
    )
    .await
}

pub async fn visible_by_company(
    db: &impl ConnectionTrait,
    reader: &Reader,
    company_ids: &[String],
) -> AppResult<Vec<Visible<company_contact::Model>>> {
    Ok(by_company(db, company_ids)
        .await?
        .into_iter()
        .map(|c| reader.company_contact(c))
        .collect())
}

async fn find_for(
    db: &impl ConnectionTrait,
    company_id: &str,
    organisation_id: &str,
) -> AppResult<Option<company_contact::Model>> {
    Ok(company_contact::Entity::find()
        .filter(company_contact::Column::CompanyId.eq(company_id))
        .filter(company_contact::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?)
}

/// Names the caller's organisation's fixed contact for the company (replacing an earlier one).
#[tracing::instrument(skip_all, fields(company_id = %company_id))]
pub async fn set(
    db: &Db,
    ctx: &WriteContext,
    company_id: &str,
    input: ContactInput,
) -> AppResult<company_contact::Model> {
    let sub = v::subject("input.sub", input.sub.as_deref())?;
    let name = v::required_text("input.name", &input.name, NAME_MAX)?;
    let email = v::email("input.email", input.email.as_deref())?;
    let phone = v::phone("input.phone", input.phone.as_deref())?;
    uow::write(db, ctx, async |uow| {
        uow.authorize(&Action::SetCompanyContact)?;
        let company = company::require(uow.conn(), company_id.trim()).await?;
        let organisation_id = uow.actor().organisation_id.clone();
        if let Some(before) = find_for(uow.conn(), &company.id, &organisation_id).await? {
            if before.sub == sub
                && before.name == name
                && before.email == email
                && before.phone == phone
            {
                uow.unchanged();
                return Ok(before);
            }
            let mut am = before.clone().into_active_model();
            am.sub = Set(sub);
            am.name = Set(name);
            am.email = Set(email);
            am.phone = Set(phone);
            return record::update(uow, "companyContact.replaced", &before, am).await;
        }
        let now = Utc::now();
        let model = company_contact::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company.id),
            organisation_id: Set(organisation_id),
            sub: Set(sub),
            name: Set(name),
            email: Set(email),
            phone: Set(phone),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(uow.conn())
        .await
        .map_err(|e| {
            error::on_constraint(e, &ONE_PER_ORGANISATION, || {
                AppError::Conflict(
                    "the fixed contact was set concurrently by someone else; reload and try again"
                        .into(),
                )
            })
        })?;
        uow.created("companyContact.set", &model)?;
        Ok(model)
    })
    .await
}

/// Removes an organisation's fixed contact for the company (the caller's own by default).
#[tracing::instrument(skip_all, fields(company_id = %company_id))]
pub async fn clear(
    db: &Db,
    ctx: &WriteContext,
    company_id: &str,
    organisation_id: Option<&str>,
) -> AppResult<company_contact::Model> {
    uow::write(db, ctx, async |uow| {
        let organisation_id = organisation_id
            .map(str::trim)
            .unwrap_or(&uow.actor().organisation_id)
            .to_owned();
        uow.authorize(&Action::ClearCompanyContact {
            owner: &organisation_id,
        })?;
        let before = find_for(uow.conn(), company_id.trim(), &organisation_id)
            .await?
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "{organisation_id} has no fixed contact for company {}",
                    company_id.trim()
                ))
            })?;
        before.clone().delete(uow.conn()).await?;
        uow.removed("companyContact.cleared", &before)?;
        Ok(before)
    })
    .await
}

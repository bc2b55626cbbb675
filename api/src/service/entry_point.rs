//! Rule 2, in one place: whom a company — or one of its sites — should deal with, and why.
//! GraphQL (`Company.entryPoint`, `ProductionUnit.entryPoint`), reports, the web client and
//! later the change feed all answer through [`entry_point`]; the loaders below only gather
//! its facts in batches.
//!
//! - An ACTIVE job service agreement: its coordinator (tovholder) and the coordinator's
//!   contact (JOB_SERVICE_AGREEMENT). For a site, the participant whose RAR areas include the
//!   site's municipality's area answers instead, with its contact.
//! - Otherwise the jobcentre of the home municipality (HOME_MUNICIPALITY) — for a site, the
//!   jobcentre of the site's municipality (SITE_MUNICIPALITY when that is not the home one) —
//!   with that jobcentre's fixed contact for the company, if it named one.
//! - A company without a home municipality: Jobservice Danmark (NATIONAL_FALLBACK).

use std::collections::HashMap;

use entity::enums::{EntryPointReason, RarArea};
use entity::job_service_agreement_participant;
use entity::{company, company_contact, job_service_agreement};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};
use serde::Deserialize;

use super::job_service_agreement as agreements;
use super::reference::{Catalogue, NATIONAL_ID};
use super::sql::{self, Parents};
use crate::error::{AppError, AppResult};

/// Whom to call, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    pub organisation_id: String,
    pub reason: EntryPointReason,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

/// An organisation and the person to ask for there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub organisation_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A participant of the ACTIVE agreement and the RAR areas it covers for the company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionalContact {
    pub contact: Contact,
    pub rar_areas: Vec<RarArea>,
}

/// What rule 2 needs to know about a company besides its row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The coordinator of the company's ACTIVE agreement, with the agreement's contact.
    pub coordinator: Option<Contact>,
    /// The ACTIVE agreement's participants (only a site's answer needs them).
    pub participants: Vec<RegionalContact>,
    /// Fixed contacts named for the company, by organisation (at least the one rule 2 picks
    /// when no site is asked about).
    pub fixed_contacts: Vec<Contact>,
}

fn answer(contact: &Contact, reason: EntryPointReason) -> EntryPoint {
    EntryPoint {
        organisation_id: contact.organisation_id.clone(),
        reason,
        contact_name: contact.name.clone(),
        contact_email: contact.email.clone(),
        contact_phone: contact.phone.clone(),
    }
}

/// Rule 2 for `company`, or for its site in `site_municipality` (a municipality code; an
/// unknown code is a VALIDATION error on `field`).
pub fn entry_point(
    company: &company::Model,
    site_municipality: Option<&str>,
    field: &str,
    facts: &Facts,
    catalogue: &Catalogue,
) -> AppResult<EntryPoint> {
    let site =
        match site_municipality.map(str::trim) {
            Some(code) => Some(catalogue.municipality(code).ok_or_else(|| {
                AppError::validation(field, format!("unknown municipality {code}"))
            })?),
            None => None,
        };
    if let Some(coordinator) = &facts.coordinator {
        let regional = site.and_then(|m| {
            facts
                .participants
                .iter()
                .find(|p| p.rar_areas.contains(&m.rar_area))
        });
        let contact = regional.map(|p| &p.contact).unwrap_or(coordinator);
        return Ok(answer(contact, EntryPointReason::JobServiceAgreement));
    }
    let home = company
        .municipality_code
        .as_deref()
        .and_then(|code| catalogue.municipality(code));
    let (organisation_id, reason) = match (site, home) {
        (Some(site), home) if home.is_none_or(|h| h.code != site.code) => (
            site.jobcentre_id.as_str(),
            EntryPointReason::SiteMunicipality,
        ),
        (_, Some(home)) => (
            home.jobcentre_id.as_str(),
            EntryPointReason::HomeMunicipality,
        ),
        (_, None) => (NATIONAL_ID, EntryPointReason::NationalFallback),
    };
    let fixed = facts
        .fixed_contacts
        .iter()
        .find(|c| c.organisation_id == organisation_id);
    Ok(match fixed {
        Some(contact) => answer(contact, reason),
        None => answer(
            &Contact {
                organisation_id: organisation_id.to_owned(),
                ..Contact::default()
            },
            reason,
        ),
    })
}

/// The facts of the company-level answer for several companies: the ACTIVE agreement's
/// coordinator and the fixed contacts, in one statement of two plain index lookups (a
/// four-way join cost PostgreSQL ~0.5 ms of planning per request).
#[tracing::instrument(skip_all)]
pub async fn home_facts(
    db: &impl ConnectionTrait,
    company_ids: &[String],
) -> AppResult<HashMap<String, Facts>> {
    facts(db, company_ids, false).await
}

/// The facts of a site's answer: those of [`home_facts`] and the ACTIVE agreement's
/// participants (one statement more, only when some company has an ACTIVE agreement).
#[tracing::instrument(skip_all)]
pub async fn site_facts(
    db: &impl ConnectionTrait,
    company_ids: &[String],
) -> AppResult<HashMap<String, Facts>> {
    facts(db, company_ids, true).await
}

async fn facts(
    db: &impl ConnectionTrait,
    company_ids: &[String],
    with_participants: bool,
) -> AppResult<HashMap<String, Facts>> {
    let backend = db.get_database_backend();
    let q = facts_of(backend, Parents::Keys(company_ids));
    let rows = FactRow::find_by_statement(backend.build(&q))
        .all(db)
        .await?;
    let agreement_ids: Vec<String> = rows
        .iter()
        .filter(|r| r.source == "agreement")
        .map(|r| r.record_id.clone())
        .collect();
    let participants = if with_participants && !agreement_ids.is_empty() {
        agreements::participants_of(db, &agreement_ids).await?
    } else {
        Vec::new()
    };
    let mut out: HashMap<String, Facts> = company_ids
        .iter()
        .map(|id| (id.clone(), Facts::default()))
        .collect();
    for r in rows {
        if let Some(facts) = out.get_mut(&r.company_id) {
            facts.add(r, &participants);
        }
    }
    Ok(out)
}

/// The facts' rows of `parents`: one statement of two plain index lookups (UNION ALL), the
/// ACTIVE agreement's coordinator and every fixed contact; nothing for the planner to join.
pub fn facts_of(backend: DbBackend, parents: Parents<'_>) -> SelectStatement {
    let mut q = Query::select()
        .expr_as(Expr::cust("'agreement'"), Alias::new("source"))
        .expr_as(
            Expr::col(job_service_agreement::Column::CompanyId),
            Alias::new("company_id"),
        )
        .expr_as(
            Expr::col(job_service_agreement::Column::Id),
            Alias::new("record_id"),
        )
        .expr_as(
            Expr::col(job_service_agreement::Column::CoordinatorId),
            Alias::new("organisation_id"),
        )
        .expr_as(
            Expr::col(job_service_agreement::Column::CoordinatorContactName),
            Alias::new("name"),
        )
        .expr_as(
            Expr::col(job_service_agreement::Column::CoordinatorContactEmail),
            Alias::new("email"),
        )
        .expr_as(
            Expr::col(job_service_agreement::Column::CoordinatorContactPhone),
            Alias::new("phone"),
        )
        .from(job_service_agreement::Entity)
        .and_where(parents.condition(backend, job_service_agreement::Column::CompanyId))
        .and_where(sql::agreement_is_active())
        .to_owned();
    let contacts = Query::select()
        .expr_as(Expr::cust("'contact'"), Alias::new("source"))
        .expr_as(
            Expr::col(company_contact::Column::CompanyId),
            Alias::new("company_id"),
        )
        .expr_as(
            Expr::col(company_contact::Column::Id),
            Alias::new("record_id"),
        )
        .expr_as(
            Expr::col(company_contact::Column::OrganisationId),
            Alias::new("organisation_id"),
        )
        .expr_as(Expr::col(company_contact::Column::Name), Alias::new("name"))
        .expr_as(
            Expr::col(company_contact::Column::Email),
            Alias::new("email"),
        )
        .expr_as(
            Expr::col(company_contact::Column::Phone),
            Alias::new("phone"),
        )
        .from(company_contact::Entity)
        .and_where(parents.condition(backend, company_contact::Column::CompanyId))
        .to_owned();
    q.union(UnionType::All, contacts);
    q
}

impl Facts {
    /// Adds one row of [`facts_of`] (with the agreement's participants, when loaded).
    pub fn add(&mut self, r: FactRow, participants: &[job_service_agreement_participant::Model]) {
        let contact = Contact {
            organisation_id: r.organisation_id,
            name: r.name,
            email: r.email,
            phone: r.phone,
        };
        if r.source == "agreement" {
            self.participants = participants
                .iter()
                .filter(|p| p.agreement_id == r.record_id)
                .map(|p| RegionalContact {
                    contact: Contact {
                        organisation_id: p.organisation_id.clone(),
                        name: p.contact_name.clone(),
                        email: p.contact_email.clone(),
                        phone: p.contact_phone.clone(),
                    },
                    rar_areas: agreements::parse_rar_areas(&p.rar_areas),
                })
                .collect();
            self.coordinator = Some(contact);
        } else {
            self.fixed_contacts.push(contact);
        }
    }
}

/// A row of the facts statement: an ACTIVE agreement's coordinator, or a fixed contact.
#[derive(Debug, FromQueryResult, Deserialize)]
pub struct FactRow {
    source: String,
    company_id: String,
    record_id: String,
    organisation_id: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use entity::enums::{OrganisationKind, RarArea};
    use entity::{municipality, organisation};

    fn catalogue() -> Catalogue {
        let org = |id: &str, area: Option<RarArea>| organisation::Model {
            id: id.into(),
            name: id.into(),
            kind: if id == NATIONAL_ID {
                OrganisationKind::National
            } else {
                OrganisationKind::Jobcentre
            },
            municipality_code: None,
            rar_area: area,
        };
        let muni = |code: &str, area: RarArea| municipality::Model {
            code: code.into(),
            name: code.into(),
            region: "r".into(),
            rar_area: area,
            jobcentre_id: format!("jc-{code}"),
        };
        Catalogue::new(
            vec![
                org("jc-101", Some(RarArea::Hovedstaden)),
                org("jc-751", Some(RarArea::Oestjylland)),
                org("jc-461", Some(RarArea::Fyn)),
                org(NATIONAL_ID, None),
            ],
            vec![
                muni("101", RarArea::Hovedstaden),
                muni("751", RarArea::Oestjylland),
                muni("461", RarArea::Fyn),
            ],
        )
    }

    fn company(home: Option<&str>) -> company::Model {
        let now = Utc::now();
        company::Model {
            id: "c".into(),
            cvr: "10150817".into(),
            name: "Firma".into(),
            name_search: "firma".into(),
            industry_code: None,
            municipality_code: home.map(str::to_owned),
            address: None,
            postal_code: None,
            employees: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn contact(org: &str, name: &str) -> Contact {
        Contact {
            organisation_id: org.into(),
            name: Some(name.into()),
            email: None,
            phone: None,
        }
    }

    fn ask(
        company: &company::Model,
        site: Option<&str>,
        facts: &Facts,
    ) -> (String, EntryPointReason, Option<String>) {
        let e =
            entry_point(company, site, "municipalityCode", facts, &catalogue()).expect("answer");
        (e.organisation_id, e.reason, e.contact_name)
    }

    #[test]
    fn without_an_agreement_the_home_or_site_jobcentre_answers_with_its_fixed_contact() {
        let facts = Facts {
            fixed_contacts: vec![contact("jc-101", "Hanne"), contact("jc-751", "Bo")],
            ..Facts::default()
        };
        let c = company(Some("101"));
        assert_eq!(
            ask(&c, None, &facts),
            (
                "jc-101".into(),
                EntryPointReason::HomeMunicipality,
                Some("Hanne".into())
            )
        );
        assert_eq!(
            ask(&c, Some("101"), &facts),
            (
                "jc-101".into(),
                EntryPointReason::HomeMunicipality,
                Some("Hanne".into())
            )
        );
        assert_eq!(
            ask(&c, Some("751"), &facts),
            (
                "jc-751".into(),
                EntryPointReason::SiteMunicipality,
                Some("Bo".into())
            )
        );
        assert_eq!(
            ask(&c, Some("461"), &facts),
            ("jc-461".into(), EntryPointReason::SiteMunicipality, None)
        );
        assert_eq!(
            ask(&company(None), None, &Facts::default()),
            (NATIONAL_ID.into(), EntryPointReason::NationalFallback, None)
        );
        assert!(entry_point(&c, Some("999"), "f", &facts, &catalogue()).is_err());
    }

    #[test]
    fn an_active_agreement_answers_with_the_coordinator_or_the_regional_participant() {
        let facts = Facts {
            coordinator: Some(contact("jc-101", "Tovholder")),
            participants: vec![RegionalContact {
                contact: contact("jc-751", "Øst"),
                rar_areas: vec![RarArea::Oestjylland],
            }],
            fixed_contacts: vec![contact("jc-101", "Hanne")],
        };
        let c = company(Some("101"));
        assert_eq!(
            ask(&c, None, &facts),
            (
                "jc-101".into(),
                EntryPointReason::JobServiceAgreement,
                Some("Tovholder".into())
            )
        );
        assert_eq!(
            ask(&c, Some("751"), &facts),
            (
                "jc-751".into(),
                EntryPointReason::JobServiceAgreement,
                Some("Øst".into())
            )
        );
        assert_eq!(
            ask(&c, Some("461"), &facts),
            (
                "jc-101".into(),
                EntryPointReason::JobServiceAgreement,
                Some("Tovholder".into())
            )
        );
    }
}

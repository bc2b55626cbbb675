//! The read side of the rules: what one caller may see of a record.
//!
//! Every path that lets data leave the server (queries, mutation results, the audit trail, and
//! later the change feed, webhooks, reports and exports) reads through a [`Reader`]. It is made
//! once per request from the verified actor and the request's clock; the only way to obtain a
//! [`Visible`] record is through it, so a GraphQL type that holds a `Visible<T>` cannot show a
//! row the rules did not pass:
//!
//! - private notes (the summary of an ORGANISATION-visible activity and its agreements' notes)
//!   are removed for everyone outside the owning organisation, admins included;
//! - a soft-deleted record exists only for those who may restore it;
//! - `overdue` is computed against one Danish calendar date for the whole request;
//! - audit snapshots are redacted through their views (`audit_view`).
//!
//! The decisions themselves are the policy's (`auth/policy.rs`); this module applies them.

use std::ops::Deref;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{FollowUpStatus, Visibility};
use entity::production_unit;
use entity::{
    activity, agreement, audit_event, call_list_entry, campaign, company, company_contact,
    contact_person, follow_up, job_service_agreement, job_service_agreement_participant,
};

use super::audit_view;
use super::validation::danish_today;
use crate::auth::Actor;
use crate::auth::policy;
use crate::error::AppResult;

/// A record as one reader may see it. Only a [`Reader`] makes one.
#[derive(Debug, Clone, PartialEq)]
pub struct Visible<T>(T);

impl<T> Deref for Visible<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Visible<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// A follow-up with what is derived from it at read time.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpView {
    pub model: follow_up::Model,
    /// OPEN and due before today (Danish calendar date).
    pub overdue: bool,
}

/// Who is reading, and when: one per request.
#[derive(Debug, Clone)]
pub struct Reader {
    actor: Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
}

impl Reader {
    /// A reader for `actor` at `now`; FORBIDDEN when no role of the actor allows reading.
    pub fn new(actor: Actor, now: DateTime<Utc>) -> AppResult<Reader> {
        policy::can_read(&actor)?;
        Ok(Reader {
            actor,
            now,
            today: danish_today(now),
        })
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The request's clock: every derived value of one answer is computed as of this moment.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Today's date in Denmark, fixed for the request.
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    pub fn company(&self, m: company::Model) -> Visible<company::Model> {
        Visible(m)
    }

    pub fn production_unit(&self, m: production_unit::Model) -> Visible<production_unit::Model> {
        Visible(m)
    }

    /// Job service agreements, their participants and fixed contacts are shared with every
    /// organisation: they exist so that everyone knows whom the company deals with.
    pub fn job_service_agreement(
        &self,
        m: job_service_agreement::Model,
    ) -> Visible<job_service_agreement::Model> {
        Visible(m)
    }

    pub fn job_service_agreement_participant(
        &self,
        m: job_service_agreement_participant::Model,
    ) -> Visible<job_service_agreement_participant::Model> {
        Visible(m)
    }

    pub fn company_contact(&self, m: company_contact::Model) -> Visible<company_contact::Model> {
        Visible(m)
    }

    /// Campaigns and their call lists are shared: every jobcentre sees which of its companies
    /// a campaign wants to call and why one was excluded.
    pub fn campaign(&self, m: campaign::Model) -> Visible<campaign::Model> {
        Visible(m)
    }

    pub fn call_list_entry(&self, m: call_list_entry::Model) -> Visible<call_list_entry::Model> {
        Visible(m)
    }

    /// A contact person; a deleted one only for those who may restore it.
    pub fn contact_person(
        &self,
        m: contact_person::Model,
    ) -> Option<Visible<contact_person::Model>> {
        self.shows_deleted(m.deleted_at.is_some(), &m.organisation_id)
            .then_some(Visible(m))
    }

    /// Whether the private notes of a record owned by `owner` with `visibility` are withheld.
    pub fn hides_private_notes(&self, owner: &str, visibility: Visibility) -> bool {
        visibility == Visibility::Organisation && !policy::sees_private_notes(&self.actor, owner)
    }

    /// An activity: `None` when deleted and the reader may not restore it; the summary of a
    /// private activity removed for readers outside its organisation.
    pub fn activity(&self, mut m: activity::Model) -> Option<Visible<activity::Model>> {
        if !self.shows_deleted(m.deleted_at.is_some(), &m.organisation_id) {
            return None;
        }
        if self.hides_private_notes(&m.organisation_id, m.visibility) {
            m.summary = None;
        }
        Some(Visible(m))
    }

    /// An agreement, given its activity's owner and visibility (its note is as private as the
    /// activity's summary).
    pub fn agreement(
        &self,
        mut m: agreement::Model,
        activity_visibility: Visibility,
    ) -> Visible<agreement::Model> {
        if self.hides_private_notes(&m.organisation_id, activity_visibility) {
            m.note = None;
        }
        Visible(m)
    }

    pub fn follow_up(&self, model: follow_up::Model) -> Visible<FollowUpView> {
        let overdue = is_overdue(&model, self.today);
        Visible(FollowUpView { model, overdue })
    }

    /// An audit event with its snapshots redacted for this reader (see `audit_view`).
    pub fn audit_event(&self, mut m: audit_event::Model) -> Visible<audit_event::Model> {
        let private = audit_view::private_objects([m.before.as_ref(), m.after.as_ref()]);
        for snapshot in [&mut m.before, &mut m.after].into_iter().flatten() {
            audit_view::redact(snapshot, &private, &self.actor);
        }
        Visible(m)
    }

    fn shows_deleted(&self, deleted: bool, owner: &str) -> bool {
        !deleted || policy::sees_deleted(&self.actor, owner)
    }
}

/// OPEN and its due date has passed (in Danish time).
pub fn is_overdue(f: &follow_up::Model, today: NaiveDate) -> bool {
    f.status == FollowUpStatus::Open && f.due_on < today
}

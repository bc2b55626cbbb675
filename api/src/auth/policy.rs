//! The one place that decides what an actor may do. Services ask here; no other module
//! compares roles or organisations.
//!
//! - Readers: every authenticated role reads the shared record.
//! - Staff (consultant, coordinator, national, admin) register companies, update their master
//!   data, add production units and contact persons.
//! - Records owned by an organisation (activities and their outcomes, follow-ups, the contact
//!   persons it added) are changed only by staff of that organisation, or by an admin. A user
//!   with the national role acts for the organisation in the token, `national`.
//! - Private notes (the summary of an ORGANISATION-visible activity and its agreements' notes)
//!   are read and written only inside the owning organisation. Admins of other organisations
//!   may correct records (delete, restore, set status, add agreements and follow-ups) but do
//!   not read or write private notes: an admin's powers are about keeping the record in order,
//!   not about reading another jobcentre's confidential notes.
//! - Erasing personal data and reading every audit event are admin tasks.
//! - Job service agreements are created by the national role (Jobservice Danmark) or an
//!   admin; activated, ended and changed (participants, dates, contacts) by those or by staff
//!   of the coordinating jobcentre.
//! - Each organisation names its own fixed contact for a company; its staff or an admin
//!   remove it.
//! - Campaigns and call lists are run by the national role or coordinators; a company on a
//!   call list is cleared (or excluded) by staff of the jobcentre it is assigned to; meetings
//!   are booked on that jobcentre's behalf by the national role or by its own staff.
//! - `integration` is a system account: it reads, but may not use these mutations.

use super::{Actor, Role};
use crate::error::{AppError, AppResult};

/// A write an actor asks to make; `owner` is the organisation that owns the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    RegisterCompany,
    UpdateCompany,
    AddProductionUnit,
    AddContactPerson,
    DeleteContactPerson {
        owner: &'a str,
    },
    RestoreContactPerson {
        owner: &'a str,
    },
    EraseContactPerson,
    LogActivity,
    SetActivityStatus {
        owner: &'a str,
    },
    RecordOutcome {
        owner: &'a str,
    },
    /// Adding to the private notes of a private activity (summary, agreement notes).
    WritePrivateNotes {
        owner: &'a str,
    },
    DeleteActivity {
        owner: &'a str,
    },
    RestoreActivity {
        owner: &'a str,
    },
    CompleteFollowUp {
        owner: &'a str,
    },
    /// Job service agreements are made by Jobservice Danmark (the national role).
    CreateJobServiceAgreement,
    /// Activating, ending and changing an agreement and its participants: the national role,
    /// or staff of the coordinating jobcentre.
    ManageJobServiceAgreement {
        coordinator: &'a str,
    },
    /// Naming the caller's own organisation's fixed contact for a company.
    SetCompanyContact,
    /// Removing an organisation's fixed contact: its staff, or an admin.
    ClearCompanyContact {
        owner: &'a str,
    },
    /// Campaigns and their call lists are run by the national role or a coordinator.
    CreateCampaign,
    AddToCallList,
    /// Clearing (or excluding) a company on a call list: staff of the organisation it is
    /// assigned to, who know the company.
    ClearCallListEntry {
        assigned: &'a str,
    },
    /// Booking a meeting on behalf of the assigned organisation: the national role (the
    /// campaign's bookers) or the assigned organisation's staff.
    BookMeeting {
        assigned: &'a str,
    },
    /// A company's survey answers: Jobservice Danmark, an admin, or the survey integration.
    RecordSurveyResponse,
    /// A staff user subscribes their own calendar to the meetings they hold.
    CreateCalendarFeed,
    /// Revoking a feed: its user, or an admin.
    RevokeCalendarFeed {
        sub: &'a str,
        organisation: &'a str,
    },
}

impl Action<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Action::RegisterCompany => "registerCompany",
            Action::UpdateCompany => "updateCompany",
            Action::AddProductionUnit => "addProductionUnit",
            Action::AddContactPerson => "addContactPerson",
            Action::DeleteContactPerson { .. } => "deleteContactPerson",
            Action::RestoreContactPerson { .. } => "restoreContactPerson",
            Action::EraseContactPerson => "eraseContactPerson",
            Action::LogActivity => "logActivity",
            Action::SetActivityStatus { .. } => "setActivityStatus",
            Action::RecordOutcome { .. } => "recordOutcome",
            Action::WritePrivateNotes { .. } => {
                "writing the private notes of another organisation's activity"
            }
            Action::DeleteActivity { .. } => "deleteActivity",
            Action::RestoreActivity { .. } => "restoreActivity",
            Action::CompleteFollowUp { .. } => "completeFollowUp",
            Action::CreateJobServiceAgreement => "createJobServiceAgreement",
            Action::ManageJobServiceAgreement { .. } => "changing this job service agreement",
            Action::SetCompanyContact => "setCompanyContact",
            Action::ClearCompanyContact { .. } => "clearCompanyContact",
            Action::CreateCampaign => "createCampaign",
            Action::AddToCallList => "adding to a call list",
            Action::ClearCallListEntry { .. } => "clearCallListEntry",
            Action::BookMeeting { .. } => "bookMeeting",
            Action::RecordSurveyResponse => "recordSurveyResponse",
            Action::CreateCalendarFeed => "createCalendarFeed",
            Action::RevokeCalendarFeed { .. } => "revokeCalendarFeed",
        }
    }
}

/// Every authenticated role may read the shared record.
pub fn can_read(actor: &Actor) -> AppResult<()> {
    if actor.roles.is_empty() {
        return Err(AppError::Forbidden("no role allows reading".into()));
    }
    Ok(())
}

/// Staff roles act for people; `integration` is a system account.
pub fn is_staff(actor: &Actor) -> bool {
    actor.roles.iter().any(|r| {
        matches!(
            r,
            Role::Consultant | Role::Coordinator | Role::National | Role::Admin
        )
    })
}

pub fn is_admin(actor: &Actor) -> bool {
    actor.has_role(Role::Admin)
}

/// Jobservice Danmark's staff role.
pub fn is_national(actor: &Actor) -> bool {
    actor.has_role(Role::National)
}

/// Staff of the owning organisation, or an admin.
fn owns(actor: &Actor, owner: &str) -> bool {
    is_admin(actor) || (is_staff(actor) && actor.organisation_id == owner)
}

pub fn allows(actor: &Actor, action: &Action<'_>) -> bool {
    match action {
        Action::RegisterCompany
        | Action::UpdateCompany
        | Action::AddProductionUnit
        | Action::AddContactPerson
        | Action::LogActivity
        | Action::SetCompanyContact
        | Action::CreateCalendarFeed => is_staff(actor),
        Action::RevokeCalendarFeed { sub, organisation } => {
            is_admin(actor) || (actor.sub == *sub && actor.organisation_id == *organisation)
        }
        Action::CreateJobServiceAgreement => is_admin(actor) || is_national(actor),
        Action::CreateCampaign | Action::AddToCallList => {
            is_admin(actor) || is_national(actor) || actor.has_role(Role::Coordinator)
        }
        Action::RecordSurveyResponse => {
            is_admin(actor) || is_national(actor) || actor.has_role(Role::Integration)
        }
        Action::BookMeeting { assigned } => {
            is_admin(actor)
                || is_national(actor)
                || (is_staff(actor) && actor.organisation_id == *assigned)
        }
        Action::ManageJobServiceAgreement { coordinator } => {
            is_admin(actor)
                || is_national(actor)
                || (is_staff(actor) && actor.organisation_id == *coordinator)
        }
        Action::EraseContactPerson => is_admin(actor),
        Action::WritePrivateNotes { owner } => is_staff(actor) && sees_private_notes(actor, owner),
        Action::DeleteContactPerson { owner }
        | Action::RestoreContactPerson { owner }
        | Action::SetActivityStatus { owner }
        | Action::RecordOutcome { owner }
        | Action::DeleteActivity { owner }
        | Action::RestoreActivity { owner }
        | Action::CompleteFollowUp { owner }
        | Action::ClearCompanyContact { owner }
        | Action::ClearCallListEntry { assigned: owner } => owns(actor, owner),
    }
}

pub fn authorize(actor: &Actor, action: &Action<'_>) -> AppResult<()> {
    if allows(actor, action) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{} is not allowed for this user",
            action.name()
        )))
    }
}

/// The private summary of an ORGANISATION-visible activity (and its agreements' notes) is
/// shown only inside the organisation that owns it.
pub fn sees_private_notes(actor: &Actor, owner: &str) -> bool {
    actor.organisation_id == owner
}

/// Soft-deleted records are visible (for restoring) only to those who may restore them;
/// to everyone else they do not exist.
pub fn sees_deleted(actor: &Actor, owner: &str) -> bool {
    owns(actor, owner)
}

/// Admins read every audit event; others the events of their own organisation's actions and
/// the events about records their organisation owns (also when someone else made the change).
/// What a reader sees *inside* an event is redacted by the same rules as everywhere else.
pub fn reads_all_audit_events(actor: &Actor) -> bool {
    is_admin(actor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreements_are_made_nationally_and_managed_by_their_coordinator() {
        let create = Action::CreateJobServiceAgreement;
        assert!(allows(&actor("national", &[Role::National]), &create));
        assert!(allows(&actor("jc-751", &[Role::Admin]), &create));
        assert!(!allows(&actor("jc-101", &[Role::Coordinator]), &create));
        assert!(!allows(&actor("national", &[Role::Integration]), &create));
        let manage = Action::ManageJobServiceAgreement {
            coordinator: "jc-101",
        };
        assert!(allows(&actor("jc-101", &[Role::Consultant]), &manage));
        assert!(allows(&actor("national", &[Role::National]), &manage));
        assert!(!allows(&actor("jc-751", &[Role::Coordinator]), &manage));
        assert!(!allows(&actor("jc-101", &[Role::Integration]), &manage));
    }

    fn actor(org: &str, roles: &[Role]) -> Actor {
        Actor::for_test(org, roles)
    }

    #[test]
    fn every_role_reads() {
        for role in Role::ALL {
            assert!(can_read(&actor("jc-101", &[role])).is_ok(), "{role}");
        }
        assert!(can_read(&actor("jc-101", &[])).is_err());
    }

    #[test]
    fn ownership_decides_owned_records() {
        let owner = "jc-101";
        let action = Action::SetActivityStatus { owner };
        assert!(allows(&actor("jc-101", &[Role::Consultant]), &action));
        assert!(allows(&actor("jc-101", &[Role::Coordinator]), &action));
        assert!(!allows(&actor("jc-751", &[Role::Consultant]), &action));
        assert!(!allows(&actor("national", &[Role::National]), &action));
        assert!(allows(&actor("jc-751", &[Role::Admin]), &action));
        assert!(!allows(&actor("jc-101", &[Role::Integration]), &action));
    }

    #[test]
    fn private_notes_stay_in_the_owning_organisation() {
        let owner = "jc-101";
        let action = Action::WritePrivateNotes { owner };
        assert!(allows(&actor("jc-101", &[Role::Consultant]), &action));
        assert!(allows(&actor("jc-101", &[Role::Admin]), &action));
        assert!(!allows(&actor("jc-751", &[Role::Admin]), &action));
        assert!(!allows(
            &actor("national", &[Role::Admin, Role::National]),
            &action
        ));
        assert!(!allows(&actor("jc-101", &[Role::Integration]), &action));
        assert!(!sees_private_notes(&actor("jc-751", &[Role::Admin]), owner));
    }

    #[test]
    fn integration_writes_nothing_here_and_only_admins_erase() {
        let integration = actor("national", &[Role::Integration]);
        for action in [
            Action::RegisterCompany,
            Action::AddContactPerson,
            Action::LogActivity,
            Action::EraseContactPerson,
        ] {
            assert!(!allows(&integration, &action), "{action:?}");
        }
        assert!(!allows(
            &actor("jc-101", &[Role::Consultant]),
            &Action::EraseContactPerson
        ));
        assert!(allows(
            &actor("jc-101", &[Role::Admin]),
            &Action::EraseContactPerson
        ));
    }
}

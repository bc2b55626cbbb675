//! The one place that decides what an actor may do. Resolvers and services ask here; no other
//! module compares roles.

use super::{Actor, Role};
use crate::error::{AppError, AppResult};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role]) -> Actor {
        Actor {
            sub: "u".into(),
            name: None,
            organisation_id: "jc-101".into(),
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn every_role_reads() {
        for role in Role::ALL {
            assert!(can_read(&actor(&[role])).is_ok(), "{role}");
        }
        assert!(can_read(&actor(&[])).is_err());
    }

    #[test]
    fn integration_is_not_staff() {
        assert!(!is_staff(&actor(&[Role::Integration])));
        for role in [
            Role::Consultant,
            Role::Coordinator,
            Role::National,
            Role::Admin,
        ] {
            assert!(is_staff(&actor(&[role])), "{role}");
        }
    }
}

//! Who is asking: token verification and the policy that decides what they may do.

pub mod jwt;
pub mod policy;

use std::fmt;
use std::str::FromStr;

pub use jwt::{Claims, TokenVerifier, mint_token};

/// The roles a token may carry (`roles` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Consultant,
    Coordinator,
    National,
    Integration,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Consultant,
        Role::Coordinator,
        Role::National,
        Role::Integration,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Consultant => "consultant",
            Role::Coordinator => "coordinator",
            Role::National => "national",
            Role::Integration => "integration",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

/// A verified caller. Services take it explicitly; nothing reads "who is asking" from a global.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub sub: String,
    pub name: Option<String>,
    pub organisation_id: String,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// An actor for unit tests.
    #[cfg(test)]
    pub fn for_test(org: &str, roles: &[Role]) -> Actor {
        Actor {
            sub: "u".into(),
            name: None,
            organisation_id: org.into(),
            roles: roles.to_vec(),
        }
    }
}

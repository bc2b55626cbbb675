//! SeaORM entities of Kontaktpunkt and the domain enums they store.

pub mod enums;
pub mod municipality;
pub mod organisation;

pub mod prelude {
    pub use super::municipality::Entity as Municipality;
    pub use super::organisation::Entity as Organisation;
}

//! Domain rules and transactions. No GraphQL types here: services take a connection
//! (`&impl ConnectionTrait`, so they run inside a transaction or not) and the `Actor` explicitly.

pub mod reference;

//! Company search by a fragment of the name (`nameContains`, `LIKE '%…%'`) reads a trigram
//! index on PostgreSQL instead of every company: at 20,000 companies a rare fragment cost
//! 7 ms of a full scan and costs 0.7 ms with the index (the planner keeps the ordered
//! `(name_search, id)` index for common fragments). `pg_trgm` ships with PostgreSQL and is a
//! trusted extension (a database owner may create it); where it is not available the
//! migration says so and search keeps working, only slower. SQLite has no such index.

use crate::shapes::on_postgres;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pg_trgm is not available (%): company search by name fragment scans the table', SQLERRM;
END $$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS idx_company_name_trigram
            ON company USING gin (name_search gin_trgm_ops);
    END IF;
END $$;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(manager, "DROP INDEX IF EXISTS idx_company_name_trigram").await
    }
}

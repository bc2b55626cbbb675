use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Name,
    Kind,
    MunicipalityCode,
    RarArea,
}

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Code,
    Name,
    Region,
    RarArea,
    JobcentreId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(
                        ColumnDef::new(Organisation::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Organisation::Name)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Organisation::Kind).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Organisation::MunicipalityCode)
                            .string_len(3)
                            .null(),
                    )
                    .col(ColumnDef::new(Organisation::RarArea).string_len(32).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Municipality::Table)
                    .col(
                        ColumnDef::new(Municipality::Code)
                            .string_len(3)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Municipality::Name)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Municipality::Region)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Municipality::RarArea)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Municipality::JobcentreId)
                            .string_len(64)
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_municipality_jobcentre")
                            .from(Municipality::Table, Municipality::JobcentreId)
                            .to(Organisation::Table, Organisation::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_municipality_jobcentre")
                    .table(Municipality::Table)
                    .col(Municipality::JobcentreId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Municipality::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Organisation::Table).to_owned())
            .await
    }
}

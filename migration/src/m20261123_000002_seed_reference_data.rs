use sea_orm_migration::prelude::*;

use crate::reference_data::{self, NATIONAL_ID, NATIONAL_NAME};

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
        let rows = reference_data::municipalities().map_err(DbErr::Migration)?;
        let jobcentres = reference_data::jobcentres(&rows);

        let mut orgs = Query::insert();
        orgs.into_table(Organisation::Table).columns([
            Organisation::Id,
            Organisation::Name,
            Organisation::Kind,
            Organisation::MunicipalityCode,
            Organisation::RarArea,
        ]);
        orgs.values_panic([
            NATIONAL_ID.into(),
            NATIONAL_NAME.into(),
            "NATIONAL".into(),
            Option::<String>::None.into(),
            Option::<String>::None.into(),
        ]);
        for jc in &jobcentres {
            orgs.values_panic([
                jc.id.clone().into(),
                jc.name.clone().into(),
                "JOBCENTRE".into(),
                Some(jc.municipality_code.clone()).into(),
                Some(jc.rar_area.clone()).into(),
            ]);
        }
        manager.exec_stmt(orgs).await?;

        let mut municipalities = Query::insert();
        municipalities.into_table(Municipality::Table).columns([
            Municipality::Code,
            Municipality::Name,
            Municipality::Region,
            Municipality::RarArea,
            Municipality::JobcentreId,
        ]);
        for m in &rows {
            municipalities.values_panic([
                m.code.clone().into(),
                m.name.clone().into(),
                m.region.clone().into(),
                m.rar_area.clone().into(),
                m.jobcentre.clone().into(),
            ]);
        }
        manager.exec_stmt(municipalities).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(Query::delete().from_table(Municipality::Table).to_owned())
            .await?;
        manager
            .exec_stmt(Query::delete().from_table(Organisation::Table).to_owned())
            .await
    }
}

//! Companies, production units, contact persons and the entry point.

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{
    Context, ID, InputObject, InputType, Lookahead, MaybeUndefined, Object, Result, SelectionField,
    SimpleObject,
};
use chrono::{DateTime, Utc};
use entity::enums::{EntryPointReason, FollowUpStatus, RarArea};
use entity::{company, company_contact, contact_person, production_unit};

use super::activity::{Activity, activity_connection};
use super::fast::Fast;
use super::follow_up::FollowUp;
use super::job_service_agreement::JobServiceAgreement;
use super::loaders::load_one;
use super::reference::{Municipality, Organisation, find_municipality, load_organisation};
use super::{columns_read, connection, db, loaders, reader, write_context};
use crate::error::AppError;
use crate::service::company::{self as svc, Patch};
use crate::service::prefetch::Include;
use crate::service::read::{Reader, Visible};
use crate::service::record::{self, SoftDelete};
use crate::service::{
    activity as activity_svc, company_contact as contact_svc, entry_point, pagination,
};

/// A company as one reader sees it. Shared (`Arc`): a list's rows that show their company take it
/// from the company loader's cache, and a copy of every field for each row was 6 % of the
/// overdue list (callgrind).
pub struct Company(pub Arc<Visible<company::Model>>);

/// A contact person a mutation returns, as the writer may see it.
fn shown_person(reader: &Reader, model: contact_person::Model) -> Result<ContactPerson> {
    reader
        .contact_person(model)
        .map(ContactPerson)
        .ok_or_else(|| AppError::NotFound("contact person not found".into()).into())
}

#[Object]
impl Company {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// CVR number, 8 digits.
    async fn cvr(&self) -> &str {
        &self.0.cvr
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Increases with every change; pass it as `expectedVersion` to `updateCompany`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Industry code (DB07).
    async fn industry_code(&self) -> Option<&str> {
        self.0.industry_code.as_deref()
    }
    async fn municipality(&self, ctx: &Context<'_>) -> Result<Option<Municipality>> {
        let Some(code) = &self.0.municipality_code else {
            return Ok(None);
        };
        find_municipality(ctx, code)
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    /// Employees, as the CVR register publishes it (campaigns target by size).
    async fn employees(&self) -> Option<i32> {
        self.0.employees
    }
    /// The company's sites (P-numbers).
    async fn production_units(&self, ctx: &Context<'_>) -> Result<Vec<Fast<ProductionUnit>>> {
        let rows = load_one(&loaders(ctx)?.production_units, self.0.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|row| Fast(ProductionUnit(row)))
            .collect())
    }
    /// Contact persons (deleted ones are hidden; erased ones stay, without personal data).
    async fn contact_persons(&self, ctx: &Context<'_>) -> Result<Vec<Fast<ContactPerson>>> {
        let loaders = loaders(ctx)?;
        let needed = loaders.pruned.needed(field_of(ctx), || {
            columns_read(&ctx.look_ahead(), contact_person_columns)
        });
        if let Some(rows) = loaders
            .pruned
            .contact_persons
            .get(&self.0.id, needed.as_deref())
        {
            return Ok(rows
                .into_iter()
                .map(|row| Fast(ContactPerson(row)))
                .collect());
        }
        let rows = load_one(&loaders.contact_persons, self.0.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|row| Fast(ContactPerson(row)))
            .collect())
    }
    /// Contact history, newest first.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Fast<Activity>>> {
        let size = pagination::page_size("first", first)?;
        let after = activity_svc::decode_activity_cursor(after.as_deref())?;
        let key = activity_svc::ActivityPageKey {
            company_id: self.0.id.clone(),
            size,
            after,
        };
        let loaders = loaders(ctx)?;
        let needed = loaders
            .pruned
            .needed(field_of(ctx), || activity_columns(&ctx.look_ahead()));
        if let Some(page) = loaders.pruned.activity_pages.get(&key, needed.as_deref()) {
            return Ok(activity_connection(ctx, page));
        }
        let page = load_one(&loaders.activity_pages, key)
            .await?
            .unwrap_or_else(pagination::Page::empty);
        Ok(activity_connection(ctx, page))
    }
    /// Follow-ups of every organisation, by due date; `status` narrows the list.
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        status: Option<FollowUpStatus>,
    ) -> Result<Vec<FollowUp>> {
        let key = (self.0.id.clone(), status);
        let loaders = loaders(ctx)?;
        let needed = loaders.pruned.needed(field_of(ctx), || {
            columns_read(&ctx.look_ahead(), super::follow_up::field_columns)
        });
        if let Some(rows) = loaders.pruned.follow_ups.get(&key, needed.as_deref()) {
            return Ok(rows.into_iter().map(FollowUp).collect());
        }
        let rows = load_one(&loaders.company_follow_ups, key).await?;
        Ok(rows.unwrap_or_default().into_iter().map(FollowUp).collect())
    }
    /// The organisation the company should deal with, and whom to ask for there (see
    /// EntryPointReason). With `municipalityCode`: "who do we call about our site there?" —
    /// the participant of the active job service agreement covering that municipality's RAR
    /// area, else its coordinator; without an agreement, that municipality's jobcentre.
    async fn entry_point(
        &self,
        ctx: &Context<'_>,
        municipality_code: Option<String>,
    ) -> Result<EntryPoint> {
        entry_point_of(
            ctx,
            &self.0,
            municipality_code.as_deref(),
            "municipalityCode",
        )
        .await
    }
    /// Each organisation's fixed contact for the company (one per organisation).
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<Fast<CompanyContact>>> {
        let rows = load_one(&loaders(ctx)?.company_contacts, self.0.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|m| Fast(CompanyContact(m)))
            .collect())
    }
    /// Every job service agreement of the company, newest first.
    async fn job_service_agreements(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<Fast<JobServiceAgreement>>> {
        let rows = load_one(&loaders(ctx)?.agreements_by_company, self.0.id.clone()).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|row| Fast(JobServiceAgreement(row)))
            .collect())
    }
    /// When the company was last contacted (held, booked or cancelled; drafts and deleted
    /// activities do not count).
    async fn last_activity_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(load_one(&loaders(ctx)?.last_activity_at, self.0.id.clone())
            .await?
            .flatten())
    }
}

/// The relations a selection of companies will show, to load with the companies in one
/// statement (`service::prefetch`). Only argument values the resolvers accept are prefetched
/// (anything else is loaded, or refused, by the resolver as before); `@skip`/`@include` are not
/// looked at (a skipped relation is loaded for nothing, never shown).
fn include_of(company: &Lookahead<'_>) -> Include {
    fn arg<T: InputType>(field: &SelectionField<'_>, name: &str) -> Option<T> {
        let args = field.arguments().ok()?;
        let value = args
            .into_iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v);
        T::parse(value).ok()
    }
    let people = company.field("contactPersons");
    let mut include = Include {
        contact_persons: people.exists(),
        contact_person_columns: columns_read(&people, contact_person_columns),
        production_units: company.field("productionUnits").exists(),
        follow_up_columns: columns_read(
            &company.field("followUps"),
            super::follow_up::field_columns,
        ),
        ..Include::default()
    };
    let activities = company.field("activities");
    include.activity_columns = activity_columns(&activities);
    for field in activities.selection_fields() {
        let after: Option<Option<String>> = arg(&field, "after");
        if after != Some(None) {
            continue;
        }
        if let Some(Ok(size)) =
            arg(&field, "first").map(|first| pagination::page_size("first", first))
        {
            include.activity_page(size);
        }
    }
    for field in company.field("followUps").selection_fields() {
        if let Some(status) = arg::<Option<FollowUpStatus>>(&field, "status") {
            include.follow_ups(status);
        }
    }
    include.entry_point = company
        .field("entryPoint")
        .selection_fields()
        .iter()
        .any(|field| arg::<Option<String>>(field, "municipalityCode") == Some(None));
    include
}

/// The place of the field being resolved in the request's document (the same for every
/// company the field is resolved for).
fn field_of(ctx: &Context<'_>) -> usize {
    std::ptr::from_ref(ctx.item) as usize
}

/// The activity columns a selection of activity connections reads (`None`: all of them).
fn activity_columns(connections: &Lookahead<'_>) -> Option<Vec<entity::activity::Column>> {
    let mut columns = columns_read(
        &super::connection_nodes(connections)?,
        super::activity::field_columns,
    )?;
    if super::shows_cursors(connections) {
        columns.extend_from_slice(super::activity::CURSOR_COLUMNS);
    }
    Some(columns)
}

/// The contact person columns a field of `ContactPerson` reads (see
/// `activity::field_columns`).
pub fn contact_person_columns(field: &str) -> Option<&'static [contact_person::Column]> {
    use contact_person::Column as C;
    Some(match field {
        // The list holds no deleted person.
        "deletedAt" | "__typename" => &[],
        "id" => &[C::Id],
        "organisation" => &[C::OrganisationId],
        "name" => &[C::Name],
        "email" => &[C::Email],
        "phone" => &[C::Phone],
        "title" => &[C::Title],
        "erased" => &[C::Erased],
        "version" => &[C::Version],
        _ => return None,
    })
}

/// Rule 2 for `company` (or its site in `site`), its facts loaded in batches.
async fn entry_point_of(
    ctx: &Context<'_>,
    company: &company::Model,
    site: Option<&str>,
    field: &str,
) -> Result<EntryPoint> {
    let loaders = loaders(ctx)?;
    let facts = match site {
        None => load_one(&loaders.entry_point_facts, company.id.clone()).await?,
        Some(_) => load_one(&loaders.site_facts, company.id.clone()).await?,
    }
    .unwrap_or_default();
    let e = entry_point::entry_point(company, site, field, &facts, super::catalogue(ctx)?)?;
    Ok(EntryPoint {
        organisation: load_organisation(ctx, &e.organisation_id).await?,
        reason: e.reason,
        contact_name: e.contact_name,
        contact_email: e.contact_email,
        contact_phone: e.contact_phone,
    })
}

#[derive(SimpleObject)]
pub struct EntryPoint {
    pub organisation: Fast<Organisation>,
    pub reason: EntryPointReason,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

pub struct ProductionUnit(pub Visible<production_unit::Model>);

#[Object]
impl ProductionUnit {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// P-number, 10 digits.
    async fn p_number(&self) -> &str {
        &self.0.p_number
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn municipality(&self, ctx: &Context<'_>) -> Result<Option<Municipality>> {
        let Some(code) = &self.0.municipality_code else {
            return Ok(None);
        };
        find_municipality(ctx, code)
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Whom to call about this site: the company's entry point for the site's municipality
    /// (the company's own when the site has none on record).
    async fn entry_point(&self, ctx: &Context<'_>) -> Result<EntryPoint> {
        let company = load_one(&loaders(ctx)?.company, self.0.company_id.clone())
            .await?
            .ok_or_else(|| AppError::Internal("production unit without company".into()))?;
        entry_point_of(
            ctx,
            &company,
            self.0.municipality_code.as_deref(),
            "municipality",
        )
        .await
    }
}

/// An organisation's fixed contact (fast kontaktperson) for a company.
pub struct CompanyContact(pub Visible<company_contact::Model>);

#[Object]
impl CompanyContact {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The organisation this is the fixed contact of.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    /// The staff user's id, when the contact is a user of the system.
    async fn sub(&self) -> Option<&str> {
        self.0.sub.as_deref()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct CompanyContactInput {
    /// The staff user's id (`sub` in their token), when the contact uses the system.
    pub sub: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub struct ContactPerson(pub Visible<contact_person::Model>);

#[Object]
impl ContactPerson {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Null once erased.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// Personal data removed (`eraseContactPerson`); the row stays so history adds up.
    async fn erased(&self) -> bool {
        self.0.erased
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The organisation that added the person (it may delete and restore it).
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    /// Set while the person is deleted (soft; restorable).
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at
    }
}

#[derive(InputObject, Default)]
pub struct CompanyFilter {
    pub municipality_code: Option<String>,
    pub rar_area: Option<RarArea>,
    /// Case-insensitive part of the name (æ, ø, å included).
    pub name_contains: Option<String>,
    /// Industry code or its prefix ("62" matches "620100").
    pub industry_code: Option<String>,
    pub has_active_job_service_agreement: Option<bool>,
}

#[derive(InputObject)]
pub struct RegisterCompanyInput {
    pub cvr: String,
    pub name: String,
    pub industry_code: Option<String>,
    pub municipality_code: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    /// Employees, as the CVR register publishes it (0 to 1,000,000).
    pub employees: Option<i32>,
}

/// Fields left out are kept; fields set to null are cleared (except `name`).
#[derive(InputObject)]
pub struct UpdateCompanyInput {
    pub name: MaybeUndefined<String>,
    pub industry_code: MaybeUndefined<String>,
    pub municipality_code: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub postal_code: MaybeUndefined<String>,
    pub employees: MaybeUndefined<i32>,
}

#[derive(InputObject)]
pub struct ContactPersonInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
}

#[derive(InputObject)]
pub struct ProductionUnitInput {
    /// 10 digits; no checksum is enforced.
    pub p_number: String,
    pub name: Option<String>,
    pub municipality_code: Option<String>,
    pub address: Option<String>,
}

/// An update's field: left out keeps it, null clears it, a value sets it.
pub fn patch<T>(v: MaybeUndefined<T>) -> Patch<T> {
    match v {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(x) => Patch::Set(x),
    }
}

#[derive(Default)]
pub struct CompanyQuery;

#[Object]
impl CompanyQuery {
    /// One company by id or by CVR number (exactly one of them).
    async fn company(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        cvr: Option<String>,
    ) -> Result<Option<Company>> {
        let include = include_of(&ctx.look_ahead());
        let found = svc::get(
            db(ctx)?,
            reader(ctx)?,
            id.as_ref().map(|i| i.as_str()),
            cvr.as_deref(),
            &include,
        )
        .await?;
        let Some((company, related)) = found else {
            return Ok(None);
        };
        loaders(ctx)?
            .feed_companies(vec![(company.id.clone(), related)])
            .await;
        Ok(Some(Company(Arc::new(company))))
    }

    /// Companies by name, filtered; at most 100 per page.
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        filter: Option<CompanyFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Fast<Company>>> {
        let f = filter.unwrap_or_default();
        let filter = svc::CompanyFilter {
            municipality_code: f.municipality_code,
            rar_area: f.rar_area,
            name_contains: f.name_contains,
            industry_code: f.industry_code,
            has_active_job_service_agreement: f.has_active_job_service_agreement,
        };
        let include = super::connection_nodes(&ctx.look_ahead())
            .map(|company| include_of(&company))
            .unwrap_or_default();
        let page = svc::list(
            db(ctx)?,
            reader(ctx)?,
            &filter,
            first,
            after.as_deref(),
            &include,
        )
        .await?;
        let mut related = Vec::with_capacity(page.rows.len());
        let page = page.filter_map(|(company, r)| {
            related.push((company.id.clone(), r));
            Some(company)
        });
        loaders(ctx)?.feed_companies(related).await;
        Ok(connection(
            ctx,
            page,
            |c| svc::company_cursor(c),
            |c| Company(Arc::new(c)),
        ))
    }
}

#[derive(Default)]
pub struct CompanyMutation;

#[Object]
impl CompanyMutation {
    /// Registers a company by CVR; an existing CVR returns the existing company unchanged.
    async fn register_company(
        &self,
        ctx: &Context<'_>,
        input: RegisterCompanyInput,
    ) -> Result<Company> {
        let w = write_context(ctx)?;
        let model = svc::register(
            db(ctx)?,
            &w,
            svc::RegisterCompanyInput {
                cvr: input.cvr,
                name: input.name,
                industry_code: input.industry_code,
                municipality_code: input.municipality_code,
                address: input.address,
                postal_code: input.postal_code,
                employees: input.employees,
            },
        )
        .await?;
        Ok(Company(Arc::new(reader(ctx)?.company(model))))
    }

    /// Changes master data; fails with VERSION_CONFLICT when `expectedVersion` is stale.
    async fn update_company(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateCompanyInput,
    ) -> Result<Company> {
        let w = write_context(ctx)?;
        let model = svc::update(
            db(ctx)?,
            &w,
            &id,
            expected_version,
            svc::UpdateCompanyInput {
                name: patch(input.name),
                industry_code: patch(input.industry_code),
                municipality_code: patch(input.municipality_code),
                address: patch(input.address),
                postal_code: patch(input.postal_code),
                employees: patch(input.employees),
            },
        )
        .await?;
        Ok(Company(Arc::new(reader(ctx)?.company(model))))
    }

    /// Adds a site; the same P-number again on the same company returns it unchanged.
    async fn add_production_unit(
        &self,
        ctx: &Context<'_>,
        company_id: ID,
        input: ProductionUnitInput,
    ) -> Result<ProductionUnit> {
        let w = write_context(ctx)?;
        let model = svc::add_production_unit(
            db(ctx)?,
            &w,
            &company_id,
            svc::ProductionUnitInput {
                p_number: input.p_number,
                name: input.name,
                municipality_code: input.municipality_code,
                address: input.address,
            },
        )
        .await?;
        Ok(ProductionUnit(reader(ctx)?.production_unit(model)))
    }

    async fn add_contact_person(
        &self,
        ctx: &Context<'_>,
        company_id: ID,
        input: ContactPersonInput,
    ) -> Result<ContactPerson> {
        let w = write_context(ctx)?;
        let model = svc::add_contact_person(
            db(ctx)?,
            &w,
            &company_id,
            svc::ContactPersonInput {
                name: input.name,
                email: input.email,
                phone: input.phone,
                title: input.title,
            },
        )
        .await?;
        shown_person(reader(ctx)?, model)
    }

    /// Hides a contact person (soft; the adding organisation or an admin may restore it).
    async fn delete_contact_person(&self, ctx: &Context<'_>, id: ID) -> Result<ContactPerson> {
        let w = write_context(ctx)?;
        let model: contact_person::Model =
            record::set_deleted(db(ctx)?, &w, &id, SoftDelete::Delete).await?;
        shown_person(reader(ctx)?, model)
    }

    async fn restore_contact_person(&self, ctx: &Context<'_>, id: ID) -> Result<ContactPerson> {
        let w = write_context(ctx)?;
        let model: contact_person::Model =
            record::set_deleted(db(ctx)?, &w, &id, SoftDelete::Restore).await?;
        shown_person(reader(ctx)?, model)
    }

    /// Names the caller's organisation's fixed contact for the company; setting it again
    /// replaces it.
    async fn set_company_contact(
        &self,
        ctx: &Context<'_>,
        company_id: ID,
        input: CompanyContactInput,
    ) -> Result<CompanyContact> {
        let w = write_context(ctx)?;
        let model = contact_svc::set(
            db(ctx)?,
            &w,
            &company_id,
            contact_svc::ContactInput {
                sub: input.sub,
                name: input.name,
                email: input.email,
                phone: input.phone,
            },
        )
        .await?;
        Ok(CompanyContact(reader(ctx)?.company_contact(model)))
    }

    /// Removes an organisation's fixed contact for the company (the caller's own
    /// organisation's unless `organisationId` names another; that takes an admin). Returns
    /// the contact removed.
    async fn clear_company_contact(
        &self,
        ctx: &Context<'_>,
        company_id: ID,
        organisation_id: Option<ID>,
    ) -> Result<CompanyContact> {
        let w = write_context(ctx)?;
        let model = contact_svc::clear(
            db(ctx)?,
            &w,
            &company_id,
            organisation_id.as_ref().map(|o| o.as_str()),
        )
        .await?;
        Ok(CompanyContact(reader(ctx)?.company_contact(model)))
    }

    /// Removes name, e-mail and phone from the person and from the audit trail (admins).
    async fn erase_contact_person(&self, ctx: &Context<'_>, id: ID) -> Result<ContactPerson> {
        let w = write_context(ctx)?;
        let model = svc::erase_contact_person(db(ctx)?, &w, &id).await?;
        shown_person(reader(ctx)?, model)
    }
}

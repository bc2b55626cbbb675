//! A deterministic national demo data set (`kontaktpunkt seed-demo`): companies with valid CVR
//! numbers over the 98 municipalities (weighted roughly by population), contact persons,
//! three years of activities by every organisation (some private), agreements and follow-ups
//! (a share overdue), and coordination: job service agreements for about one company in 200
//! (mostly ACTIVE, with regional participants; some status meetings due or overdue), fixed
//! contacts of the home jobcentre for about one in 20, and Jobservice Danmark joining some
//! visits. Campaigns: a national company campaign under way and an earlier one for large
//! companies, their call lists (about one company in 20, each assigned to its home jobcentre)
//! in every state of the funnel, the call centre's calls, the meetings booked on the
//! jobcentres' behalf (held, cancelled, no-shows, still ahead) with outcomes and follow-ups,
//! and survey responses after some held meetings; companies carry an employee count. The same
//! `--companies` and `--seed` give the same rows.
//!
//! Rows are written with bulk inserts, in transactions of a few thousand rows, and are rows the
//! API could have written (valid CVRs, enums, ownership, versions). Demo rows carry no audit
//! events: they were never changed by anyone.

use crate::db::Db;
use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, AgreementKind, CallListStatus, FollowUpStatus, InitiatedBy,
    JobServiceAgreementStatus, OrganisationKind, RarArea, Visibility,
};
use entity::{
    activity, activity_participant, agreement, call_list_entry, campaign, company, company_contact,
    contact_person, follow_up, job_service_agreement, job_service_agreement_participant,
    municipality, organisation, survey_response,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    Set, TransactionTrait,
};

use super::company::search_key;
use super::reference::NATIONAL_ID;
use super::validation::danish_today;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub companies: u32,
    pub seed: u64,
    /// Activities per company on average (default 5: 1,000,000 for 200,000 companies).
    pub activities_per_company: u32,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            companies: 200_000,
            seed: 1,
            activities_per_company: 5,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedCounts {
    pub companies: u64,
    pub contact_persons: u64,
    pub activities: u64,
    pub agreements: u64,
    pub follow_ups: u64,
    /// Job service agreements of every status ...
    pub job_service_agreements: u64,
    /// ... of which ACTIVE (at most one per company).
    pub active_job_service_agreements: u64,
    pub job_service_agreement_participants: u64,
    /// Fixed contacts (company_contact).
    pub company_contacts: u64,
    /// Organisations that joined an activity (a joint visit).
    pub activity_participants: u64,
    pub campaigns: u64,
    pub call_list_entries: u64,
    /// Campaign VISITs (booked on a jobcentre's behalf), among the activities.
    pub campaign_visits: u64,
    /// The call centre's campaign PHONE calls, among the activities.
    pub campaign_calls: u64,
    pub survey_responses: u64,
}

impl SeedCounts {
    /// Rows written (ACTIVE agreements are counted once, among the agreements).
    pub fn total(&self) -> u64 {
        self.companies
            + self.contact_persons
            + self.activities
            + self.agreements
            + self.follow_ups
            + self.job_service_agreements
            + self.job_service_agreement_participants
            + self.company_contacts
            + self.activity_participants
            + self.campaigns
            + self.call_list_entries
            + self.survey_responses
    }
}

/// Rows per INSERT: well under both databases' bound-parameter limits.
const CHUNK: usize = 400;
/// Companies per transaction (with everything that hangs off them).
const BATCH: u32 = 2_000;

/// Inhabitants (thousands) of the largest municipalities; the others count 40.
const POPULATION: &[(&str, u32)] = &[
    ("101", 660),
    ("751", 370),
    ("851", 222),
    ("461", 210),
    ("561", 117),
    ("630", 120),
    ("147", 105),
    ("730", 100),
    ("621", 95),
    ("615", 98),
    ("791", 98),
    ("657", 90),
    ("265", 90),
    ("607", 62),
    ("157", 78),
    ("159", 77),
];

const FIRST: &[&str] = &[
    "Anne", "Mette", "Hanne", "Kirsten", "Susanne", "Maria", "Lone", "Camilla", "Peter", "Jens",
    "Lars", "Michael", "Henrik", "Thomas", "Søren", "Niels", "Rasmus", "Mads", "Ida", "Freja",
];
const LAST: &[&str] = &[
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Møller",
];
const WORDS: &[&str] = &[
    "Nordisk",
    "Fynsk",
    "Jysk",
    "Sjællandsk",
    "Øresund",
    "Limfjord",
    "Kyst",
    "Skov",
    "Ådal",
    "Bølge",
    "Grøn",
    "Vest",
    "Øst",
    "Syd",
    "Nord",
    "Hede",
    "Bakke",
    "Mølle",
    "Eng",
    "Fjord",
];
const TRADES: &[(&str, &str)] = &[
    ("Stål", "251100"),
    ("Byg", "412000"),
    ("Transport", "494100"),
    ("Pleje", "871000"),
    ("Rengøring", "812100"),
    ("Data", "620100"),
    ("Mejeri", "105100"),
    ("Slagteri", "101100"),
    ("Maskinfabrik", "282200"),
    ("Elektro", "432100"),
    ("Restaurant", "561010"),
    ("Handel", "471100"),
    ("Logistik", "521000"),
    ("Vvs", "432200"),
    ("Møbler", "310900"),
];
const FORMS: &[&str] = &["ApS", "A/S", "I/S", "& Co.", "ApS", "A/S"];
const STREETS: &[&str] = &[
    "Industrivej",
    "Hovedgaden",
    "Vestergade",
    "Østergade",
    "Havnevej",
    "Fabriksvej",
    "Erhvervsvej",
    "Stationsvej",
    "Skolevej",
    "Kongevejen",
];
const SUMMARIES: &[&str] = &[
    "Drøftede rekrutteringsbehov til næste kvartal",
    "Virksomheden mangler faglærte til ny produktionslinje",
    "Gennemgik muligheder for praktik og løntilskud",
    "Opfølgning på tidligere aftale om jobordre",
    "Virksomheden vil gerne tage en voksenlærling",
    "Status på fastholdelse af sygemeldt medarbejder",
];

/// Status of the n-th company with a job service agreement: mostly ACTIVE, one in eight
/// PROPOSED and one in eight ENDED (the first company with one is ACTIVE).
const AGREEMENT_CYCLE: [JobServiceAgreementStatus; 8] = [
    JobServiceAgreementStatus::Active,
    JobServiceAgreementStatus::Active,
    JobServiceAgreementStatus::Proposed,
    JobServiceAgreementStatus::Active,
    JobServiceAgreementStatus::Active,
    JobServiceAgreementStatus::Ended,
    JobServiceAgreementStatus::Active,
    JobServiceAgreementStatus::Active,
];

/// Whether the `index`-th company (0-based, in seeding order) has a job service agreement:
/// one in 200, and one in 20 of the first 200 (the demo has no company sizes; its first
/// companies stand for the large employers Jobservice Danmark makes agreements with).
fn has_job_service_agreement(index: u32) -> bool {
    index.is_multiple_of(200) || (index < 200 && index.is_multiple_of(20))
}

/// The label a participant's region goes by.
fn region_label(area: RarArea) -> &'static str {
    match area {
        RarArea::Nordjylland => "Nord",
        RarArea::Vestjylland => "Vest",
        RarArea::Oestjylland => "Midt",
        RarArea::Fyn | RarArea::Sydjylland => "Syddanmark",
        RarArea::Bornholm | RarArea::Hovedstaden | RarArea::Sjaelland => "Øst",
    }
}

/// A person at an organisation: name, e-mail, phone (valid under the services' rules).
fn staff(rng: &mut StdRng, organisation: &str) -> (String, String, String) {
    let (first, last) = (*pick(rng, FIRST), *pick(rng, LAST));
    (
        format!("{first} {last}"),
        format!(
            "{}.{}@{organisation}.dk",
            first.to_lowercase(),
            last.to_lowercase()
        ),
        format!("+45 {}", rng.random_range(20_000_000..99_999_999)),
    )
}

/// 08:00 UTC on `date`.
fn morning(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc() + Duration::hours(8)
}

fn months_after(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(date)
}

/// An agreement signed on `signed` and ENDED on `ended_on`: created, activated and ended
/// (version 3), its last status meeting date as it stood when it ended.
fn ended(
    rng: &mut StdRng,
    company_id: &str,
    coordinator: &str,
    (name, email, phone): (String, String, String),
    signed: NaiveDate,
    ended_on: NaiveDate,
) -> job_service_agreement::ActiveModel {
    let created = morning(signed) - Duration::days(rng.random_range(7..60));
    let activated = morning(signed) + Duration::days(rng.random_range(0..14));
    let ended_at = morning(ended_on).max(activated + Duration::days(1));
    let mut next = months_after(signed, 6);
    let mut k = 1;
    while next < ended_on {
        k += 1;
        next = months_after(signed, 6 * k);
    }
    job_service_agreement::ActiveModel {
        id: Set(id(rng)),
        company_id: Set(company_id.to_owned()),
        coordinator_id: Set(coordinator.to_owned()),
        coordinator_contact_name: Set(Some(name)),
        coordinator_contact_email: Set(Some(email)),
        coordinator_contact_phone: Set(Some(phone)),
        status: Set(JobServiceAgreementStatus::Ended),
        signed_on: Set(Some(signed)),
        ends_on: Set(Some(months_after(signed, 36).max(ended_on))),
        next_status_meeting_on: Set(Some(next)),
        activated_at: Set(Some(activated)),
        ended_at: Set(Some(ended_at)),
        created_by_sub: Set(format!("demo@{NATIONAL_ID}")),
        version: Set(3),
        created_at: Set(created),
        updated_at: Set(ended_at),
    }
}

/// The coordination rows (job service agreements, fixed contacts, joint visits) draw from a
/// generator of their own, so that the rows seeded before them stay the same for a seed.
struct Coordination {
    rng: StdRng,
    /// Jobcentres by RAR area (areas and jobcentres in a fixed order).
    areas: Vec<(RarArea, Vec<String>)>,
    area_of: HashMap<String, RarArea>,
    jobcentres: Vec<String>,
    /// Companies given an agreement so far.
    agreements: usize,
}

impl Coordination {
    fn new(seed: u64, organisations: &[organisation::Model]) -> Coordination {
        let mut jobcentres: Vec<&organisation::Model> = organisations
            .iter()
            .filter(|o| o.kind == OrganisationKind::Jobcentre)
            .collect();
        jobcentres.sort_by(|a, b| a.id.cmp(&b.id));
        let mut areas: Vec<(RarArea, Vec<String>)> = Vec::new();
        let mut area_of = HashMap::new();
        for o in &jobcentres {
            let Some(area) = o.rar_area else { continue };
            area_of.insert(o.id.clone(), area);
            match areas.iter_mut().find(|(a, _)| *a == area) {
                Some((_, ids)) => ids.push(o.id.clone()),
                None => areas.push((area, vec![o.id.clone()])),
            }
        }
        Coordination {
            rng: StdRng::seed_from_u64(seed ^ 0x6a6f_6273_6572_7669),
            areas,
            area_of,
            jobcentres: jobcentres.iter().map(|o| o.id.clone()).collect(),
            agreements: 0,
        }
    }
}

const EXCLUSION_REASONS: &[&str] = &[
    "Virksomheden er allerede i dialog med jobcentret om en rekruttering",
    "Virksomheden har frabedt sig opkald",
    "Virksomheden er under konkursbehandling",
    "Jobcentret har et møde med virksomheden i kalenderen",
    "Virksomheden har en samarbejdsaftale med jobcentret",
];
const CAMPAIGN_NOTES: &[&str] = &[
    "Møde booket af kampagnens callcenter",
    "Virksomheden ønsker at høre om rekruttering og løntilskud",
    "Kontaktperson er HR-chefen; mødet holdes på adressen",
];
const SURVEY_COMMENTS: &[&str] = &[
    "Godt og konkret møde",
    "Konsulenten kendte vores branche",
    "Vi mangler stadig at høre fra jobcentret",
];

/// The campaign rows (campaigns, call list entries, the call centre's calls, the meetings
/// booked on the jobcentres' behalf and what came of them, survey responses) and the
/// companies' employee counts draw from a generator of their own, so that the rows seeded
/// before them stay the same for a seed.
struct Campaigns {
    rng: StdRng,
    /// The campaign under way (started 120 days ago, ends in 90) ...
    current: campaign::Model,
    /// ... and an earlier one for large companies (1,000 employees or more), over.
    earlier: campaign::Model,
}

impl Campaigns {
    fn new(seed: u64, now: DateTime<Utc>, today: NaiveDate) -> Campaigns {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x6b61_6d70_6167_6e65);
        let mut campaign = |name: &str, starts_on: NaiveDate, ends_on: NaiveDate| {
            let created = (morning(starts_on) - Duration::days(rng.random_range(7..30))).min(now);
            campaign::Model {
                id: id(&mut rng),
                name: name.to_owned(),
                starts_on,
                ends_on,
                organisation_id: NATIONAL_ID.to_owned(),
                created_by_sub: format!("demo@{NATIONAL_ID}"),
                version: 1,
                created_at: created,
                updated_at: created,
            }
        };
        let current = campaign(
            "Landsdækkende virksomhedskampagne",
            today - Duration::days(120),
            today + Duration::days(90),
        );
        let earlier = campaign(
            "Store virksomheder på tværs af landet",
            today - Duration::days(540),
            today - Duration::days(300),
        );
        Campaigns {
            rng,
            current,
            earlier,
        }
    }

    /// A skewed employee count, 1 to 5,000 (median about 20; one company in 15 has 1,000 or
    /// more).
    fn employees(&mut self) -> i32 {
        let u: f64 = self.rng.random();
        (5_000f64.powf(u * u * u).round() as i32).clamp(1, 5_000)
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// The `n`-th CVR number of a permutation of all 7-digit prefixes (so numbers never repeat),
/// skipping prefixes whose check digit would be 10.
struct Cvrs {
    next: u64,
    offset: u64,
}

impl Cvrs {
    const RANGE: u64 = 9_000_000;
    /// Coprime with 9,000,000 (= 2^6 · 3^2 · 5^6), so `i * STRIDE` permutes the range.
    const STRIDE: u64 = 7_919;

    fn new(seed: u64) -> Cvrs {
        Cvrs {
            next: 0,
            offset: seed.wrapping_mul(2_654_435_761) % Self::RANGE,
        }
    }

    fn next(&mut self) -> AppResult<String> {
        loop {
            if self.next >= Self::RANGE {
                return Err(AppError::Internal("no CVR numbers left".into()));
            }
            let prefix = 1_000_000 + (self.next * Self::STRIDE + self.offset) % Self::RANGE;
            self.next += 1;
            let digits: Vec<u32> = prefix
                .to_string()
                .bytes()
                .map(|b| u32::from(b - b'0'))
                .collect();
            let sum: u32 = digits
                .iter()
                .zip([2, 7, 6, 5, 4, 3, 2])
                .map(|(d, w)| d * w)
                .sum();
            let check = (11 - sum % 11) % 11;
            if check < 10 {
                return Ok(format!("{prefix}{check}"));
            }
        }
    }
}

/// A deterministic id from the seed's generator (UUID v4 layout; demo rows only).
fn id(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// Seeds `db` (migrated, without companies). Returns the rows written.
pub async fn seed(db: &Db, options: &SeedOptions) -> AppResult<SeedCounts> {
    if company::Entity::find().count(db).await? > 0 {
        return Err(AppError::Conflict(
            "the database already holds companies; seed-demo fills an empty record".into(),
        ));
    }
    let municipalities = municipality::Entity::find().all(db).await?;
    if municipalities.is_empty() {
        return Err(AppError::Internal(
            "reference data missing: migrate first".into(),
        ));
    }
    let weights: Vec<(String, String, u32)> = municipalities
        .iter()
        .map(|m| {
            let w = POPULATION
                .iter()
                .find(|(code, _)| *code == m.code)
                .map_or(40, |(_, w)| *w);
            (m.code.clone(), m.jobcentre_id.clone(), w)
        })
        .collect();
    let total_weight: u32 = weights.iter().map(|(_, _, w)| w).sum();
    let mut organisations: Vec<String> = weights.iter().map(|(_, jc, _)| jc.clone()).collect();
    organisations.sort();
    organisations.dedup();
    organisations.push(NATIONAL_ID.to_owned());
    let mut coordination =
        Coordination::new(options.seed, &organisation::Entity::find().all(db).await?);

    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut cvrs = Cvrs::new(options.seed);
    // A fixed "now" per seed day keeps the rows of one seed the same within a day.
    let now = Utc::now();
    let today = danish_today(now);
    let mut counts = SeedCounts::default();
    let mut campaigns = Campaigns::new(options.seed, now, today);
    counts.campaigns = insert(
        db,
        [&campaigns.current, &campaigns.earlier]
            .into_iter()
            .map(|c| c.clone().into_active_model().reset_all())
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut done = 0;
    while done < options.companies {
        let n = BATCH.min(options.companies - done);
        let mut rows = Rows::default();
        for k in 0..n {
            rows.company(
                &mut rng,
                &mut coordination,
                &mut campaigns,
                done + k,
                &mut cvrs,
                &weights,
                total_weight,
                &organisations,
                options,
                now,
                today,
            )?;
        }
        rows.write(db, &mut counts).await?;
        done += n;
    }
    Ok(counts)
}

#[derive(Default)]
struct Rows {
    companies: Vec<company::ActiveModel>,
    people: Vec<contact_person::ActiveModel>,
    activities: Vec<activity::ActiveModel>,
    agreements: Vec<agreement::ActiveModel>,
    follow_ups: Vec<follow_up::ActiveModel>,
    job_service_agreements: Vec<job_service_agreement::ActiveModel>,
    agreement_participants: Vec<job_service_agreement_participant::ActiveModel>,
    company_contacts: Vec<company_contact::ActiveModel>,
    activity_participants: Vec<activity_participant::ActiveModel>,
    call_list_entries: Vec<call_list_entry::ActiveModel>,
    survey_responses: Vec<survey_response::ActiveModel>,
    active: u64,
    campaign_visits: u64,
    campaign_calls: u64,
}

impl Rows {
    #[allow(clippy::too_many_arguments)]
    fn company(
        &mut self,
        rng: &mut StdRng,
        coordination: &mut Coordination,
        campaigns: &mut Campaigns,
        index: u32,
        cvrs: &mut Cvrs,
        weights: &[(String, String, u32)],
        total_weight: u32,
        organisations: &[String],
        options: &SeedOptions,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> AppResult<()> {
        let mut ticket = rng.random_range(0..total_weight);
        let (code, jobcentre) = weights
            .iter()
            .find(|(_, _, w)| {
                let hit = ticket < *w;
                ticket = ticket.saturating_sub(*w);
                hit
            })
            .map(|(c, j, _)| (c.clone(), j.clone()))
            .ok_or_else(|| AppError::Internal("municipality weights".into()))?;
        let (trade, industry) = *pick(rng, TRADES);
        let name = format!("{} {trade} {}", pick(rng, WORDS), pick(rng, FORMS));
        let created = now - Duration::days(rng.random_range(365..3_650));
        let company_id = id(rng);
        self.companies.push(company::ActiveModel {
            id: Set(company_id.clone()),
            cvr: Set(cvrs.next()?),
            name_search: Set(search_key(&name)),
            name: Set(name),
            industry_code: Set(Some(industry.to_owned())),
            municipality_code: Set(Some(code)),
            address: Set(Some(format!(
                "{} {}",
                pick(rng, STREETS),
                rng.random_range(1..200)
            ))),
            postal_code: Set(Some(rng.random_range(1_000..9_990).to_string())),
            employees: Set(None),
            version: Set(1),
            created_at: Set(created),
            updated_at: Set(created),
        });
        for _ in 0..rng.random_range(1..=3) {
            let (first, last) = (*pick(rng, FIRST), *pick(rng, LAST));
            self.people.push(contact_person::ActiveModel {
                id: Set(id(rng)),
                company_id: Set(company_id.clone()),
                organisation_id: Set(jobcentre.clone()),
                name: Set(Some(format!("{first} {last}"))),
                email: Set(Some(format!(
                    "{}.{}@firma.dk",
                    first.to_lowercase(),
                    last.to_lowercase()
                ))),
                phone: Set(Some(format!(
                    "+45 {}",
                    rng.random_range(20_000_000..99_999_999)
                ))),
                title: Set(Some("HR".into())),
                erased: Set(false),
                version: Set(1),
                created_at: Set(created),
                updated_at: Set(created),
                deleted_at: Set(None),
            });
        }
        let activities = rng.random_range(0..=2 * options.activities_per_company);
        for _ in 0..activities {
            self.activity(rng, &company_id, &jobcentre, organisations, now, today);
            self.joint_visit(coordination, now);
        }
        self.coordination(coordination, index, &company_id, &jobcentre, now, today);
        self.campaigns(campaigns, index, &company_id, &jobcentre, now);
        Ok(())
    }

    /// The company's employee count, and its entries on the campaigns' call lists: one company
    /// in 25 (one in four of the first 100) on the current campaign's list, one in six of
    /// those with 1,000 employees or more on the earlier one's.
    fn campaigns(
        &mut self,
        c: &mut Campaigns,
        index: u32,
        company_id: &str,
        home: &str,
        now: DateTime<Utc>,
    ) {
        let employees = c.employees();
        if let Some(row) = self.companies.last_mut() {
            row.employees = Set(Some(employees));
        }
        let current = c.rng.random_range(0..100) < 4 || (index < 100 && index.is_multiple_of(4));
        if current {
            let campaign = c.current.clone();
            self.call_list_entry(c, &campaign, company_id, home, now);
        }
        if employees >= 1_000 && c.rng.random_range(0..6) == 0 {
            let campaign = c.earlier.clone();
            self.call_list_entry(c, &campaign, company_id, home, now);
        }
    }

    /// One entry on `campaign`'s list, assigned to the home jobcentre, taken as far down the
    /// funnel as the API would have taken it by now: added when the campaign started, cleared
    /// or excluded by the jobcentre, called by the call centre (national PHONE contacts in the
    /// campaign), a VISIT booked on the jobcentre's behalf for one of its consultants, then
    /// held (an outcome, agreements, a follow-up, sometimes a survey response), cancelled by
    /// the company (the entry DECLINED), a no-show, or still ahead. Meetings booked more than
    /// 42 days ahead are cancelled more often, as the evaluation found.
    fn call_list_entry(
        &mut self,
        c: &mut Campaigns,
        campaign: &campaign::Model,
        company_id: &str,
        home: &str,
        now: DateTime<Utc>,
    ) {
        let rng = &mut c.rng;
        let start = morning(campaign.starts_on).min(now);
        let added = (start + Duration::minutes(rng.random_range(0..21 * 24 * 60))).min(now);
        let entry_id = id(rng);
        let mut row = call_list_entry::ActiveModel {
            id: Set(entry_id),
            campaign_id: Set(campaign.id.clone()),
            company_id: Set(company_id.to_owned()),
            organisation_id: Set(home.to_owned()),
            status: Set(CallListStatus::PendingClearance),
            exclusion_reason: Set(None),
            call_attempts: Set(0),
            activity_id: Set(None),
            cleared_by_sub: Set(None),
            cleared_at: Set(None),
            version: Set(1),
            created_at: Set(added),
            updated_at: Set(added),
        };
        let roll = rng.random_range(0..100);
        let cleared_at = added + Duration::minutes(rng.random_range(24 * 60..30 * 24 * 60));
        if roll < 12 || cleared_at > now {
            self.call_list_entries.push(row);
            return;
        }
        let clearer = format!("konsulent{}@{home}", rng.random_range(1..=4));
        row.cleared_by_sub = Set(Some(clearer));
        row.cleared_at = Set(Some(cleared_at));
        row.version = Set(2);
        row.updated_at = Set(cleared_at);
        if roll < 22 {
            row.status = Set(CallListStatus::Excluded);
            row.exclusion_reason = Set(Some((*pick(rng, EXCLUSION_REASONS)).to_owned()));
            self.call_list_entries.push(row);
            return;
        }
        row.status = Set(CallListStatus::Cleared);
        // The call centre calls once to three times; the last call of a booked entry booked it.
        let booked = roll >= 35;
        let attempts: i32 = if booked {
            rng.random_range(1..=3)
        } else {
            rng.random_range(0..=3)
        };
        let mut at = cleared_at;
        let mut calls = Vec::new();
        for _ in 0..attempts {
            let next = at + Duration::minutes(rng.random_range(60..10 * 24 * 60));
            if next > now {
                break;
            }
            at = next;
            calls.push(at);
        }
        let attempts = calls.len() as i32;
        let booked = booked && attempts > 0;
        for call in &calls {
            self.campaign_activity(
                rng,
                campaign,
                company_id,
                NATIONAL_ID,
                ActivityKind::Phone,
                ActivityStatus::Held,
                *call,
                None,
                *call,
                None,
            );
            self.campaign_calls += 1;
        }
        row.call_attempts = Set(attempts);
        row.version = Set(2 + attempts);
        row.updated_at = Set(at);
        if !booked {
            self.call_list_entries.push(row);
            return;
        }
        // Booked on the last call, for a consultant of the jobcentre.
        let booked_at = at;
        let far = rng.random_range(0..100) < 30;
        let lead = if far {
            Duration::days(rng.random_range(43..90))
        } else {
            Duration::days(rng.random_range(3..=42))
        };
        let scheduled = morning(booked_at.date_naive() + lead)
            + Duration::minutes(30 * rng.random_range(0..14));
        let assignee = format!("konsulent{}@{home}", rng.random_range(1..=4));
        let status = if scheduled > now {
            ActivityStatus::Booked
        } else {
            let cancelled = if far { 30 } else { 10 };
            match rng.random_range(0..100) {
                n if n < cancelled => ActivityStatus::CancelledByCompany,
                n if n < cancelled + 4 => ActivityStatus::CancelledByJobcentre,
                n if n < cancelled + 9 => ActivityStatus::NoShow,
                _ => ActivityStatus::Held,
            }
        };
        let visit_id = self.campaign_activity(
            rng,
            campaign,
            company_id,
            home,
            ActivityKind::Visit,
            status,
            scheduled,
            Some(assignee),
            booked_at,
            Some(now),
        );
        self.campaign_visits += 1;
        // bookMeeting made the entry BOOKED; a cancellation by the company made it DECLINED.
        row.activity_id = Set(Some(visit_id));
        row.status = Set(CallListStatus::Booked);
        row.version = Set(3 + attempts);
        row.updated_at = Set(booked_at);
        if status == ActivityStatus::CancelledByCompany {
            row.status = Set(CallListStatus::Declined);
            row.version = Set(4 + attempts);
            row.updated_at = Set(scheduled.min(now));
        }
        self.call_list_entries.push(row);
    }

    /// A campaign activity of `organisation` (its id): the call centre's PHONE call (national,
    /// HELD) or a VISIT booked by national staff on the jobcentre's behalf (`booked_at`) and
    /// brought to `status` afterwards. A held visit gets an outcome (most), agreements, a
    /// follow-up and sometimes a survey response.
    #[allow(clippy::too_many_arguments)]
    fn campaign_activity(
        &mut self,
        rng: &mut StdRng,
        campaign: &campaign::Model,
        company_id: &str,
        organisation: &str,
        kind: ActivityKind,
        status: ActivityStatus,
        at: DateTime<Utc>,
        assignee: Option<String>,
        booked_at: DateTime<Utc>,
        now: Option<DateTime<Utc>>,
    ) -> String {
        let activity_id = id(rng);
        let visit = kind == ActivityKind::Visit;
        let past = now.is_none_or(|now| at <= now);
        let held = visit && status == ActivityStatus::Held;
        let with_outcome = held && rng.random_range(0..100) < 80;
        let changed = if visit && status != ActivityStatus::Booked {
            at.min(now.unwrap_or(at))
        } else {
            booked_at
        };
        self.activities.push(activity::ActiveModel {
            id: Set(activity_id.clone()),
            company_id: Set(company_id.to_owned()),
            organisation_id: Set(organisation.to_owned()),
            kind: Set(kind),
            status: Set(status),
            initiated_by: Set(InitiatedBy::National),
            visibility: Set(Visibility::Shared),
            scheduled_at: Set(visit.then_some(at)),
            occurred_at: Set((past
                && status != ActivityStatus::NoShow
                && status != ActivityStatus::Booked)
                .then_some(at)),
            contact_at: Set(at),
            summary: Set(Some(if visit {
                (*pick(rng, CAMPAIGN_NOTES)).to_owned()
            } else {
                "Opkald fra kampagnens callcenter".to_owned()
            })),
            campaign_id: Set(Some(campaign.id.clone())),
            assignee_sub: Set(assignee.clone()),
            outcome_registered: Set(with_outcome),
            created_by_sub: Set(format!("demo@{NATIONAL_ID}")),
            // Booked, then its status changed (and its outcome registered).
            version: Set(if !visit || status == ActivityStatus::Booked {
                1
            } else if with_outcome {
                3
            } else {
                2
            }),
            created_at: Set(booked_at),
            updated_at: Set(changed),
            deleted_at: Set(None),
        });
        if !held {
            return activity_id;
        }
        if with_outcome {
            for _ in 0..rng.random_range(0..=2) {
                self.agreements.push(agreement::ActiveModel {
                    id: Set(id(rng)),
                    activity_id: Set(activity_id.clone()),
                    company_id: Set(company_id.to_owned()),
                    organisation_id: Set(organisation.to_owned()),
                    kind: Set(*pick(
                        rng,
                        &[
                            AgreementKind::Recruitment,
                            AgreementKind::Recruitment,
                            AgreementKind::CompanyInternship,
                            AgreementKind::WageSubsidy,
                            AgreementKind::AdultApprentice,
                            AgreementKind::UpskillingJob,
                            AgreementKind::FlexJob,
                            AgreementKind::Mentor,
                        ],
                    )),
                    positions: Set(rng.random_range(1..=5)),
                    note: Set(None),
                    created_at: Set(at),
                });
            }
        }
        let today = now.map_or(at.date_naive(), danish_today);
        if rng.random_range(0..100) < 70 {
            let due_on = at.date_naive() + Duration::days(rng.random_range(3..30));
            let done = due_on < today && rng.random_range(0..100) < 75;
            self.follow_ups.push(follow_up::ActiveModel {
                id: Set(id(rng)),
                company_id: Set(company_id.to_owned()),
                activity_id: Set(Some(activity_id.clone())),
                organisation_id: Set(organisation.to_owned()),
                assignee_sub: Set(assignee.clone()),
                description: Set("Send kandidater efter kampagnemødet".into()),
                due_on: Set(due_on),
                status: Set(if done {
                    FollowUpStatus::Done
                } else {
                    FollowUpStatus::Open
                }),
                completed_at: Set(done.then_some(at + Duration::days(2))),
                completion_note: Set(None),
                version: Set(if done { 2 } else { 1 }),
                created_at: Set(at),
                updated_at: Set(if done { at + Duration::days(2) } else { at }),
            });
        }
        if rng.random_range(0..100) < 30 {
            let score = |rng: &mut StdRng| *pick(rng, &[2, 3, 4, 4, 4, 5, 5, 5]);
            let optional = |rng: &mut StdRng| (rng.random_range(0..100) < 85).then(|| score(rng));
            let answered = (at + Duration::days(rng.random_range(2..14))).min(now.unwrap_or(at));
            self.survey_responses.push(survey_response::ActiveModel {
                id: Set(id(rng)),
                activity_id: Set(activity_id.clone()),
                overall: Set(score(rng)),
                well_prepared: Set(optional(rng)),
                needs_uncovered: Set(optional(rng)),
                offers_presented: Set(optional(rng)),
                met_expectations: Set(optional(rng)),
                likely_to_cooperate: Set(optional(rng)),
                comment: Set((rng.random_range(0..100) < 20)
                    .then(|| (*pick(rng, SURVEY_COMMENTS)).to_owned())),
                created_by_sub: Set(format!("demo@{NATIONAL_ID}")),
                created_at: Set(answered),
            });
        }
        activity_id
    }

    /// Jobservice Danmark joins about one in ten of the jobcentres' visits (the activity just
    /// pushed).
    fn joint_visit(&mut self, c: &mut Coordination, now: DateTime<Utc>) {
        let Some(visit) = self.activities.last() else {
            return;
        };
        let (Set(kind), Set(owner), Set(activity_id), Set(company_id), Set(created)) = (
            &visit.kind,
            &visit.organisation_id,
            &visit.id,
            &visit.company_id,
            &visit.created_at,
        ) else {
            return;
        };
        if *kind != ActivityKind::Visit || owner == NATIONAL_ID || c.rng.random_range(0..100) >= 10
        {
            return;
        }
        self.activity_participants
            .push(activity_participant::ActiveModel {
                id: Set(id(&mut c.rng)),
                activity_id: Set(activity_id.clone()),
                company_id: Set(company_id.clone()),
                organisation_id: Set(NATIONAL_ID.to_owned()),
                created_at: Set((*created).min(now)),
            });
    }

    /// The company's fixed contact at its home jobcentre (about one in 20) and, for the
    /// companies [`has_job_service_agreement`] picks, its job service agreement(s).
    fn coordination(
        &mut self,
        c: &mut Coordination,
        index: u32,
        company_id: &str,
        home: &str,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) {
        if c.rng.random_range(0..100) < 5 {
            let (name, email, phone) = staff(&mut c.rng, home);
            let at = now - Duration::days(c.rng.random_range(1..365));
            let sub = email.replace(".dk", "");
            self.company_contacts.push(company_contact::ActiveModel {
                id: Set(id(&mut c.rng)),
                company_id: Set(company_id.to_owned()),
                organisation_id: Set(home.to_owned()),
                sub: Set(Some(sub)),
                name: Set(name),
                email: Set(Some(email)),
                phone: Set(Some(phone)),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
            });
        }
        if !has_job_service_agreement(index) {
            return;
        }
        let status = AGREEMENT_CYCLE[c.agreements % AGREEMENT_CYCLE.len()];
        c.agreements += 1;
        // Mostly the home jobcentre coordinates; sometimes another one does.
        let coordinator = if c.rng.random_range(0..100) < 70 || c.jobcentres.is_empty() {
            home.to_owned()
        } else {
            pick(&mut c.rng, &c.jobcentres).clone()
        };
        let contact = staff(&mut c.rng, &coordinator);
        let mut row = job_service_agreement::ActiveModel {
            id: Set(id(&mut c.rng)),
            company_id: Set(company_id.to_owned()),
            coordinator_id: Set(coordinator.clone()),
            coordinator_contact_name: Set(Some(contact.0.clone())),
            coordinator_contact_email: Set(Some(contact.1.clone())),
            coordinator_contact_phone: Set(Some(contact.2.clone())),
            status: Set(status),
            signed_on: Set(None),
            ends_on: Set(None),
            next_status_meeting_on: Set(None),
            activated_at: Set(None),
            ended_at: Set(None),
            created_by_sub: Set(format!("demo@{NATIONAL_ID}")),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match status {
            JobServiceAgreementStatus::Proposed => {
                // Being negotiated: signed lately or not yet.
                let signed = (c.rng.random_range(0..2) == 0)
                    .then(|| today - Duration::days(c.rng.random_range(0..60)));
                let created = now - Duration::days(c.rng.random_range(60..120));
                row.signed_on = Set(signed);
                row.ends_on = Set(signed.map(|d| months_after(d, 36)));
                row.next_status_meeting_on = Set(signed.map(|d| months_after(d, 6)));
                row.created_at = Set(created);
                row.updated_at = Set(created);
            }
            JobServiceAgreementStatus::Active => {
                let signed = today - Duration::days(c.rng.random_range(20..3 * 365));
                // Half-yearly status meetings from the signing on: the next one is the first
                // not before a day up to four months ago (so some are overdue, some due soon).
                let horizon = today - Duration::days(c.rng.random_range(0..120));
                let mut next = months_after(signed, 6);
                let mut k = 1;
                while next < horizon {
                    k += 1;
                    next = months_after(signed, 6 * k);
                }
                let activated =
                    (morning(signed) + Duration::days(c.rng.random_range(0..14))).min(now);
                let created = morning(signed) - Duration::days(c.rng.random_range(7..60));
                row.signed_on = Set(Some(signed));
                row.ends_on = Set(Some(months_after(signed, c.rng.random_range(36..=48))));
                row.next_status_meeting_on = Set(Some(next));
                row.activated_at = Set(Some(activated));
                row.created_at = Set(created);
                // Created, then activated: version 2, and one more per participant added.
                let mut version = 2;
                let mut updated = activated;
                let participants = self.participants(c, &coordinator, &row, activated, now);
                for p in participants {
                    if let Set(at) = &p.created_at {
                        updated = updated.max(*at);
                    }
                    version += 1;
                    self.agreement_participants.push(p);
                }
                row.version = Set(version);
                row.updated_at = Set(updated);
                self.active += 1;
                // One in four had an agreement before, ENDED before this one was signed.
                if c.rng.random_range(0..4) == 0 {
                    let ended_on = signed - Duration::days(c.rng.random_range(1..60));
                    let before = ended_on - Duration::days(c.rng.random_range(365..1_095));
                    let earlier = staff(&mut c.rng, home);
                    self.job_service_agreements.push(ended(
                        &mut c.rng, company_id, home, earlier, before, ended_on,
                    ));
                }
            }
            JobServiceAgreementStatus::Ended => {
                let signed = today - Duration::days(c.rng.random_range(400..3 * 365));
                let ended_on = today - Duration::days(c.rng.random_range(1..200));
                row = ended(
                    &mut c.rng,
                    company_id,
                    &coordinator,
                    contact,
                    signed,
                    ended_on,
                );
            }
        }
        self.job_service_agreements.push(row);
    }

    /// One to three participants of an ACTIVE agreement: jobcentres of other RAR areas than
    /// the coordinator's, one per area, each covering its own area.
    fn participants(
        &self,
        c: &mut Coordination,
        coordinator: &str,
        agreement: &job_service_agreement::ActiveModel,
        activated: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<job_service_agreement_participant::ActiveModel> {
        let Set(agreement_id) = &agreement.id else {
            return Vec::new();
        };
        let own = c.area_of.get(coordinator).copied();
        let mut candidates: Vec<usize> = (0..c.areas.len())
            .filter(|i| Some(c.areas[*i].0) != own)
            .collect();
        let n = c.rng.random_range(1..=3).min(candidates.len());
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let j = c.rng.random_range(i..candidates.len());
            candidates.swap(i, j);
            let (area, jobcentres) = &c.areas[candidates[i]];
            let organisation = pick(&mut c.rng, jobcentres).clone();
            let (name, email, phone) = staff(&mut c.rng, &organisation);
            let at = (activated + Duration::days(c.rng.random_range(0..30))).min(now);
            out.push(job_service_agreement_participant::ActiveModel {
                id: Set(id(&mut c.rng)),
                agreement_id: Set(agreement_id.clone()),
                organisation_id: Set(organisation),
                region_label: Set(Some(region_label(*area).to_owned())),
                contact_name: Set(Some(name)),
                contact_email: Set(Some(email)),
                contact_phone: Set(Some(phone)),
                rar_areas: Set(area.to_value()),
                created_at: Set(at),
            });
        }
        out
    }

    fn activity(
        &mut self,
        rng: &mut StdRng,
        company_id: &str,
        home: &str,
        organisations: &[String],
        now: DateTime<Utc>,
        today: NaiveDate,
    ) {
        let roll = rng.random_range(0..100);
        let organisation = if roll < 60 {
            home.to_owned()
        } else if roll < 70 {
            NATIONAL_ID.to_owned()
        } else {
            pick(rng, organisations).clone()
        };
        let at = now - Duration::minutes(rng.random_range(-60 * 24 * 60..3 * 365 * 24 * 60));
        let future = at > now;
        let status = if future {
            ActivityStatus::Booked
        } else {
            match rng.random_range(0..100) {
                0..=6 => ActivityStatus::CancelledByCompany,
                7..=9 => ActivityStatus::CancelledByJobcentre,
                10..=11 => ActivityStatus::NoShow,
                _ => ActivityStatus::Held,
            }
        };
        let kind = *pick(
            rng,
            &[
                ActivityKind::Visit,
                ActivityKind::Visit,
                ActivityKind::Phone,
                ActivityKind::Phone,
                ActivityKind::Video,
                ActivityKind::Email,
                ActivityKind::Meeting,
            ],
        );
        let held = status == ActivityStatus::Held;
        let with_outcome = held && rng.random_range(0..100) < 36;
        let activity_id = id(rng);
        let visibility = if rng.random_range(0..100) < 10 {
            Visibility::Organisation
        } else {
            Visibility::Shared
        };
        self.activities.push(activity::ActiveModel {
            id: Set(activity_id.clone()),
            company_id: Set(company_id.to_owned()),
            organisation_id: Set(organisation.clone()),
            kind: Set(kind),
            status: Set(status),
            initiated_by: Set(if organisation == NATIONAL_ID {
                InitiatedBy::National
            } else {
                InitiatedBy::Jobcentre
            }),
            visibility: Set(visibility),
            scheduled_at: Set((future || kind == ActivityKind::Visit).then_some(at)),
            occurred_at: Set((!future && status != ActivityStatus::NoShow).then_some(at)),
            contact_at: Set(at),
            summary: Set(Some((*pick(rng, SUMMARIES)).to_owned())),
            campaign_id: Set(None),
            assignee_sub: Set(None),
            outcome_registered: Set(with_outcome),
            created_by_sub: Set(format!("demo@{organisation}")),
            version: Set(1),
            created_at: Set(at.min(now)),
            updated_at: Set(at.min(now)),
            deleted_at: Set(None),
        });
        if !with_outcome {
            return;
        }
        // About 0.65 agreements per outcome and one follow-up each: per company 1 and 1.5,
        // as in the national set (200,000 agreements, 300,000 follow-ups).
        let agreements = usize::from(rng.random_range(0..100) >= 35);
        for _ in 0..agreements {
            self.agreements.push(agreement::ActiveModel {
                id: Set(id(rng)),
                activity_id: Set(activity_id.clone()),
                company_id: Set(company_id.to_owned()),
                organisation_id: Set(organisation.clone()),
                kind: Set(*pick(
                    rng,
                    &[
                        AgreementKind::Recruitment,
                        AgreementKind::Recruitment,
                        AgreementKind::CompanyInternship,
                        AgreementKind::WageSubsidy,
                        AgreementKind::AdultApprentice,
                        AgreementKind::UpskillingJob,
                        AgreementKind::FlexJob,
                        AgreementKind::Mentor,
                    ],
                )),
                positions: Set(rng.random_range(1..=4)),
                note: Set(None),
                created_at: Set(at),
            });
        }
        {
            let due_on = at.date_naive() + Duration::days(rng.random_range(3..45));
            // Most promises past their date were kept; about one in five was not (overdue).
            let done = due_on < today && rng.random_range(0..100) < 80;
            self.follow_ups.push(follow_up::ActiveModel {
                id: Set(id(rng)),
                company_id: Set(company_id.to_owned()),
                activity_id: Set(Some(activity_id.clone())),
                organisation_id: Set(organisation.clone()),
                assignee_sub: Set(Some(format!("demo@{organisation}"))),
                description: Set("Send kandidater til opslået stilling".into()),
                due_on: Set(due_on),
                status: Set(if done {
                    FollowUpStatus::Done
                } else {
                    FollowUpStatus::Open
                }),
                completed_at: Set(done.then_some(at + Duration::days(2))),
                completion_note: Set(None),
                version: Set(if done { 2 } else { 1 }),
                created_at: Set(at),
                updated_at: Set(at),
            });
        }
    }

    async fn write(self, db: &Db, counts: &mut SeedCounts) -> AppResult<()> {
        let txn = db.begin().await?;
        counts.companies += insert(&txn, self.companies).await?;
        counts.contact_persons += insert(&txn, self.people).await?;
        counts.activities += insert(&txn, self.activities).await?;
        counts.agreements += insert(&txn, self.agreements).await?;
        counts.follow_ups += insert(&txn, self.follow_ups).await?;
        counts.job_service_agreements += insert(&txn, self.job_service_agreements).await?;
        counts.active_job_service_agreements += self.active;
        counts.job_service_agreement_participants +=
            insert(&txn, self.agreement_participants).await?;
        counts.company_contacts += insert(&txn, self.company_contacts).await?;
        counts.activity_participants += insert(&txn, self.activity_participants).await?;
        counts.call_list_entries += insert(&txn, self.call_list_entries).await?;
        counts.survey_responses += insert(&txn, self.survey_responses).await?;
        counts.campaign_visits += self.campaign_visits;
        counts.campaign_calls += self.campaign_calls;
        txn.commit().await?;
        Ok(())
    }
}

async fn insert<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> AppResult<u64>
where
    A: ActiveModelTrait + Send,
{
    let n = rows.len() as u64;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        A::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(n)
}

/// Seeds and reports as `seed-demo` prints it.
pub async fn seed_and_report(db: &Db, options: &SeedOptions) -> AppResult<String> {
    let started = Instant::now();
    let counts = seed(db, options).await?;
    let secs = started.elapsed().as_secs_f64().max(0.001);
    Ok(format!(
        "seeded {} companies, {} contact persons, {} activities, {} agreements, {} follow-ups, \
         {} job service agreements ({} ACTIVE) with {} participants, {} fixed contacts, \
         {} joint-visit participants, {} campaigns with {} call list entries ({} campaign \
         calls, {} campaign visits), {} survey responses ({} rows in {secs:.1} s, {:.0} rows/s; \
         seed {})",
        counts.companies,
        counts.contact_persons,
        counts.activities,
        counts.agreements,
        counts.follow_ups,
        counts.job_service_agreements,
        counts.active_job_service_agreements,
        counts.job_service_agreement_participants,
        counts.company_contacts,
        counts.activity_participants,
        counts.campaigns,
        counts.call_list_entries,
        counts.campaign_calls,
        counts.campaign_visits,
        counts.survey_responses,
        counts.total(),
        counts.total() as f64 / secs,
        options.seed
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::validation::Cvr;

    #[test]
    fn cvr_numbers_are_valid_unique_and_repeatable() {
        let mut a = Cvrs::new(7);
        let mut b = Cvrs::new(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50_000 {
            let cvr = a.next().expect("cvr");
            assert!(Cvr::parse("cvr", &cvr).is_ok(), "{cvr}");
            assert!(seen.insert(cvr.clone()), "{cvr} twice");
            assert_eq!(b.next().expect("cvr"), cvr);
        }
    }
}

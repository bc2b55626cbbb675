//! DataLoaders: every relation is resolved in batches, so a request's SQL count depends on its
//! depth, not on its page size. A fresh set is made per request (caches never outlive it).
//!
//! Batches are cut deterministically, not by a timer: the loaders' fetch tasks are queued
//! while the executor polls the resolvers and spawned only once that poll pass is over
//! (`Loaders::run`). Every sibling resolver has registered its key by then, however slow the
//! machine, so one page of 10 or 100 companies costs the same statements per relation.

use crate::db::Db;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::{DateTime, Utc};
use entity::enums::FollowUpStatus;
use entity::{
    activity, agreement, call_list_entry, campaign, company, company_contact, contact_person,
    job_service_agreement, job_service_agreement_participant, production_unit,
};
use futures::future::BoxFuture;
use futures::task::ArcWake;
use sea_orm::entity::prelude::IdenStatic;
use tracing::Instrument;

use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::activity::ActivityPageKey;
use crate::service::entry_point::Facts;
use crate::service::pagination::Page;
use crate::service::prefetch::Related;
use crate::service::read::{FollowUpView, Reader, Visible};

pub type LoadError = Arc<AppError>;

/// Fetch tasks waiting for the executor's current poll pass to end.
#[derive(Clone, Default)]
pub struct BatchQueue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl BatchQueue {
    fn push(&self, task: BoxFuture<'static, ()>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(task);
    }

    fn flush(&self) {
        let tasks: Vec<_> = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        // The fetches run in the request's span, so their log lines carry its request id.
        for task in tasks {
            tokio::spawn(task.in_current_span());
        }
    }
}

/// Polls a request's execution and starts the batches it queued once the execution is
/// really waiting. Executors yield on their own (futures' `FuturesUnordered` returns after
/// 32 polls and wakes itself); such a self-wake means more siblings are still to register
/// their keys, so the queue is flushed only after a poll that did not wake itself.
pub struct Batched<F> {
    inner: Pin<Box<F>>,
    queue: BatchQueue,
}

struct WakeFlag {
    woken: AtomicBool,
    outer: Waker,
}

impl ArcWake for WakeFlag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Ordering::SeqCst);
        arc_self.outer.wake_by_ref();
    }
}

impl<F: Future> Future for Batched<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let flag = Arc::new(WakeFlag {
            woken: AtomicBool::new(false),
            outer: cx.waker().clone(),
        });
        let waker = futures::task::waker(flag.clone());
        let result = self.inner.as_mut().poll(&mut Context::from_waker(&waker));
        if result.is_ready() || !flag.woken.load(Ordering::SeqCst) {
            self.queue.flush();
        }
        result
    }
}

/// A loader's cache, hashed with foldhash: std's SipHash was 4 % of a list page's instructions
/// (callgrind). The keys are a request's ids, the cache lives for one request, and foldhash's
/// seed is random per map.
pub type Cache = HashMapCache<foldhash::fast::RandomState>;

fn loader<T>(inner: T, queue: &BatchQueue) -> DataLoader<T, Cache> {
    let queue = queue.clone();
    DataLoader::with_cache(inner, move |task| queue.push(task), Cache::new()).delay(Duration::ZERO)
}

/// Loads rows by key with one service call per batch, as the request's reader sees them.
macro_rules! loader {
    ($name:ident, $key:ty, $value:ty, |$db:ident, $reader:ident, $keys:ident| $body:expr) => {
        pub struct $name {
            db: Db,
            reader: Arc<Reader>,
        }

        impl Loader<$key> for $name {
            type Value = $value;
            type Error = LoadError;

            async fn load(&self, $keys: &[$key]) -> Result<HashMap<$key, $value>, LoadError> {
                let $db = &self.db;
                let $reader: &Reader = &self.reader;
                let result: AppResult<HashMap<$key, $value>> = $body.await;
                result.map_err(Arc::new)
            }
        }
    };
}

/// Groups rows under their parent key; every requested key gets a (possibly empty) list.
fn group<T>(
    keys: &[String],
    rows: Vec<T>,
    parent: impl Fn(&T) -> Option<&str>,
) -> HashMap<String, Vec<T>> {
    let mut out: HashMap<String, Vec<T>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for row in rows {
        if let Some(list) = parent(&row).and_then(|p| out.get_mut(p)) {
            list.push(row);
        }
    }
    out
}

loader!(
    CompanyLoader,
    String,
    Arc<Visible<company::Model>>,
    |db, reader, keys| async move {
        let rows = service::company::by_ids(db, reader, keys).await?;
        Ok(rows
            .into_iter()
            .map(|c| (c.id.clone(), Arc::new(c)))
            .collect())
    }
);

loader!(
    ActivityLoader,
    String,
    Visible<activity::Model>,
    |db, reader, keys| async move {
        let rows = service::activity::by_ids(db, reader, keys).await?;
        Ok(rows.into_iter().map(|a| (a.id.clone(), a)).collect())
    }
);

loader!(
    ProductionUnitsByCompany,
    String,
    Vec<Visible<production_unit::Model>>,
    |db, reader, keys| async move {
        let rows = service::company::production_units_by_company(db, reader, keys).await?;
        Ok(group(keys, rows, |r| Some(r.company_id.as_str())))
    }
);

loader!(
    ContactPersonsByCompany,
    String,
    Vec<Visible<contact_person::Model>>,
    |db, reader, keys| async move {
        let rows = service::company::contact_persons_by_company(db, reader, keys).await?;
        Ok(group(keys, rows, |r| Some(r.company_id.as_str())))
    }
);

// Keyed by company and status filter: the filter runs in SQL, so a page asking for OPEN
// follow-ups never loads the completed ones.
loader!(
    FollowUpsByCompany,
    (String, Option<FollowUpStatus>),
    Vec<Visible<FollowUpView>>,
    |db, reader, keys| async move {
        let mut by_status: HashMap<Option<FollowUpStatus>, Vec<String>> = HashMap::new();
        for (company, status) in keys {
            by_status.entry(*status).or_default().push(company.clone());
        }
        let mut out = HashMap::new();
        for (status, companies) in by_status {
            let rows = service::follow_up::by_company(db, reader, &companies, status).await?;
            for (company, list) in group(&companies, rows, |r| Some(r.model.company_id.as_str())) {
                out.insert((company, status), list);
            }
        }
        Ok(out)
    }
);

loader!(
    FollowUpsByActivity,
    String,
    Vec<Visible<FollowUpView>>,
    |db, reader, keys| async move {
        let rows = service::follow_up::by_activity(db, reader, keys).await?;
        Ok(group(keys, rows, |r| r.model.activity_id.as_deref()))
    }
);

loader!(
    AgreementsByActivity,
    String,
    Vec<Visible<agreement::Model>>,
    |db, reader, keys| async move {
        let rows = service::activity::agreements_by_activity(db, reader, keys).await?;
        Ok(group(keys, rows, |r| Some(r.activity_id.as_str())))
    }
);

// `None` for a company without (non-draft, not deleted) activities.
loader!(
    LastActivityAt,
    String,
    Option<DateTime<Utc>>,
    |db, _reader, keys| async move {
        let rows = service::activity::last_activity_at(db, keys).await?;
        let mut out: HashMap<String, Option<DateTime<Utc>>> =
            keys.iter().map(|k| (k.clone(), None)).collect();
        for (company, at) in rows {
            out.insert(company, Some(at));
        }
        Ok(out)
    }
);

loader!(
    ActivityPages,
    ActivityPageKey,
    Page<Visible<activity::Model>>,
    |db, reader, keys| async move { service::activity::pages_by_company(db, reader, keys).await }
);

// Rule 2's facts for the company-level answer: one statement per page (see entry_point).
loader!(
    EntryPointFacts,
    String,
    Facts,
    |db, _reader, keys| async move {
        let mut found = service::entry_point::home_facts(db, keys).await?;
        Ok(keys
            .iter()
            .map(|k| (k.clone(), found.remove(k).unwrap_or_default()))
            .collect())
    }
);

// Rule 2's facts for a site's answer (participants and every fixed contact too).
loader!(SiteFacts, String, Facts, |db, _reader, keys| async move {
    service::entry_point::site_facts(db, keys).await
});

loader!(
    CompanyContacts,
    String,
    Vec<Visible<company_contact::Model>>,
    |db, reader, keys| async move {
        let rows = service::company_contact::visible_by_company(db, reader, keys).await?;
        Ok(group(keys, rows, |r| Some(r.company_id.as_str())))
    }
);

loader!(
    AgreementsByCompany,
    String,
    Vec<Visible<job_service_agreement::Model>>,
    |db, reader, keys| async move {
        let rows = service::job_service_agreement::by_company(db, reader, keys).await?;
        Ok(group(keys, rows, |r| Some(r.company_id.as_str())))
    }
);

loader!(
    AgreementParticipants,
    String,
    Vec<Visible<job_service_agreement_participant::Model>>,
    |db, reader, keys| async move {
        let rows = service::job_service_agreement::participants_of(db, keys).await?;
        let rows = rows
            .into_iter()
            .map(|p| reader.job_service_agreement_participant(p))
            .collect();
        Ok(group(keys, rows, |r| Some(r.agreement_id.as_str())))
    }
);

// The organisations that took part in an activity besides its owner (ids, by id).
loader!(
    ActivityParticipants,
    String,
    Vec<String>,
    |db, _reader, keys| async move {
        let rows = service::activity::participants_by_activity(db, keys).await?;
        let grouped = group(keys, rows, |r| Some(r.activity_id.as_str()));
        Ok(grouped
            .into_iter()
            .map(|(k, rows)| (k, rows.into_iter().map(|r| r.organisation_id).collect()))
            .collect())
    }
);

loader!(
    CampaignLoader,
    String,
    Visible<campaign::Model>,
    |db, reader, keys| async move {
        let rows = service::campaign::by_ids(db, reader, keys).await?;
        Ok(rows.into_iter().map(|c| (c.id.clone(), c)).collect())
    }
);

loader!(
    CallListEntryLoader,
    String,
    Visible<call_list_entry::Model>,
    |db, reader, keys| async move {
        let rows = service::campaign::entries_by_ids(db, reader, keys).await?;
        Ok(rows.into_iter().map(|e| (e.id.clone(), e)).collect())
    }
);

/// Who last had contact with a company, and when.
pub type LastContact = Option<(String, DateTime<Utc>)>;

// The latest contact with a company within a number of days (the request's clock), by any
// organisation: keyed by company and window.
loader!(
    RecentContacts,
    (String, u32),
    LastContact,
    |db, reader, keys| async move {
        let mut by_window: HashMap<u32, Vec<String>> = HashMap::new();
        for (company, days) in keys {
            by_window.entry(*days).or_default().push(company.clone());
        }
        let mut out: HashMap<(String, u32), LastContact> =
            keys.iter().map(|k| (k.clone(), None)).collect();
        for (days, companies) in by_window {
            let since = reader.now() - chrono::Duration::days(i64::from(days));
            for (company, org, at) in
                service::activity::latest_contacts_since(db, &companies, since).await?
            {
                out.insert((company, days), Some((org, at)));
            }
        }
        Ok(out)
    }
);

/// Rows read with their company in fewer columns than they have (`service::prefetch`), by
/// the key their loader would use. Kept apart from the loaders' caches, which hold whole rows:
/// another part of the same request may ask for the same company's relation with other fields,
/// so a resolver takes them only when its own selection reads no column they lack.
pub struct Pruned<K, V>(Mutex<FoldMap<K, (Vec<&'static str>, V)>>);

type FoldMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

impl<K: std::hash::Hash + Eq, V: Clone> Pruned<K, V> {
    fn put(&self, key: K, columns: Vec<&'static str>, rows: V) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (columns, rows));
    }

    /// The rows under `key` when they hold every column in `needed` (`None`: all columns).
    pub fn get(&self, key: &K, needed: Option<&[&'static str]>) -> Option<V> {
        let needed = needed?;
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (columns, rows) = map.get(key)?;
        needed
            .iter()
            .all(|c| columns.contains(c))
            .then(|| rows.clone())
    }

    fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

impl<K, V> Default for Pruned<K, V> {
    fn default() -> Self {
        Pruned(Mutex::new(FoldMap::default()))
    }
}

/// The relations `service::prefetch` read in fewer columns.
#[derive(Default)]
pub struct PrunedRelations {
    pub contact_persons: Pruned<String, Vec<Visible<contact_person::Model>>>,
    pub activity_pages: Pruned<ActivityPageKey, Page<Visible<activity::Model>>>,
    pub follow_ups: Pruned<(String, Option<FollowUpStatus>), Vec<Visible<FollowUpView>>>,
    /// The columns each field of the document reads, by the field's place in the (parsed)
    /// document: worked out once per request, not once per company.
    needed: NeededColumns,
}

type NeededColumns = Mutex<FoldMap<usize, Option<Arc<[&'static str]>>>>;

impl PrunedRelations {
    /// The columns `field` (an occurrence in the request's document) reads, by `compute`;
    /// `None` when nothing was read in fewer columns (no work) or the field reads them all.
    pub fn needed<C: IdenStatic>(
        &self,
        field: usize,
        compute: impl FnOnce() -> Option<Vec<C>>,
    ) -> Option<Arc<[&'static str]>> {
        if self.contact_persons.is_empty()
            && self.activity_pages.is_empty()
            && self.follow_ups.is_empty()
        {
            return None;
        }
        let mut memo = self.needed.lock().unwrap_or_else(|e| e.into_inner());
        memo.entry(field)
            .or_insert_with(|| compute().map(|cs| cs.iter().map(IdenStatic::as_str).collect()))
            .clone()
    }
}

pub struct Loaders {
    queue: BatchQueue,
    pub pruned: PrunedRelations,
    pub company: DataLoader<CompanyLoader, Cache>,
    pub activity: DataLoader<ActivityLoader, Cache>,
    pub production_units: DataLoader<ProductionUnitsByCompany, Cache>,
    pub contact_persons: DataLoader<ContactPersonsByCompany, Cache>,
    pub company_follow_ups: DataLoader<FollowUpsByCompany, Cache>,
    pub activity_follow_ups: DataLoader<FollowUpsByActivity, Cache>,
    pub agreements: DataLoader<AgreementsByActivity, Cache>,
    pub last_activity_at: DataLoader<LastActivityAt, Cache>,
    pub activity_pages: DataLoader<ActivityPages, Cache>,
    pub entry_point_facts: DataLoader<EntryPointFacts, Cache>,
    pub site_facts: DataLoader<SiteFacts, Cache>,
    pub company_contacts: DataLoader<CompanyContacts, Cache>,
    pub agreements_by_company: DataLoader<AgreementsByCompany, Cache>,
    pub agreement_participants: DataLoader<AgreementParticipants, Cache>,
    pub activity_participants: DataLoader<ActivityParticipants, Cache>,
    pub campaign: DataLoader<CampaignLoader, Cache>,
    pub call_list_entry: DataLoader<CallListEntryLoader, Cache>,
    pub recent_contacts: DataLoader<RecentContacts, Cache>,
    /// Companies a page read by id and name only (`service::company::Joined::Names`): kept
    /// apart from `company`'s cache, whose companies are whole.
    named_companies: Mutex<FoldMap<String, Arc<Visible<company::Model>>>>,
}

impl Loaders {
    pub fn new(db: Db, reader: Reader) -> Self {
        let queue = BatchQueue::default();
        let reader = Arc::new(reader);
        macro_rules! make {
            ($loader:ident) => {
                loader(
                    $loader {
                        db: db.clone(),
                        reader: reader.clone(),
                    },
                    &queue,
                )
            };
        }
        Loaders {
            company: make!(CompanyLoader),
            activity: make!(ActivityLoader),
            production_units: make!(ProductionUnitsByCompany),
            contact_persons: make!(ContactPersonsByCompany),
            company_follow_ups: make!(FollowUpsByCompany),
            activity_follow_ups: make!(FollowUpsByActivity),
            agreements: make!(AgreementsByActivity),
            last_activity_at: make!(LastActivityAt),
            activity_pages: make!(ActivityPages),
            entry_point_facts: make!(EntryPointFacts),
            site_facts: make!(SiteFacts),
            company_contacts: make!(CompanyContacts),
            agreements_by_company: make!(AgreementsByCompany),
            agreement_participants: make!(AgreementParticipants),
            activity_participants: make!(ActivityParticipants),
            campaign: make!(CampaignLoader),
            call_list_entry: make!(CallListEntryLoader),
            recent_contacts: make!(RecentContacts),
            pruned: PrunedRelations::default(),
            named_companies: Mutex::default(),
            queue,
        }
    }

    /// Keeps companies read by id and name only (see `named_companies`).
    pub fn feed_named_companies(
        &self,
        companies: impl Iterator<Item = (String, Arc<Visible<company::Model>>)>,
    ) {
        self.named_companies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(companies);
    }

    /// A company read by id and name only, if a page read it so.
    pub fn named_company(&self, id: &str) -> Option<Arc<Visible<company::Model>>> {
        self.named_companies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Puts relations loaded with their companies (`service::prefetch`) where the resolvers
    /// will look for them: the loaders' caches, under the keys the resolvers use.
    pub async fn feed_companies(&self, related: Vec<(String, Related)>) {
        for (company_id, r) in related {
            if let Some(people) = r.contact_persons {
                match r.contact_person_columns {
                    None => {
                        self.contact_persons
                            .feed_one(company_id.clone(), people)
                            .await
                    }
                    Some(columns) => {
                        self.pruned
                            .contact_persons
                            .put(company_id.clone(), columns, people)
                    }
                }
            }
            if let Some(units) = r.production_units {
                self.production_units
                    .feed_one(company_id.clone(), units)
                    .await;
            }
            for (size, page) in r.activity_pages {
                let key = ActivityPageKey {
                    company_id: company_id.clone(),
                    size,
                    after: None,
                };
                match &r.activity_columns {
                    None => self.activity_pages.feed_one(key, page).await,
                    Some(columns) => self.pruned.activity_pages.put(key, columns.clone(), page),
                }
            }
            for (status, list) in r.follow_ups {
                let key = (company_id.clone(), status);
                match &r.follow_up_columns {
                    None => self.company_follow_ups.feed_one(key, list).await,
                    Some(columns) => self.pruned.follow_ups.put(key, columns.clone(), list),
                }
            }
            if let Some(facts) = r.facts {
                self.entry_point_facts
                    .feed_one(company_id.clone(), facts)
                    .await;
            }
        }
    }

    /// The handle that starts these loaders' batches; kept by the handler, because the
    /// loaders themselves move into the GraphQL request.
    pub fn batches(&self) -> BatchQueue {
        self.queue.clone()
    }
}

impl BatchQueue {
    /// Runs a request's execution so that its loaders' batches start between poll passes.
    /// Every use of the loaders must happen inside `run`, or their fetches never start.
    pub fn run<F: Future>(&self, execution: F) -> Batched<F> {
        Batched {
            inner: Box::pin(execution),
            queue: self.clone(),
        }
    }
}

/// Loads one value, turning a missing key into `None`.
pub async fn load_one<T, K>(
    loader: &DataLoader<T, Cache>,
    key: K,
) -> async_graphql::Result<Option<T::Value>>
where
    T: Loader<K, Error = LoadError>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
{
    loader.load_one(key).await.map_err(load_error)
}

/// A loader's shared error, still carrying its `AppError` for `error::annotate`.
pub fn load_error(e: LoadError) -> async_graphql::Error {
    e.into()
}

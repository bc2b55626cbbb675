//! DataLoaders: every relation is resolved in batches, so a request's SQL count depends on its
//! depth, not on its page size. A fresh set is made per request (caches never outlive it).
//!
//! Batches are cut deterministically, not by a timer: the loaders' fetch tasks are queued
//! while the executor polls the resolvers and spawned only once that poll pass is over
//! (`Loaders::run`). Every sibling resolver has registered its key by then, however slow the
//! machine, so one page of 10 or 100 companies costs the same statements per relation.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::organisation;
use futures::future::BoxFuture;
use futures::task::ArcWake;
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::service;

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
        for task in tasks {
            tokio::spawn(task);
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

fn loader<T>(inner: T, queue: &BatchQueue) -> DataLoader<T, HashMapCache> {
    let queue = queue.clone();
    DataLoader::with_cache(inner, move |task| queue.push(task), HashMapCache::default())
        .delay(Duration::ZERO)
}

pub struct OrganisationLoader {
    db: DatabaseConnection,
}

impl Loader<String> for OrganisationLoader {
    type Value = organisation::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows = service::reference::organisations_by_ids(&self.db, keys)
            .await
            .map_err(Arc::new)?;
        Ok(rows.into_iter().map(|o| (o.id.clone(), o)).collect())
    }
}

pub struct Loaders {
    queue: BatchQueue,
    pub organisation: DataLoader<OrganisationLoader, HashMapCache>,
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        let queue = BatchQueue::default();
        Loaders {
            organisation: loader(OrganisationLoader { db }, &queue),
            queue,
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

/// A loader's shared error, still carrying its `AppError` for `error::annotate`.
pub fn load_error(e: LoadError) -> async_graphql::Error {
    e.into()
}

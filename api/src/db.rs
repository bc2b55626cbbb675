//! Database connection (SQLite or PostgreSQL), statement metrics and migrations.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::PgPool;
use sea_orm::sqlx::{self, Postgres};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    DbErr, ExecResult, QueryResult, RuntimeErr, Statement,
};
use sea_query_sqlx::SqlxValues;

use crate::config::PoolSettings;
use crate::metrics::Metrics;

/// How long a statement waits for a connection (the pool's) or a permit (the lane's).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The database: sea-orm's connection and, on PostgreSQL, the [`Lane`] its statements outside
/// a transaction run on. Everything sea-orm offers is reachable through `Deref`; statements
/// run through this type's own [`ConnectionTrait`] take the lane.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    lane: Option<Arc<Lane>>,
    /// What its queries do (see [`Db::for_writes`]): writes are not bound by the lane's
    /// reads at once.
    queries: Use,
}

/// What a statement on the lane does, for its reads-at-once bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Read,
    Write,
}

impl Deref for Db {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

/// A connection without a lane: every statement through sea-orm's pool (tests, tools).
impl From<DatabaseConnection> for Db {
    fn from(conn: DatabaseConnection) -> Db {
        Db {
            conn,
            lane: None,
            queries: Use::Read,
        }
    }
}

impl Db {
    /// The lane, if this database has one (PostgreSQL with a pool of two or more).
    pub fn lane(&self) -> Option<&Lane> {
        self.lane.as_deref()
    }

    /// The same database for a query that writes outside a transaction (a `WITH … INSERT`
    /// returning rows): on the lane it is not counted among the reads at once, which bound
    /// statements that only use the processor; a write also waits for its commit to reach the
    /// disk, and more of them at once share those waits (logActivity at 16 writers: 1,417
    /// writes a second with five at once, 1,524 with fifteen). `execute` is always a write.
    pub fn for_writes(&self) -> Db {
        Db {
            queries: Use::Write,
            ..self.clone()
        }
    }

    /// Hands the lane's connections back to the pool, then closes the pool. A statement still
    /// running returns its connection to the pool when it ends, which then closes it.
    pub async fn close(self) -> Result<(), DbErr> {
        if let Some(lane) = &self.lane {
            lane.close();
        }
        self.conn.close().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        if let Some(lane) = &self.lane
            && let Some(mut lent) = lane.lend(Use::Write).await?
        {
            let read = lent.take_read();
            let (result, read) = lane
                .run(&stmt, read, |query| query.execute(lent.connection()))
                .await;
            lent.put_read(read);
            return lent.finish(result).map(Into::into);
        }
        self.conn.execute_raw(stmt).await
    }

    /// Not on the lane: an unprepared text may hold several statements (a `BEGIN` among them).
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.conn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if let Some(lane) = &self.lane
            && let Some(mut lent) = lane.lend(self.queries).await?
        {
            let read = lent.take_read();
            let (result, read) = lane
                .run(&stmt, read, |query| query.fetch_optional(lent.connection()))
                .await;
            lent.put_read(read);
            return lent.finish(result).map(|row| row.map(Into::into));
        }
        self.conn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if let Some(lane) = &self.lane
            && let Some(mut lent) = lane.lend(self.queries).await?
        {
            let read = lent.take_read();
            let (result, read) = lane
                .run(&stmt, read, |query| query.fetch_all(lent.connection()))
                .await;
            lent.put_read(read);
            return lent
                .finish(result)
                .map(|rows| rows.into_iter().map(Into::into).collect());
        }
        self.conn.query_all_raw(stmt).await
    }
}

/// PostgreSQL connections kept between statements instead of going back to sqlx's pool.
///
/// sqlx tests every connection returned to its pool with a ping (a `Sync` round trip, from a
/// task spawned for it): with one statement per request that was a second round trip for each,
/// waking both the server and PostgreSQL, and about a tenth of the CPU of a small read
/// (`bench/run`, the coordinator view and the company page, sqlx with and without the ping).
/// A statement outside a transaction that completed leaves its connection idle and ready, so
/// the lane keeps it as it is for the next statement. A connection whose statement failed, or
/// whose future was dropped mid-statement (a client that hung up), goes back to sqlx's pool,
/// which pings it and closes it if it is broken: nothing half-read is ever reused.
///
/// The lane holds at most `capacity` of the pool's connections (idle or in use), fewer than the
/// pool has, so that transactions, which take theirs from the pool, always find some. At most
/// `capacity` statements outside transactions run at once: each first takes one of as many
/// permits, in the order they asked (a fair queue, like the pool's own). Reads take one of
/// `reads_at_once` permits before that (`DATABASE_READS_AT_ONCE`, by default a few per core):
/// PostgreSQL shares its cores equally among the statements running, so with more running
/// than a few per core each runs slower by their number and a long one's wait grows most,
/// where a read waiting for a permit waits only for the ones before it. Writes are not
/// counted there (they also wait for the disk). Without that queue a
/// statement that found the lane busy waited in the pool's queue for the quarter kept for
/// transactions, while statements arriving later took the lane's connections as they came
/// free: under load the early ones waited longest (company search, pool of 8 at 16 clients: p99
/// 39–49 ms against 22–27 ms for the pool alone, 22–25 ms with the queue). A connection idle
/// in the lane longer than the pool's `ping_after_idle` goes back to the pool (and its ping)
/// rather than being used.
pub struct Lane {
    pool: PgPool,
    /// One per statement running through the lane; fair (first come, first served).
    permits: tokio::sync::Semaphore,
    /// One per read running through the lane, taken before `permits` (`reads_at_once` of them).
    reads: tokio::sync::Semaphore,
    reads_at_once: usize,
    /// How long a read counts among the reads at once (see [`Lane::run`]).
    read_turn: Duration,
    idle: std::sync::Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    /// Told each time a connection goes back to the idle list, for a statement waiting for the
    /// pool (below) to take it instead.
    returned: tokio::sync::Notify,
    /// Connections the lane holds: idle ones and lent ones.
    held: AtomicUsize,
    capacity: usize,
    ping_after_idle: Duration,
    closed: AtomicBool,
    metrics: Option<Arc<Metrics>>,
}

impl Lane {
    /// How many of a pool of `size` connections the lane may hold: three quarters, the rest
    /// kept for transactions (none with a pool of one).
    pub fn capacity_for(size: u32) -> usize {
        let size = size as usize;
        size - size.div_ceil(4)
    }

    fn new(
        pool: PgPool,
        (capacity, reads_at_once, read_turn): (usize, usize, Duration),
        ping_after_idle: Duration,
        metrics: Option<Arc<Metrics>>,
    ) -> Lane {
        let reads_at_once = reads_at_once.clamp(1, capacity.max(1));
        Lane {
            pool,
            permits: tokio::sync::Semaphore::new(capacity),
            reads: tokio::sync::Semaphore::new(reads_at_once),
            reads_at_once,
            read_turn,
            idle: std::sync::Mutex::new(Vec::with_capacity(capacity)),
            returned: tokio::sync::Notify::new(),
            held: AtomicUsize::new(0),
            capacity,
            ping_after_idle,
            closed: AtomicBool::new(false),
            metrics,
        }
    }

    fn idle_list(&self) -> std::sync::MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        // Never held across an await; a poisoned lock still holds a valid list.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Connections the lane holds (idle and lent) and of those idle.
    pub fn held(&self) -> (usize, usize) {
        (self.held.load(Ordering::Acquire), self.idle_list().len())
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many reads run through the lane at once at most (`DATABASE_READS_AT_ONCE`).
    pub fn reads_at_once(&self) -> usize {
        self.reads_at_once
    }

    /// A connection for one statement, once one of the lane's permits is free, and for a read
    /// one of the reads' before it (waiting in turn, up to the acquire timeout for both): an
    /// idle one of the lane, or one more from the pool
    /// (waiting up to the pool's acquire timeout again, and taking a connection of the lane
    /// that comes free in the meantime instead). `None` when the lane is closed (the caller
    /// uses the pool).
    async fn lend(&self, use_: Use) -> Result<Option<Lent<'_>>, DbErr> {
        let deadline = tokio::time::Instant::now() + ACQUIRE_TIMEOUT;
        // A read waits for its turn among the reads first, then for a statement's.
        let read = match use_ {
            Use::Read => match permit(&self.reads, deadline).await? {
                Some(read) => Some(read),
                None => return Ok(None),
            },
            Use::Write => None,
        };
        let Some(permit) = permit(&self.permits, deadline).await? else {
            return Ok(None);
        };
        let permits = (permit, read);
        if let Some(conn) = self.take_idle() {
            return Ok(Some(Lent::counted(self, Some(conn)).with(permits)));
        }
        if self.closed.load(Ordering::Acquire) {
            return Ok(None);
        }
        // With a permit and no idle connection, the lane holds fewer than its capacity (every
        // connection it holds is idle or lent with a permit, and a lent one is put back before
        // its permit is released); checked all the same.
        if self.held.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.held.fetch_sub(1, Ordering::AcqRel);
            return Ok(None);
        }
        // Counted from here: dropping `lent` (an error, or this future dropped while waiting
        // for the pool) uncounts it.
        let mut lent = Lent::counted(self, None).with(permits);
        // The pool may be empty while the lane holds fewer than its capacity (transactions took
        // the rest): then a connection of the lane that comes free first is taken instead, so
        // that later statements, whose permits come with it, do not pass this one.
        let acquire = self.pool.acquire();
        tokio::pin!(acquire);
        loop {
            let returned = self.returned.notified();
            tokio::pin!(returned);
            // Registered before the idle list is looked at, so no return in between is missed.
            returned.as_mut().enable();
            if let Some(conn) = self.take_idle() {
                // Already counted as the lane's: the count taken for a new one goes.
                self.held.fetch_sub(1, Ordering::AcqRel);
                lent.conn = Some(conn);
                return Ok(Some(lent));
            }
            tokio::select! {
                acquired = &mut acquire => {
                    lent.conn = Some(acquired.map_err(|e| match e {
                        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
                        sqlx::Error::PoolClosed => {
                            DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
                        }
                        e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
                    })?);
                    return Ok(Some(lent));
                }
                () = returned => {}
            }
        }
    }

    /// An idle connection of the lane, fresh enough to use without a test; one idle longer than
    /// `ping_after_idle` (a firewall may have cut it) goes back to the pool, which pings it.
    fn take_idle(&self) -> Option<PoolConnection<Postgres>> {
        loop {
            let (conn, since) = self.idle_list().pop()?;
            if since.elapsed() < self.ping_after_idle {
                return Some(conn);
            }
            drop(Lent::counted(self, Some(conn)));
        }
    }

    /// Runs `stmt` with its values bound (as sea-orm does), counted in the statement metrics.
    ///
    /// A read's permit (`read`) is given back once the statement has run for `read_turn`: the
    /// statement goes on, no longer counted among the reads at once, so that a few long reads
    /// (a report at national scale runs for seconds) hold up the reads behind them for no
    /// longer than that. Returned if still held, for the connection to go back first.
    async fn run<'q, 'l, T, F, Fut>(
        &'l self,
        stmt: &'q Statement,
        mut read: Option<tokio::sync::SemaphorePermit<'l>>,
        run: F,
    ) -> (
        Result<T, sqlx::Error>,
        Option<tokio::sync::SemaphorePermit<'l>>,
    )
    where
        F: FnOnce(sqlx::query::Query<'q, Postgres, SqlxValues>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let values = stmt.values.clone().unwrap_or(sea_orm::Values(Vec::new()));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values));
        let started = Instant::now();
        let running = run(query);
        let result = if read.is_some() {
            tokio::pin!(running);
            tokio::select! {
                result = &mut running => result,
                () = tokio::time::sleep(self.read_turn) => {
                    read = None;
                    running.await
                }
            }
        } else {
            running.await
        };
        if let Some(metrics) = &self.metrics {
            observe(
                metrics,
                &sea_orm::metric::Info {
                    elapsed: started.elapsed(),
                    statement: stmt,
                    failed: result.is_err(),
                },
            );
        }
        (result, read)
    }

    /// No more lending: the idle connections go back to the pool, and lent ones when their
    /// statements end.
    fn close(&self) {
        // Set under the idle list's lock, which `Lent::drop` holds while it checks the flag and
        // puts a connection back: none can be put back after the list was emptied (the pool's
        // close would wait for it for ever).
        let idle = {
            let mut list = self.idle_list();
            self.closed.store(true, Ordering::Release);
            std::mem::take(&mut *list)
        };
        // Statements waiting for a permit go to the pool (which is closing too).
        self.reads.close();
        self.permits.close();
        for (conn, _) in idle {
            drop(Lent::counted(self, Some(conn)));
        }
    }
}

/// One of `semaphore`'s permits, waiting in turn until `deadline`; `None` once it is closed.
async fn permit(
    semaphore: &tokio::sync::Semaphore,
    deadline: tokio::time::Instant,
) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, DbErr> {
    match tokio::time::timeout_at(deadline, semaphore.acquire()).await {
        Ok(Ok(permit)) => Ok(Some(permit)),
        Ok(Err(_closed)) => Ok(None),
        Err(_elapsed) => Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
    }
}

/// A connection of the lane, lent for one statement. Dropped without [`Lent::finish`] seeing
/// the statement succeed, it goes back to sqlx's pool (which pings it, or closes it).
struct Lent<'a> {
    lane: &'a Lane,
    conn: Option<PoolConnection<Postgres>>,
    keep: bool,
    /// Released after `drop` has put the connection back (fields drop after `Drop::drop`):
    /// the statement's permit, and a read's.
    _permits: Option<Permits<'a>>,
}

type Permits<'a> = (
    tokio::sync::SemaphorePermit<'a>,
    Option<tokio::sync::SemaphorePermit<'a>>,
);

impl<'a> Lent<'a> {
    /// One of the connections `held` counts (dropped unkept, it is uncounted).
    fn counted(lane: &'a Lane, conn: Option<PoolConnection<Postgres>>) -> Lent<'a> {
        Lent {
            lane,
            conn,
            keep: false,
            _permits: None,
        }
    }

    fn with(mut self, permits: Permits<'a>) -> Lent<'a> {
        self._permits = Some(permits);
        self
    }

    /// A read's permit, for [`Lane::run`] to give back after the read's turn.
    fn take_read(&mut self) -> Option<tokio::sync::SemaphorePermit<'a>> {
        self._permits.as_mut().and_then(|(_, read)| read.take())
    }

    fn put_read(&mut self, permit: Option<tokio::sync::SemaphorePermit<'a>>) {
        if let Some((_, read)) = self._permits.as_mut() {
            *read = permit;
        }
    }

    fn connection(&mut self) -> &mut sqlx::PgConnection {
        match self.conn.as_mut() {
            Some(conn) => conn,
            // `lend` never hands out a `Lent` without its connection.
            None => unreachable!("a lent connection without its connection"),
        }
    }

    /// The statement's outcome; a connection whose statement succeeded stays in the lane.
    fn finish<T>(mut self, result: Result<T, sqlx::Error>) -> Result<T, DbErr> {
        match result {
            Ok(value) => {
                self.keep = true;
                Ok(value)
            }
            Err(e) => Err(DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))),
        }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.keep {
                let mut idle = self.lane.idle_list();
                if !self.lane.closed.load(Ordering::Acquire) {
                    idle.push((conn, Instant::now()));
                    drop(idle);
                    self.lane.returned.notify_one();
                    return;
                }
            }
            drop(conn);
        }
        self.lane.held.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One statement in the metrics (and, at debug level, the log): sea-orm's and the lane's.
/// The log gets the statement's text with its placeholders and the number of its values, never
/// the values: they are what users wrote (private notes, contact persons' names and
/// addresses), and a log leaves the server by other hands than the API's rules.
fn observe(metrics: &Metrics, info: &sea_orm::metric::Info<'_>) {
    metrics.sql_statements.inc();
    if info.failed {
        metrics.sql_failures.inc();
    }
    metrics.sql_duration.observe(info.elapsed.as_secs_f64());
    tracing::debug!(
        target: "kontaktpunkt::sql",
        sql = %info.statement.sql,
        values = info.statement.values.as_ref().map_or(0, |v| v.0.len()),
        elapsed_us = info.elapsed.as_micros() as u64,
        failed = info.failed,
    );
}

pub async fn connect(
    url: &str,
    pool: &PoolSettings,
    metrics: Option<Arc<Metrics>>,
) -> Result<Db, DbErr> {
    let size = pool.size_for(url);
    let conn = connect_pool(url, pool, metrics.clone()).await?;
    let capacity = Lane::capacity_for(size);
    let lane = (conn.get_database_backend() == DbBackend::Postgres && capacity > 0).then(|| {
        Arc::new(Lane::new(
            conn.get_postgres_connection_pool().clone(),
            (capacity, pool.reads_at_once() as usize, pool.read_turn),
            pool.ping_after_idle,
            metrics,
        ))
    });
    Ok(Db {
        conn,
        lane,
        queries: Use::Read,
    })
}

/// sea-orm's pool alone (no lane), with the options every pool here needs: tools and tests
/// that connect beside the server use it too, so that no pool runs sqlx's reaper (below).
pub async fn connect_pool(
    url: &str,
    pool: &PoolSettings,
    metrics: Option<Arc<Metrics>>,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(pool.size_for(url))
        .min_connections(1)
        // sqlx still pings every connection when it is returned; a ping at checkout too
        // would make every statement three round trips. Only idle connections (the ones a
        // firewall or a restarted server may have cut) are tested before use.
        .test_before_acquire_if_idle_for(pool.ping_after_idle)
        // No idle reaper and no lifetime recycling: sqlx 0.9's reaper loop reads a connection
        // count that can wrap below zero while another task takes a connection, and then spins
        // on a runtime worker forever (sqlx issue #3645, fix pending in PR #4289; seen here as
        // a test server hanging at 100 % CPU). The pool keeps at most its size open; a
        // connection idle past `ping_after_idle` is tested before use.
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .sqlx_logging(false);
    if let Some(metrics) = &metrics {
        // Counted by sqlx for each connection the pool opens (sea-orm's own `after_connect`
        // runs once, after the pool is made, so it cannot show reconnects).
        let opened = metrics.db_connections_opened.clone();
        opts.map_sqlx_postgres_pool_opts(move |pool| counting_connections(pool, opened.clone()));
        let opened = metrics.db_connections_opened.clone();
        opts.map_sqlx_sqlite_pool_opts(move |pool| counting_connections(pool, opened.clone()));
    }
    let mut db = Database::connect(opts).await?;
    if let Some(metrics) = metrics {
        db.set_metric_callback(move |info| observe(&metrics, info));
    }
    Ok(db)
}

/// `pool` with `opened` counting each connection it opens.
fn counting_connections<DB: sea_orm::sqlx::Database>(
    pool: sea_orm::sqlx::pool::PoolOptions<DB>,
    opened: prometheus::IntCounter,
) -> sea_orm::sqlx::pool::PoolOptions<DB> {
    pool.after_connect(move |_, _| {
        opened.inc();
        Box::pin(async { Ok(()) })
    })
}

/// Applies every pending migration (schema and reference data).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pool runs without sqlx's idle reaper (see `connect`), with its configured size and
    /// the idle-only ping.
    #[tokio::test]
    async fn pool_runs_without_the_reaper() {
        let settings = PoolSettings {
            size: Some(3),
            ping_after_idle: Duration::from_secs(7),
            ..PoolSettings::defaults()
        };
        let db = connect("sqlite::memory:", &settings, None)
            .await
            .expect("in-memory SQLite");
        let options = db.get_sqlite_connection_pool().options();
        assert_eq!(options.get_idle_timeout(), None);
        assert_eq!(options.get_max_lifetime(), None);
        assert_eq!(options.get_max_connections(), 3);
        assert!(!options.get_test_before_acquire());
        db.close().await.ok();
    }
}

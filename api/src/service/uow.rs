//! The unit of work: the one path every write takes.
//!
//! `begin` opens the unit of work; `authorize` asks the policy; services read and write through
//! `conn` and note one audit event per record they change (`created`, `changed`); `commit`
//! writes those events in the same transaction and commits. Several services can work in one
//! unit of work (a batch, an outcome with its agreements and follow-ups): each takes
//! `&mut UnitOfWork`.
//!
//! `commit` refuses when no policy decision was taken, and when nothing was recorded; a unit
//! of work dropped without `commit` rolls back. Later steps (a change log for integrations,
//! idempotency keys) go into `commit`.
//!
//! Round trips (PostgreSQL). A service can `defer` an insert of a row it holds in full; the
//! deferred rows are written before the next statement that runs in the transaction, or at
//! `commit`, where PostgreSQL gets them and the audit events as one statement (a
//! data-modifying `WITH`; SQLite gets them one by one). `begin_lazy` (`write_lazy`) is for
//! work that reads first and then defers its inserts, like logActivity: the transaction begins
//! only at the first statement that needs it (a write, a locking read, anything after a
//! deferred row); plain reads before that run on the pool, and at READ COMMITTED every
//! statement takes its own snapshot, inside a transaction or not, so they see the same rows.
//! When nothing needed the transaction, the one statement at `commit` is atomic by itself and
//! runs without `BEGIN` and `COMMIT`: two round trips fewer. On SQLite every unit of work
//! begins IMMEDIATE at once (two writers queue instead of failing on a lock upgrade).

use crate::db::Db;
use chrono::Utc;
use entity::{audit_event, audit_event_subject};
use sea_orm::sea_query::{
    CommonTableExpression, InsertStatement, SelectStatement, SubQueryStatement, WithClause,
};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, ExecResult, QueryResult,
    QueryTrait, Set, SqlErr, Statement, StatementBuilder, TransactionOptions, TransactionTrait,
};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::audit_view::{self, Audited};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::error::{AppError, AppResult};

/// Who is writing, and the request it came with (for the audit trail).
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub actor: Actor,
    /// The server's own id of the request.
    pub request_id: String,
    /// The caller's `x-request-id`, kept for correlation.
    pub client_request_id: Option<String>,
}

struct PendingEvent {
    action: &'static str,
    entity_type: &'static str,
    entity_id: String,
    owner: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
}

pub struct UnitOfWork<'a> {
    conn: UowConn,
    ctx: &'a WriteContext,
    authorized: bool,
    /// A service found nothing to change (an idempotent repeat) and said so.
    unchanged: bool,
    events: Vec<PendingEvent>,
}

/// At most this many records change in one unit of work (a batch is cut into several).
pub const MAX_EVENTS: usize = 1_000;

/// Rows of one audit `INSERT` (the databases' bound-parameter limits).
const EVENTS_PER_INSERT: usize = 100;
/// Rows of one audit-subject `INSERT`.
const SUBJECTS_PER_INSERT: usize = 500;
/// Deferred inserts written in one statement with the audit events; more go one by one.
const DEFERRED_PER_STATEMENT: usize = 8;

/// The connection of one unit of work (see the module's comment): the transaction, or (lazy,
/// until a statement needs the transaction) the pool for plain reads; deferred inserts are
/// written before anything else runs in the transaction.
pub struct UowConn {
    db: Db,
    txn: OnceCell<DatabaseTransaction>,
    deferred: std::sync::Mutex<Vec<InsertStatement>>,
}

impl UowConn {
    async fn transaction(&self) -> Result<&DatabaseTransaction, DbErr> {
        let txn = self
            .txn
            .get_or_try_init(|| async {
                self.db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            })
            .await?;
        let deferred = std::mem::take(&mut *self.deferred_rows());
        for insert in deferred {
            txn.execute(&insert).await?;
        }
        Ok(txn)
    }

    fn deferred_rows(&self) -> std::sync::MutexGuard<'_, Vec<InsertStatement>> {
        // The lock is never held across an await; a poisoned one still holds a valid list.
        self.deferred
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A plain read before the transaction began and with nothing deferred runs on the pool.
    fn on_pool(&self, stmt: &Statement) -> bool {
        !self.began() && self.deferred_rows().is_empty() && is_plain_read(&stmt.sql)
    }

    fn began(&self) -> bool {
        self.txn.initialized()
    }
}

/// A `SELECT` without a row lock (statements are built by sea-query; values are bound, so the
/// text holds no data).
fn is_plain_read(sql: &str) -> bool {
    sql.starts_with("SELECT ")
        && ![
            "FOR UPDATE",
            "FOR NO KEY UPDATE",
            "FOR SHARE",
            "FOR KEY SHARE",
        ]
        .iter()
        .any(|lock| sql.contains(lock))
}

#[async_trait::async_trait]
impl ConnectionTrait for UowConn {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.transaction().await?.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.transaction().await?.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if self.on_pool(&stmt) {
            return self.db.query_one_raw(stmt).await;
        }
        self.transaction().await?.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if self.on_pool(&stmt) {
            return self.db.query_all_raw(stmt).await;
        }
        self.transaction().await?.query_all_raw(stmt).await
    }
}

impl<'a> UnitOfWork<'a> {
    /// Begins the transaction at once.
    pub async fn begin(db: &Db, ctx: &'a WriteContext) -> AppResult<Self> {
        Self::open(db, ctx, true).await
    }

    /// On PostgreSQL, begins the transaction only when a statement needs it (see the module's
    /// comment): for writes that read first and then `defer` the rows they insert. On SQLite
    /// the same as `begin`.
    pub async fn begin_lazy(db: &Db, ctx: &'a WriteContext) -> AppResult<Self> {
        Self::open(db, ctx, db.get_database_backend() == DbBackend::Sqlite).await
    }

    async fn open(db: &Db, ctx: &'a WriteContext, now: bool) -> AppResult<Self> {
        let conn = UowConn {
            db: db.clone(),
            txn: OnceCell::new(),
            deferred: std::sync::Mutex::new(Vec::new()),
        };
        if now {
            conn.transaction().await?;
        }
        Ok(UnitOfWork {
            conn,
            ctx,
            authorized: false,
            unchanged: false,
            events: Vec::new(),
        })
    }

    pub fn actor(&self) -> &Actor {
        &self.ctx.actor
    }

    /// Asks the policy; a refusal is returned (and the unit of work rolls back when dropped).
    pub fn authorize(&mut self, action: &Action<'_>) -> AppResult<()> {
        policy::authorize(&self.ctx.actor, action)?;
        self.authorized = true;
        Ok(())
    }

    /// Where services read and write.
    pub fn conn(&self) -> &UowConn {
        &self.conn
    }

    /// Writes this insert later: before the next statement that runs in the transaction, or
    /// at `commit`. For rows the service already holds in full (no defaults from the
    /// database); the caller notes its audit event as for any write.
    pub fn defer(&mut self, insert: impl QueryTrait<QueryStatement = InsertStatement>) {
        self.conn.deferred_rows().push(insert.into_query());
    }

    fn push(
        &mut self,
        action: &'static str,
        entity_type: &'static str,
        entity_id: &str,
        owner: Option<&str>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AppResult<()> {
        if self.events.len() >= MAX_EVENTS {
            return Err(AppError::LimitExceeded(format!(
                "at most {MAX_EVENTS} records change in one request"
            )));
        }
        if self
            .events
            .iter()
            .any(|e| e.entity_id == entity_id && e.action == action)
        {
            return Err(AppError::Internal(format!(
                "{action} recorded twice for one record in one unit of work"
            )));
        }
        self.events.push(PendingEvent {
            action,
            entity_type,
            entity_id: entity_id.to_owned(),
            owner: owner.map(str::to_owned),
            before,
            after,
        });
        Ok(())
    }

    /// Says that this request changes nothing (an idempotent repeat returns what exists):
    /// `commit` then rolls back instead of refusing for want of an audit event.
    pub fn unchanged(&mut self) {
        self.unchanged = true;
    }

    /// Notes the creation of a record (no before, its view after).
    pub fn created<A: Audited + ?Sized>(
        &mut self,
        action: &'static str,
        record: &A,
    ) -> AppResult<()> {
        self.push(
            action,
            A::VIEW.typename,
            record.audit_id(),
            record.audit_owner(),
            None,
            Some(audit_view::snapshot(record)?),
        )
    }

    /// Notes the removal of a record (its view before, no after).
    pub fn removed<A: Audited + ?Sized>(
        &mut self,
        action: &'static str,
        record: &A,
    ) -> AppResult<()> {
        self.push(
            action,
            A::VIEW.typename,
            record.audit_id(),
            record.audit_owner(),
            Some(audit_view::snapshot(record)?),
            None,
        )
    }

    /// Notes a change of a record (its view before and after).
    pub fn changed<A: Audited + ?Sized>(
        &mut self,
        action: &'static str,
        before: &A,
        after: &A,
    ) -> AppResult<()> {
        self.push(
            action,
            A::VIEW.typename,
            after.audit_id(),
            after.audit_owner().or(before.audit_owner()),
            Some(audit_view::snapshot(before)?),
            Some(audit_view::snapshot(after)?),
        )
    }

    /// Writes the audit events and commits. Refuses without a policy decision or without any
    /// recorded event (unless the unit of work was declared `unchanged`, which rolls back):
    /// nothing is committed then.
    pub async fn commit(self) -> AppResult<()> {
        match self.finish(None).await {
            Ok(_) => Ok(()),
            Err(Finish::MissingReference(e)) => Err(e.into()),
            Err(Finish::Failed(e)) => Err(e),
        }
    }

    /// Commits as `commit` does and answers `read` as the database stood before this unit of
    /// work's writes. On PostgreSQL `read` is the body of the one statement that writes the
    /// deferred rows and the audit events (their data-modifying `WITH`; every part of a
    /// statement sees the same snapshot, taken before its writes): checks and write in one
    /// round trip, without BEGIN and COMMIT when nothing ran in a transaction yet. On SQLite,
    /// and for more rows than one statement takes, it runs in the transaction before the
    /// writes. `None` when a written row refers to a record that does not exist (a foreign
    /// key): nothing was written then, and the caller says what is missing.
    pub async fn commit_reading(
        self,
        read: SelectStatement,
    ) -> AppResult<Option<Vec<QueryResult>>> {
        match self.finish(Some(read)).await {
            Ok(rows) => Ok(Some(rows)),
            Err(Finish::MissingReference(_)) => Ok(None),
            Err(Finish::Failed(e)) => Err(e),
        }
    }

    async fn finish(self, read: Option<SelectStatement>) -> Result<Vec<QueryResult>, Finish> {
        if !self.authorized {
            return Err(AppError::Internal(
                "a write was about to commit without a policy decision".into(),
            )
            .into());
        }
        let backend = self.conn.db.get_database_backend();
        if self.events.is_empty() {
            if self.unchanged {
                let rows = match read {
                    Some(read) => self.conn.query_all_raw(backend.build(&read)).await?,
                    None => Vec::new(),
                };
                if let Some(txn) = self.conn.txn.into_inner() {
                    txn.rollback().await?;
                }
                return Ok(rows);
            }
            return Err(AppError::Internal(
                "a write was about to commit without an audit event".into(),
            )
            .into());
        }
        let at = Utc::now();
        let mut subjects = Vec::new();
        let mut events = Vec::with_capacity(self.events.len());
        for event in self.events {
            let id = new_id();
            let mut personal: Vec<String> = Vec::new();
            for snapshot in [&event.before, &event.after].into_iter().flatten() {
                for subject in audit_view::personal_subjects(snapshot) {
                    if !personal.contains(&subject) {
                        personal.push(subject);
                    }
                }
            }
            subjects.extend(
                personal
                    .into_iter()
                    .map(|s| audit_event_subject::ActiveModel {
                        subject_id: Set(s),
                        event_id: Set(id.clone()),
                    }),
            );
            events.push(audit_event::ActiveModel {
                id: Set(id),
                at: Set(at),
                actor_sub: Set(self.ctx.actor.sub.clone()),
                organisation_id: Set(Some(self.ctx.actor.organisation_id.clone())),
                owner_organisation_id: Set(event.owner),
                action: Set(event.action.to_owned()),
                entity_type: Set(event.entity_type.to_owned()),
                entity_id: Set(event.entity_id),
                before: Set(event.before),
                after: Set(event.after),
                request_id: Set(self.ctx.request_id.clone()),
                client_request_id: Set(self.ctx.client_request_id.clone()),
            });
        }
        // Deferred rows, then the events, then their subjects (which reference them).
        let mut inserts: Vec<InsertStatement> = std::mem::take(&mut *self.conn.deferred_rows());
        for chunk in events.chunks(EVENTS_PER_INSERT) {
            inserts.push(audit_event::Entity::insert_many(chunk.to_vec()).into_query());
        }
        for chunk in subjects.chunks(SUBJECTS_PER_INSERT) {
            inserts.push(audit_event_subject::Entity::insert_many(chunk.to_vec()).into_query());
        }
        let conn = self.conn;
        let mut rows = Vec::new();
        if backend == DbBackend::Postgres && inserts.len() <= DEFERRED_PER_STATEMENT + 2 {
            // One statement writes the deferred rows and the audit events (PostgreSQL checks
            // the foreign keys at its end): atomic by itself when nothing ran in a transaction.
            let on_pool = !conn.began();
            match read {
                Some(read) => {
                    let statement = one_statement(backend, inserts, read);
                    rows = if on_pool {
                        conn.db.for_writes().query_all_raw(statement).await
                    } else {
                        conn.transaction().await?.query_all_raw(statement).await
                    }
                    .map_err(Finish::from_write)?;
                }
                None => {
                    if let Some(last) = inserts.pop() {
                        let statement = one_statement(backend, inserts, last);
                        if on_pool {
                            conn.db.execute_raw(statement).await
                        } else {
                            conn.transaction().await?.execute_raw(statement).await
                        }
                        .map_err(Finish::from_write)?;
                    }
                }
            }
            if on_pool {
                return Ok(rows);
            }
        } else {
            let txn = conn.transaction().await?;
            if let Some(read) = read {
                rows = txn.query_all_raw(backend.build(&read)).await?;
            }
            for insert in &inserts {
                txn.execute(insert).await.map_err(Finish::from_write)?;
            }
        }
        match conn.txn.into_inner() {
            Some(txn) => txn.commit().await?,
            None => return Err(AppError::Internal("the transaction was lost".into()).into()),
        }
        Ok(rows)
    }
}

/// `body` with `ctes` as its data-modifying `WITH` (`w0`, `w1`, …): one statement.
fn one_statement<B>(backend: DbBackend, ctes: Vec<InsertStatement>, body: B) -> Statement
where
    B: StatementBuilder + Into<SubQueryStatement>,
{
    if ctes.is_empty() {
        return backend.build(&body);
    }
    let mut with = WithClause::new();
    for (i, insert) in ctes.into_iter().enumerate() {
        with.cte(
            CommonTableExpression::new()
                .query(insert)
                .table_name(format!("w{i}"))
                .to_owned(),
        );
    }
    backend.build(&with.query(body))
}

/// Why `finish` wrote nothing.
enum Finish {
    /// A written row refers to a record that does not exist (a foreign key).
    MissingReference(DbErr),
    Failed(AppError),
}

impl Finish {
    /// A failed write: a missing reference is the caller's to name, anything else an error.
    fn from_write(e: DbErr) -> Self {
        if matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) {
            Finish::MissingReference(e)
        } else {
            Finish::Failed(e.into())
        }
    }
}

impl From<AppError> for Finish {
    fn from(e: AppError) -> Self {
        Finish::Failed(e)
    }
}

impl From<DbErr> for Finish {
    fn from(e: DbErr) -> Self {
        Finish::Failed(e.into())
    }
}

/// Runs `work` in a new unit of work and commits it: the whole write path of one mutation.
pub async fn write<T>(
    db: &Db,
    ctx: &WriteContext,
    work: impl AsyncFnOnce(&mut UnitOfWork<'_>) -> AppResult<T>,
) -> AppResult<T> {
    run(UnitOfWork::begin(db, ctx).await?, work).await
}

/// `write` for work that reads first and then defers its inserts (`UnitOfWork::begin_lazy`).
pub async fn write_lazy<T>(
    db: &Db,
    ctx: &WriteContext,
    work: impl AsyncFnOnce(&mut UnitOfWork<'_>) -> AppResult<T>,
) -> AppResult<T> {
    run(UnitOfWork::begin_lazy(db, ctx).await?, work).await
}

async fn run<T>(
    mut uow: UnitOfWork<'_>,
    work: impl AsyncFnOnce(&mut UnitOfWork<'_>) -> AppResult<T>,
) -> AppResult<T> {
    let out = work(&mut uow).await?;
    uow.commit().await?;
    Ok(out)
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use entity::company;
    use migration::MigratorTrait;
    use sea_orm::{EntityTrait, PaginatorTrait};

    async fn database() -> (Db, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!("kp-uow-{}.db", new_id()));
        // The server's pool options (no idle reaper: sqlx issue #3645).
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = crate::db::connect_pool(&url, &crate::config::PoolSettings::defaults(), None)
            .await
            .expect("sqlite");
        migration::Migrator::up(&db, None).await.expect("migrate");
        (db.into(), path)
    }

    fn ctx() -> WriteContext {
        WriteContext {
            actor: Actor {
                sub: "u".into(),
                name: None,
                organisation_id: "jc-101".into(),
                roles: vec![Role::Consultant],
            },
            request_id: "r".into(),
            client_request_id: None,
        }
    }

    fn company() -> company::Model {
        let now = Utc::now();
        company::Model {
            id: new_id(),
            cvr: "10150817".into(),
            name: "Firma".into(),
            name_search: "firma".into(),
            industry_code: None,
            municipality_code: None,
            address: None,
            postal_code: None,
            employees: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[tokio::test]
    async fn commit_needs_a_policy_decision_and_an_event_and_writes_one_event_per_record() {
        let (db, path) = database().await;
        let ctx = ctx();
        let events = || async { audit_event::Entity::find().count(&db).await.expect("count") };

        // An event but no policy decision: refused, nothing written.
        let mut uow = UnitOfWork::begin(&db, &ctx).await.expect("begin");
        uow.created("company.registered", &company())
            .expect("record");
        let refused = uow.commit().await;
        assert!(matches!(refused, Err(AppError::Internal(m)) if m.contains("policy decision")));
        assert_eq!(events().await, 0);

        // A policy decision but no event: refused.
        let mut uow = UnitOfWork::begin(&db, &ctx).await.expect("begin");
        uow.authorize(&Action::RegisterCompany).expect("allowed");
        let refused = uow.commit().await;
        assert!(matches!(refused, Err(AppError::Internal(m)) if m.contains("audit event")));

        // A denied decision does not count as one.
        let mut uow = UnitOfWork::begin(&db, &ctx).await.expect("begin");
        assert!(uow.authorize(&Action::EraseContactPerson).is_err());
        uow.created("company.registered", &company())
            .expect("record");
        assert!(uow.commit().await.is_err());
        assert_eq!(events().await, 0);

        // A declared no-op (an idempotent repeat) rolls back instead of failing.
        let mut uow = UnitOfWork::begin(&db, &ctx).await.expect("begin");
        uow.authorize(&Action::AddProductionUnit).expect("allowed");
        uow.unchanged();
        uow.commit().await.expect("nothing to commit");
        assert_eq!(events().await, 0);

        // Three records in one unit of work: three events, in one transaction.
        let mut uow = UnitOfWork::begin(&db, &ctx).await.expect("begin");
        uow.authorize(&Action::RegisterCompany).expect("allowed");
        for _ in 0..3 {
            uow.created("company.registered", &company())
                .expect("record");
        }
        uow.commit().await.expect("commit");
        let rows = audit_event::Entity::find().all(&db).await.expect("events");
        assert_eq!(rows.len(), 3);
        for row in rows {
            let after = row.after.expect("after");
            assert_eq!(after["__typename"], "Company");
            assert_eq!(after["__version"], 2);
            assert_eq!(row.request_id, "r");
            assert!(after.get("nameSearch").is_none() && after.get("name_search").is_none());
        }
        db.close().await.ok();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

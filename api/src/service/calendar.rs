//! Meetings in the consultant's own calendar. Outlook and other calendar apps cannot send a
//! bearer token, so a staff user creates a secret feed URL, `/calendar/<id>.<secret>.ics`,
//! shown once; only the SHA-256 of the secret is stored, and the secret is compared in
//! constant time. The feed lists the meetings the user holds (`assigneeSub`) for their
//! organisation, from 30 days back to 180 days ahead, as RFC 5545 events. A revoked or unknown
//! feed answers 404.
//!
//! What a feed shows is what a calendar needs — kind, company, address, time, status — and
//! never the activity's notes: calendars are synchronised to third-party clouds.

use crate::db::Db;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use entity::enums::{ActivityKind, ActivityStatus};
use entity::{activity, calendar_feed, company};
use rand::RngCore as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest as _, Sha256};

use super::uow::{self, WriteContext, new_id};
use super::validation as v;
use crate::auth::Actor;
use crate::auth::policy::Action;
use crate::error::{AppError, AppResult};

/// Meetings this far back and ahead are in the feed.
pub const DAYS_BACK: i64 = 30;
pub const DAYS_AHEAD: i64 = 180;
/// A meeting without an end lasts an hour in the calendar.
const MEETING_MINUTES: i64 = 60;
/// At most this many events in one feed.
const MAX_EVENTS: u64 = 2_000;

/// A new feed and its secret path (shown once).
pub struct NewFeed {
    pub feed: calendar_feed::Model,
    /// `/calendar/<id>.<secret>.ics`
    pub path: String,
}

fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal without an early exit: the time taken does not depend on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The caller's feeds, newest first.
pub async fn of_actor(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> AppResult<Vec<calendar_feed::Model>> {
    Ok(calendar_feed::Entity::find()
        .filter(calendar_feed::Column::Sub.eq(actor.sub.clone()))
        .filter(calendar_feed::Column::OrganisationId.eq(actor.organisation_id.clone()))
        .order_by_desc(calendar_feed::Column::CreatedAt)
        .all(db)
        .await?)
}

#[tracing::instrument(skip_all)]
pub async fn create(db: &Db, ctx: &WriteContext) -> AppResult<NewFeed> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    uow::write(db, ctx, async |uow| {
        uow.authorize(&Action::CreateCalendarFeed)?;
        let feed = calendar_feed::ActiveModel {
            id: Set(new_id()),
            sub: Set(uow.actor().sub.clone()),
            organisation_id: Set(uow.actor().organisation_id.clone()),
            secret_hash: Set(sha256_hex(&secret)),
            created_at: Set(Utc::now()),
            revoked_at: Set(None),
        }
        .insert(uow.conn())
        .await?;
        uow.created("calendarFeed.created", &feed)?;
        let path = format!("/calendar/{}.{secret}.ics", feed.id);
        Ok(NewFeed { feed, path })
    })
    .await
}

#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn revoke(db: &Db, ctx: &WriteContext, id: &str) -> AppResult<calendar_feed::Model> {
    uow::write(db, ctx, async |uow| {
        let before = if v::is_id(id.trim()) {
            calendar_feed::Entity::find_by_id(id.trim().to_owned())
                .one(uow.conn())
                .await?
        } else {
            None
        }
        .ok_or_else(|| AppError::NotFound(format!("calendar feed {id} not found")))?;
        uow.authorize(&Action::RevokeCalendarFeed {
            sub: &before.sub,
            organisation: &before.organisation_id,
        })?;
        if before.revoked_at.is_some() {
            return Err(AppError::Conflict("the feed is already revoked".into()));
        }
        let mut am = before.clone().into_active_model();
        am.revoked_at = Set(Some(Utc::now()));
        let after = am.update(uow.conn()).await?;
        uow.changed("calendarFeed.revoked", &before, &after)?;
        Ok(after)
    })
    .await
}

/// The feed a secret file name (`<id>.<secret>.ics`) opens, or `None` — for an unknown, a
/// revoked or a wrong one alike. The secret's hash is compared in constant time, against a
/// stand-in when the id is unknown.
pub async fn open(
    db: &impl ConnectionTrait,
    file: &str,
) -> AppResult<Option<calendar_feed::Model>> {
    const STAND_IN: &str = "0000000000000000000000000000000000000000000000000000000000000000";
    let name = file.strip_suffix(".ics").unwrap_or("");
    let (id, secret) = name.split_once('.').unwrap_or(("", name));
    let hash = sha256_hex(secret);
    let feed = if v::is_id(id) && !secret.is_empty() && secret.len() <= 128 {
        calendar_feed::Entity::find_by_id(id.to_owned())
            .one(db)
            .await?
    } else {
        None
    };
    let stored = feed.as_ref().map_or(STAND_IN, |f| f.secret_hash.as_str());
    let matches = constant_time_eq(hash.as_bytes(), stored.as_bytes());
    Ok(feed.filter(|f| matches && f.revoked_at.is_none()))
}

fn kind_label(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Visit => "Virksomhedsbesøg",
        ActivityKind::Phone => "Telefonmøde",
        ActivityKind::Video => "Videomøde",
        ActivityKind::Email => "E-mail",
        ActivityKind::Meeting => "Møde",
    }
}

/// TEXT as RFC 5545 §3.3.11 writes it.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line, folded at 75 octets (RFC 5545 §3.1), never inside a character.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The feed's calendar: the meetings its user holds, `now` − 30 days to `now` + 180 days.
#[tracing::instrument(skip_all)]
pub async fn render(
    db: &impl ConnectionTrait,
    feed: &calendar_feed::Model,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let rows = activity::Entity::find()
        .filter(activity::Column::AssigneeSub.eq(feed.sub.clone()))
        .filter(activity::Column::OrganisationId.eq(feed.organisation_id.clone()))
        .filter(activity::Column::Status.ne(ActivityStatus::Draft))
        .filter(activity::Column::DeletedAt.is_null())
        .filter(activity::Column::ContactAt.gte(now - Duration::days(DAYS_BACK)))
        .filter(activity::Column::ContactAt.lte(now + Duration::days(DAYS_AHEAD)))
        .join(
            JoinType::InnerJoin,
            activity::Entity::belongs_to(company::Entity)
                .from(activity::Column::CompanyId)
                .to(company::Column::Id)
                .into(),
        )
        .select_also(company::Entity)
        .order_by_asc(activity::Column::ContactAt)
        .order_by_asc(activity::Column::Id)
        .limit(MAX_EVENTS)
        .all(db)
        .await?;
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kontaktpunkt//Moeder//DA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Kontaktpunkt",
    ] {
        line(&mut out, l);
    }
    for (a, c) in rows {
        let start = a.scheduled_at.unwrap_or(a.contact_at);
        let company_name = c.as_ref().map_or("", |c| c.name.as_str());
        let location: Vec<&str> = c
            .as_ref()
            .map(|c| {
                [c.address.as_deref(), c.postal_code.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect()
            })
            .unwrap_or_default();
        let status = match a.status {
            ActivityStatus::CancelledByCompany | ActivityStatus::CancelledByJobcentre => {
                "CANCELLED"
            }
            _ => "CONFIRMED",
        };
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", a.id));
        line(&mut out, &format!("DTSTAMP:{}", stamp(a.updated_at)));
        line(&mut out, &format!("LAST-MODIFIED:{}", stamp(a.updated_at)));
        line(
            &mut out,
            &format!("SEQUENCE:{}", a.version.saturating_sub(1)),
        );
        line(&mut out, &format!("DTSTART:{}", stamp(start)));
        line(
            &mut out,
            &format!(
                "DTEND:{}",
                stamp(start + Duration::minutes(MEETING_MINUTES))
            ),
        );
        line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                escape(&format!("{}: {company_name}", kind_label(a.kind)))
            ),
        );
        if !location.is_empty() {
            line(
                &mut out,
                &format!("LOCATION:{}", escape(&location.join(" "))),
            );
        }
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_folded_between_characters() {
        assert_eq!(
            escape("A/S; Vej 1, 5000\\x\nny"),
            "A/S\\; Vej 1\\, 5000\\\\xny".replace("xny", "x\\nny")
        );
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "æ".repeat(60)));
        for l in out.trim_end().split("\r\n") {
            assert!(l.len() <= 75, "{l:?} is {} octets", l.len());
        }
        let unfolded: String = out.trim_end().replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}", "æ".repeat(60)));
    }

    #[test]
    fn secrets_compare_without_early_exit_semantics() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(sha256_hex("").len(), 64);
    }
}

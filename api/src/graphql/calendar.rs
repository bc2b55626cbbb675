//! Calendar feeds: the meetings a consultant holds, in their own calendar app.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::calendar_feed;

use super::fast::Fast;
use super::reference::{Organisation, load_organisation};
use super::{actor, db, write_context};
use crate::service::calendar as svc;

pub struct CalendarFeed(calendar_feed::Model);

#[Object]
impl CalendarFeed {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The user whose meetings (`assigneeSub`) the feed lists.
    async fn sub(&self) -> &str {
        &self.0.sub
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Fast<Organisation>> {
        load_organisation(ctx, &self.0.organisation_id).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new feed with its secret address, shown this once (only a hash is stored).
#[derive(SimpleObject)]
pub struct NewCalendarFeed {
    pub feed: CalendarFeed,
    /// `/calendar/<id>.<secret>.ics` on this server: subscribe to it in Outlook or any
    /// calendar app. Anyone with the address reads the meetings; revoke it when it leaks.
    pub path: String,
}

#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// The caller's own calendar feeds (without their secrets).
    async fn calendar_feeds(&self, ctx: &Context<'_>) -> Result<Vec<Fast<CalendarFeed>>> {
        let feeds = svc::of_actor(db(ctx)?, actor(ctx)?).await?;
        Ok(feeds.into_iter().map(|m| Fast(CalendarFeed(m))).collect())
    }
}

#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// A secret feed of the meetings the caller holds, from 30 days back to 180 ahead.
    async fn create_calendar_feed(&self, ctx: &Context<'_>) -> Result<NewCalendarFeed> {
        let w = write_context(ctx)?;
        let new = svc::create(db(ctx)?, &w).await?;
        Ok(NewCalendarFeed {
            feed: CalendarFeed(new.feed),
            path: new.path,
        })
    }

    /// Stops a feed at once (its user, or an admin); its address answers 404 from then on.
    async fn revoke_calendar_feed(&self, ctx: &Context<'_>, id: ID) -> Result<CalendarFeed> {
        let w = write_context(ctx)?;
        Ok(CalendarFeed(svc::revoke(db(ctx)?, &w, &id).await?))
    }
}

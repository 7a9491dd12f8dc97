//! The outbox as administrators read it (`/admin/outbox`, `mail.read`):
//! who was sent what and whether it arrived, never a message's body.

use crate::db::outbox::{Filter, Listed};
use crate::db::{self, Db};
use crate::domain::permission::perm;
use crate::services::{Authorized, ServiceError};

/// Messages on one page of the outbox.
pub const PAGE: usize = 100;

/// One page of the organisation's outbox, newest first, and whether older
/// messages follow.
pub async fn list(
    db: &Db,
    actor: &Authorized<perm::MailRead>,
    filter: &Filter<'_>,
) -> Result<(Vec<Listed>, bool), ServiceError> {
    let mut conn = db.acquire_read().await?;
    let mut rows = db::outbox::list(actor.scope.on(&mut conn), filter, PAGE as i64 + 1).await?;
    conn.done();
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    Ok((rows, more))
}

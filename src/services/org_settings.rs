//! An organisation's own settings (`/admin/settings`, `users.manage`):
//! today whether reviewers approve only confirmed email addresses.

use super::mail::MailOrg;
use super::work::Work;
use super::{Authorized, RequestMeta, ServiceError};
use crate::db::audit::AuditTarget;
use crate::db::{self, Db};
use crate::domain::AuditAction;
use crate::domain::permission::perm;

/// The settings as the page shows them.
pub struct OrgSettings {
    /// What applies now.
    pub approve_verified_only: bool,
    /// Mail is on (without it, nobody can confirm an address, so the
    /// setting waits).
    pub mail: bool,
}

pub async fn read(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
) -> Result<OrgSettings, ServiceError> {
    let mut conn = db.acquire().await?;
    let org = MailOrg::load(&mut conn, actor.organisation, db.mail()).await?;
    let stored = db::organisations::mail_facts(&mut conn, actor.organisation)
        .await?
        .and_then(|f| f.approve_verified_only)
        .unwrap_or(true);
    Ok(OrgSettings {
        approve_verified_only: if db.mail().enabled {
            org.approve_verified_only
        } else {
            stored
        },
        mail: db.mail().enabled,
    })
}

/// Saves the settings; returns whether anything changed.
pub async fn save(
    db: &Db,
    actor: &Authorized<perm::UsersManage>,
    approve_verified_only: bool,
    meta: &RequestMeta,
) -> Result<bool, ServiceError> {
    let mut work = Work::begin(db, actor, meta).await?;
    let before = db::organisations::mail_facts(work.transaction(), actor.organisation)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let was = before.approve_verified_only.unwrap_or(true);
    // Saving the value that applies already (the default included) writes
    // nothing: the log records changes someone could see.
    if was == approve_verified_only {
        return Ok(false);
    }
    db::organisations::set_approve_verified_only(
        work.transaction(),
        actor.organisation,
        approve_verified_only,
    )
    .await?;
    let word = |on: bool| match on {
        true => "approve only confirmed email addresses",
        false => "approve any address",
    };
    work.audit(
        AuditAction::SettingsChanged,
        Some(AuditTarget {
            kind: "organisation",
            id: actor.organisation.0,
            label: before.name,
            user_id: None,
        }),
    )
    .change(word(was), word(approve_verified_only));
    work.commit("the settings").await?;
    Ok(true)
}

//! One-time links as the pages that open them read them: a presented token
//! is checked for its shape before any read, then found by its hash among
//! the live links of its purpose, in any organisation (the token is all
//! the browser brings).

use super::ServiceError;
use crate::auth::token;
use crate::db::one_time_links::{self, LiveLink};
use crate::db::{Conn, Scope};
use crate::domain::Timestamp;
use crate::domain::link::{LinkPurpose, well_formed};

/// The live link of `purpose` that `presented` opens, if any.
pub async fn live(
    conn: &mut Conn,
    presented: &str,
    purpose: LinkPurpose,
) -> Result<Option<LiveLink>, ServiceError> {
    if !well_formed(presented) {
        return Ok(None);
    }
    let hash = token::hash(presented);
    Ok(
        one_time_links::find_live(Scope::instance().on(conn), &hash, purpose, Timestamp::now())
            .await?,
    )
}

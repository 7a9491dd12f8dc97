//! Users written straight into the database (`db::seed::insert_users`), for
//! lists too long to register one by one.

use gatehouse::db::seed::{SeedUser, insert_users};
use gatehouse::domain::{RoleId, Timestamp, UserStatus};

use super::TestApp;

pub fn seed_user(
    username: &str,
    full_name: &str,
    email: &str,
    status: UserStatus,
    role: i64,
    minutes_ago: i64,
) -> SeedUser {
    SeedUser {
        username: username.into(),
        email: email.into(),
        full_name: full_name.into(),
        status,
        role: RoleId(role),
        created_at: Timestamp(Timestamp::now().0 - minutes_ago * 60_000),
        last_login_at: None,
        login_count: 0,
    }
}

/// Active users named `{prefix}{i}`, `i` zero-padded to `digits`, for each
/// `i` in `range`, registered a minute apart in that order.
pub fn numbered_users(
    prefix: &str,
    digits: usize,
    range: std::ops::Range<i64>,
    role: i64,
) -> Vec<SeedUser> {
    range
        .map(|i| {
            let name = format!("{prefix}{i:0digits$}");
            let email = format!("{name}@x.test");
            seed_user(&name, &name, &email, UserStatus::Active, role, 100_000 - i)
        })
        .collect()
}

pub async fn seed(app: &TestApp, users: &[SeedUser]) {
    let mut conn = app.db.pool.acquire().await.unwrap();
    insert_users(
        gatehouse::db::Scope::organisation(gatehouse::domain::DEFAULT_ORGANISATION).on(&mut conn),
        users,
        gatehouse::db::seed::Hashes::Shared("not-a-password-hash"),
    )
    .await
    .unwrap();
}

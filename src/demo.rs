//! `gatehouse demo seed`: realistic users, role requests and audit history,
//! fast enough for benchmarks (every demo user shares one precomputed hash).

use anyhow::Context;

use crate::db::Scope;
use crate::db::audit::AuditTarget;
use crate::db::seed::{self, SeedUser};
use crate::db::{self, Db};
use crate::domain::{AuditAction, DEFAULT_ORGANISATION, RoleId, Timestamp, UserId, UserStatus};
use crate::services::RequestMeta;
use crate::services::work::Work;

/// The password every demo user shares; printed by the command.
pub const DEMO_PASSWORD: &str = "demo-password-gatehouse-2026";

const FIRST: [&str; 24] = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Donald",
    "Hedy",
    "Tim",
    "Katherine",
    "John",
    "Sophie",
    "Niklaus",
    "Joan",
    "Bjarne",
    "Anita",
    "Guido",
    "Mary",
    "Zoë",
];
/// 96 surnames, none inside another or a first name: searching one finds
/// about 1% of demo users (the benchmark's search).
const LAST: [&str; 96] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Johnson",
    "McCarthy",
    "Wilson",
    "Wirth",
    "Clarke",
    "Stroustrup",
    "Borg",
    "van Rossum",
    "Shaw",
    "Núñez",
    "Backus",
    "Hoare",
    "Kay",
    "Engelbart",
    "Cerf",
    "Kahn",
    "Lamport",
    "Stallman",
    "Wozniak",
    "Goldberg",
    "Milner",
    "Floyd",
    "Tarjan",
    "Hopcroft",
    "Rivest",
    "Shamir",
    "Adleman",
    "Diffie",
    "Hellman",
    "Sutherland",
    "Karp",
    "Yao",
    "Valiant",
    "Pearl",
    "Hinton",
    "Minsky",
    "Shannon",
    "Babbage",
    "Boole",
    "Church",
    "Kernighan",
    "Pike",
    "Gosling",
    "Hejlsberg",
    "Matsumoto",
    "Eich",
    "Lerdorf",
    "Ousterhout",
    "Codd",
    "Stonebraker",
    "Bachman",
    "Corbató",
    "Feigenbaum",
    "Sussman",
    "Steele",
    "Abelson",
    "Wadler",
    "Hudak",
    "Appel",
    "Aho",
    "Ullman",
    "Sethi",
    "Naur",
    "Perlis",
    "Wilkes",
    "Hamming",
    "Atanasoff",
    "Zuse",
    "Kilby",
    "Noyce",
    "Metcalfe",
    "Postel",
    "Lampson",
    "Saltzer",
    "Bartik",
    "Sammet",
    "Goldwasser",
    "Micali",
    "Estrin",
    "Hennessy",
    "Patterson",
    "Dahl",
];

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    /// Users in all.
    pub users: u64,
    /// Organisations to spread them over, the default one included: the
    /// others are made as `demo-0001`, `demo-0002`… with their default roles.
    pub organisations: u64,
    /// Groups to make in the default organisation, each granting a role, all
    /// with one demo user as a member (the user page's heaviest case).
    pub groups: u64,
}

/// Summary of what was seeded.
pub struct SeedReport {
    pub users: u64,
    pub requests: u64,
    pub organisations: u64,
    /// The demo user in every seeded group, when groups were seeded.
    pub group_member: Option<UserId>,
}

/// Adds users (about 10% pending, 5% disabled, 2% rejected), a role request
/// for some of them and their registration audit rows, spread evenly over
/// the organisations; then the groups.
pub async fn seed(db: &Db, options: SeedOptions) -> anyhow::Result<SeedReport> {
    let hash = crate::auth::password::hash_blocking(DEMO_PASSWORD)?;
    // Before the load's transactions: its users land in windows ready for them.
    crate::services::search_index::make_windows(db, options.users).await?;
    let organisations = options.organisations.max(1);
    let mut scopes = vec![Scope::organisation(DEFAULT_ORGANISATION)];
    for n in 1..organisations {
        let form = crate::services::organisations::OrganisationForm {
            slug: format!("demo-{n:04}"),
            name: format!("Demo {n}"),
            host: String::new(),
        };
        let id = crate::services::organisations::create_from_command_line(db, &form)
            .await
            .map_err(|e| anyhow::anyhow!("could not create demo organisation {n}: {e}"))?;
        scopes.push(Scope::organisation(id));
    }
    let (mut requests, mut first_demo_id) = (0, 0);
    let (each, rest) = (options.users / organisations, options.users % organisations);
    for (i, scope) in scopes.iter().enumerate() {
        let count = each + u64::from((i as u64) < rest);
        let (made, before) = seed_organisation(db, scope, count, &hash, organisations).await?;
        requests += made;
        if i == 0 {
            first_demo_id = before;
        }
    }
    crate::services::search_index::after_bulk_load(db).await?;
    let group_member = match options.groups {
        0 => None,
        n => Some(seed_groups(db, n, first_demo_id).await?),
    };
    seed::settle(db).await?;
    Ok(SeedReport {
        users: options.users,
        requests,
        organisations,
        group_member,
    })
}

/// Seeds `count` users into `scope`'s organisation in one transaction;
/// returns how many role requests it made and the highest user id before.
/// The instance gets as many role requests (200) and registration audit
/// rows (1,000) however many organisations share them, `organisations`
/// sharing them out: one row at a time, 1,000 organisations' full share
/// each took the seed past its minute.
async fn seed_organisation(
    db: &Db,
    scope: &Scope,
    count: u64,
    hash: &str,
    organisations: u64,
) -> anyhow::Result<(u64, i64)> {
    let roles = {
        let mut conn = db.acquire().await?;
        db::roles::list(scope.on(&mut conn)).await?
    };
    let role_ids: Vec<RoleId> = roles
        .iter()
        .filter(|r| r.name != "Admin")
        .map(|r| r.id)
        .collect();
    anyhow::ensure!(!role_ids.is_empty(), "no roles to give demo users");
    let meta = RequestMeta {
        ip: Some("127.0.0.1".into()),
        user_agent: Some("gatehouse demo seed".into()),
        ..RequestMeta::default()
    };
    let mut work = Work::in_scope(db, scope.clone(), &meta).await?;
    seed::prepare_bulk_load(work.transaction()).await?;
    let start = seed::max_user_id(work.tx()).await?;
    let now = Timestamp::now().0;
    // Rows per INSERT: 2,000 rows of 15 values stay under SQLite's 32,766
    // parameters, and fewer, larger statements seed faster on both backends
    // (docs/performance.md).
    const BATCH: u64 = 2000;
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let batch: Vec<SeedUser> = (0..n)
            .map(|i| {
                demo_user(
                    start as u64 + done + i + 1,
                    start as u64 + count,
                    &role_ids,
                    now,
                )
            })
            .collect();
        seed::insert_users(work.tx(), &batch, seed::Hashes::Shared(hash)).await?;
        done += n;
    }
    let share = |n: u64| (n / organisations).max(1) as i64;
    let pending = seed::user_ids(work.tx(), UserStatus::Pending, start, share(1_000)).await?;
    let active = seed::user_ids(work.tx(), UserStatus::Active, start, share(200)).await?;
    let mut requests = 0;
    for (i, id) in active.iter().enumerate() {
        let role = role_ids[(i + 1) % role_ids.len()];
        let from = role_ids[i % role_ids.len()];
        if role == from {
            continue;
        }
        db::role_requests::insert(
            work.tx(),
            UserId(*id),
            from,
            role,
            None,
            "I now run the release train and need to review deployments.",
            Timestamp(now - 3_600_000),
        )
        .await
        .context("could not insert a demo role request")?;
        requests += 1;
    }
    for id in pending {
        let target = AuditTarget {
            kind: "user",
            id,
            label: format!("user{id}"),
            user_id: Some(UserId(id)),
        };
        work.audit(AuditAction::UserRegistered, Some(target))
            .at(Timestamp(now - 86_400_000))
            .after(Some("pending".into()));
    }
    work.commit("the demo data").await?;
    Ok((requests, start))
}

/// Makes `count` groups in the default organisation, each granting one of
/// its roles, with the first active demo user (id above `after`) in all of
/// them; returns that user.
async fn seed_groups(db: &Db, count: u64, after: i64) -> anyhow::Result<UserId> {
    let scope = Scope::organisation(DEFAULT_ORGANISATION);
    let meta = RequestMeta::default();
    let mut work = Work::in_scope(db, scope, &meta).await?;
    let roles = db::roles::list(work.tx()).await?;
    let member = seed::user_ids(work.tx(), UserStatus::Active, after, 1)
        .await?
        .first()
        .copied()
        .context("no active demo user to put in the groups")?;
    let now = Timestamp::now();
    for n in 1..=count {
        let group = db::groups::insert(work.tx(), &format!("Demo group {n}"), "", now)
            .await
            .context("could not insert a demo group")?;
        let role = roles[(n as usize) % roles.len()].id;
        db::groups::set_roles(work.tx(), group, &[role]).await?;
        db::groups::add_member(work.tx(), group, UserId(member), now).await?;
    }
    work.commit("the demo groups").await?;
    Ok(UserId(member))
}

/// The `n`th demo user; `last` is the number of the last one seeded, who
/// registered a second ago, each earlier one a minute before the next.
fn demo_user(n: u64, last: u64, roles: &[RoleId], now: i64) -> SeedUser {
    let (first, surname) = (FIRST[(n % 24) as usize], LAST[((n / 24) % 96) as usize]);
    let status = match n % 100 {
        0..=9 => UserStatus::Pending,
        10..=14 => UserStatus::Disabled,
        15..=16 => UserStatus::Rejected,
        _ => UserStatus::Active,
    };
    let created = now - (last - n) as i64 * 60_000 - 1_000;
    let (first_key, surname_key) = (ascii_lower(first), ascii_lower(surname));
    SeedUser {
        // As companies hand them out: the initial and the surname.
        email: format!("{}{surname_key}{n}@example.com", &first_key[..1]),
        username: format!("{first_key}.{surname_key}{n}"),
        full_name: format!("{first} {surname}"),
        status,
        role: roles[(n as usize) % roles.len()],
        created_at: Timestamp(created),
        last_login_at: (status == UserStatus::Active).then_some(Timestamp(created + 30_000)),
        login_count: if status == UserStatus::Active {
            (n % 40) as i64 + 1
        } else {
            0
        },
    }
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

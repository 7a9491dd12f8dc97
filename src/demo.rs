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

/// Summary of what was seeded.
pub struct SeedReport {
    pub users: u64,
    pub requests: u64,
}

/// Adds `count` users (about 10% pending, 5% disabled, 2% rejected), a role
/// request for some of them, and their registration audit rows.
pub async fn seed(db: &Db, count: u64) -> anyhow::Result<SeedReport> {
    let hash = crate::auth::password::hash_blocking(DEMO_PASSWORD)?;
    let roles = {
        let mut conn = db.acquire().await?;
        db::roles::list(Scope::organisation(DEFAULT_ORGANISATION).on(&mut conn)).await?
    };
    let role_ids: Vec<RoleId> = roles
        .iter()
        .filter(|r| r.name != "Admin")
        .map(|r| r.id)
        .collect();
    anyhow::ensure!(!role_ids.is_empty(), "no roles to give demo users");
    // Before the load's transaction: its users land in windows ready for them.
    crate::services::search_index::make_windows(db, count).await?;
    let meta = RequestMeta {
        ip: Some("127.0.0.1".into()),
        user_agent: Some("gatehouse demo seed".into()),
        ..RequestMeta::default()
    };
    // Demo users join the default organisation.
    let mut work = Work::in_scope(db, Scope::organisation(DEFAULT_ORGANISATION), &meta).await?;
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
        seed::insert_users(work.tx(), &batch, &hash).await?;
        done += n;
    }
    let pending = seed::user_ids(work.tx(), UserStatus::Pending, start, 1_000).await?;
    let active = seed::user_ids(work.tx(), UserStatus::Active, start, 200).await?;
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
    crate::services::search_index::after_bulk_load(db).await?;
    seed::settle(db).await?;
    Ok(SeedReport {
        users: count,
        requests,
    })
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

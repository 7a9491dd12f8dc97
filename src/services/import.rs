//! `gatehouse user import FILE.csv`: creates accounts from another system's
//! export, keeping their password hashes (Werkzeug, bcrypt, Django, argon2)
//! so people sign in with the password they had. A hash that is not
//! argon2id with at least Gatehouse's parameters is replaced by one at that
//! first sign-in; one that is, is kept.
//!
//! Every row is checked first. Any refused row means nothing is imported
//! (the report lists each refusal and why); otherwise all rows go in one
//! transaction with one `user.imported` audit row per account. The checks
//! read the organisation's roles and the usernames and emails in use once,
//! and the rows and their audit rows go in many to a statement: a
//! statement per row cost 70 s for 100,000 users (docs/performance.md).

use std::collections::{HashMap, HashSet};
use std::io::Read;

use anyhow::Context;

use super::work::Work;
use super::{RequestMeta, ServiceError, user_target};
use crate::auth::legacy_hash::StoredHash;
use crate::auth::password::{HashParams, is_current};
use crate::db::Scope;
use crate::db::seed::{self, Hashes, SeedUser};
use crate::db::{self, Db};
use crate::domain::{
    AuditAction, Email, FullName, RoleId, Timestamp, UserStatus, Username, case_key,
};

/// The columns the file must name in its header row (any order).
pub const COLUMNS: [&str; 6] = [
    "username",
    "email",
    "full_name",
    "role",
    "status",
    "password_hash",
];

/// Rows between two progress reports.
pub const PROGRESS_EVERY: usize = 1000;

/// One refused row: its line in the file and every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub line: u64,
    pub username: String,
    pub reasons: Vec<String>,
}

/// What an import did (or, on a dry run or with refusals, would do).
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub rows: usize,
    /// Accounts created (0 unless committed).
    pub imported: usize,
    pub refused: Vec<Refusal>,
    /// How many rows use each hash format.
    pub formats: Vec<(&'static str, usize)>,
    /// Rows whose hash is argon2id with at least Gatehouse's parameters:
    /// it is kept as it is at sign-in.
    pub kept_hashes: usize,
    /// The other rows, by format: their hash is replaced by argon2id at the
    /// user's first sign-in.
    pub replaced_hashes: Vec<(&'static str, usize)>,
    pub committed: bool,
}

impl ImportReport {
    /// What happens to the imported hashes at each user's first sign-in,
    /// for the closing message.
    pub fn hash_outcome(&self, params: HashParams) -> String {
        let cost = format!(
            "m={} t={} p={}",
            params.memory_kib, params.iterations, params.parallelism
        );
        let kept = match self.kept_hashes {
            0 => format!(
                "No hash is argon2id at Gatehouse's cost ({cost}), so none is kept as it is."
            ),
            1 => format!(
                "1 hash is argon2id at Gatehouse's cost ({cost}) or above and is kept as it is."
            ),
            n => format!(
                "{n} hashes are argon2id at Gatehouse's cost ({cost}) or above and are kept as \
                 they are."
            ),
        };
        let replaced: usize = self.replaced_hashes.iter().map(|(_, n)| n).sum();
        if replaced == 0 {
            return kept;
        }
        let by_format: Vec<String> = self
            .replaced_hashes
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        let (noun, verb) = if replaced == 1 {
            ("hash", "is")
        } else {
            ("hashes", "are")
        };
        let other = if self.kept_hashes == 0 {
            ""
        } else {
            "The other "
        };
        format!(
            "{kept} {other}{replaced} {noun} ({}) {verb} replaced by argon2id at first sign-in.",
            by_format.join(", ")
        )
    }
}

/// A row that passed every check.
struct ValidRow {
    username: Username,
    email: Email,
    full_name: FullName,
    role: RoleId,
    status: UserStatus,
    hash: String,
    format: &'static str,
}

/// Rows per INSERT, and between two "imported" progress reports.
const BATCH: usize = PROGRESS_EVERY;

/// Reads the CSV from `input`, checks every row, and imports them all unless
/// `dry_run` or a row was refused. `params` are Gatehouse's argon2
/// parameters, to tell which hashes will be kept. `progress(stage, n)` is
/// called every [`PROGRESS_EVERY`] rows ("checked", then "imported").
pub async fn import_users(
    db: &Db,
    scope: &Scope,
    input: impl Read,
    dry_run: bool,
    params: HashParams,
    mut progress: impl FnMut(&str, usize),
) -> Result<ImportReport, ServiceError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().context("could not read the CSV header")?;
    let index = column_index(headers)?;
    let records = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .context("could not read a CSV row")?;
    // Before the import's transaction: its users land in search windows
    // made for them (PostgreSQL; nothing to do on SQLite).
    super::search_index::make_windows(db, records.len() as u64).await?;
    let meta = RequestMeta {
        user_agent: Some("gatehouse user import".into()),
        ..RequestMeta::default()
    };
    // One unit for the whole file: every row is checked against the others
    // and the database as it stands, and all are imported or none.
    let mut work = Work::in_scope(db, scope.clone(), &meta).await?;
    let roles: HashMap<String, RoleId> = db::roles::list(work.tx())
        .await?
        .into_iter()
        .map(|role| (case_key(&role.name), role.id))
        .collect();
    let (usernames, emails) = seed::taken_keys(work.tx()).await?;
    let mut taken = Taken { usernames, emails };
    let mut report = ImportReport::default();
    let mut valid = Vec::new();
    for record in &records {
        report.rows += 1;
        let line = record.position().map_or(0, |p| p.line());
        let values: [&str; 6] = std::array::from_fn(|i| record.get(index[i]).unwrap_or(""));
        match check_row(Row(values), &roles, &mut taken) {
            Ok(row) => valid.push(row),
            Err(reasons) => report.refused.push(Refusal {
                line,
                username: values[0].chars().take(64).collect(),
                reasons,
            }),
        }
        if report.rows % PROGRESS_EVERY == 0 {
            progress("checked", report.rows);
        }
    }
    report.formats = count_formats(valid.iter());
    report.kept_hashes = valid.iter().filter(|r| is_current(&r.hash, params)).count();
    report.replaced_hashes = count_formats(valid.iter().filter(|r| !is_current(&r.hash, params)));
    if dry_run || !report.refused.is_empty() {
        work.rollback("the import check").await?;
        return Ok(report);
    }
    let before = seed::max_user_id(work.tx()).await?;
    for (n, batch) in valid.chunks(BATCH).enumerate() {
        insert(&mut work, batch).await?;
        let done = n * BATCH + batch.len();
        if batch.len() == BATCH {
            progress("imported", done);
        }
    }
    audit(&mut work, &valid, before).await?;
    work.commit("the import").await?;
    report.imported = valid.len();
    report.committed = true;
    Ok(report)
}

/// Positions of the required columns, or which are missing.
fn column_index(headers: &csv::StringRecord) -> Result<[usize; 6], ServiceError> {
    let mut index = [0; 6];
    let mut missing = Vec::new();
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        match headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
        {
            Some(i) => *slot = i,
            None => missing.push(name),
        }
    }
    if missing.is_empty() {
        Ok(index)
    } else {
        Err(ServiceError::Conflict(format!(
            "The CSV header lacks the column(s) {}; it must name {}.",
            missing.join(", "),
            COLUMNS.join(",")
        )))
    }
}

/// Usernames and emails (lower-cased) in use: the organisation's, then
/// also those of the rows checked so far.
struct Taken {
    usernames: HashSet<String>,
    emails: HashSet<String>,
}

/// One record's values in the order of [`COLUMNS`].
struct Row<'a>([&'a str; 6]);

impl Row<'_> {
    fn get(&self, column: &str) -> &str {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .map_or("", |i| self.0[i])
    }
}

fn check_row(
    row: Row<'_>,
    roles: &HashMap<String, RoleId>,
    taken: &mut Taken,
) -> Result<ValidRow, Vec<String>> {
    let mut reasons = Vec::new();
    let mut note = |column: &str, message: String| reasons.push(format!("{column}: {message}"));
    let username = Username::parse(row.get("username"))
        .map_err(|e| note("username", e.0))
        .ok();
    let email = Email::parse(row.get("email"))
        .map_err(|e| note("email", e.0))
        .ok();
    let full_name = FullName::parse(row.get("full_name"))
        .map_err(|e| note("full_name", e.0))
        .ok();
    let status = UserStatus::parse(&row.get("status").trim().to_lowercase());
    if status.is_none() {
        note(
            "status",
            format!(
                "unknown status {:?} (pending, active, rejected or disabled)",
                row.get("status")
            ),
        );
    }
    let role = roles.get(&case_key(row.get("role").trim())).copied();
    if role.is_none() {
        note(
            "role",
            format!("there is no role named {:?}", row.get("role")),
        );
    }
    let hash = StoredHash::parse(row.get("password_hash"))
        .map_err(|e| note("password_hash", e))
        .ok();
    if let (Some(username), Some(email)) = (&username, &email) {
        if !taken.usernames.insert(username.key()) {
            note(
                "username",
                format!("duplicate: {} is already taken", username.as_str()),
            );
        }
        if !taken.emails.insert(email.key()) {
            note(
                "email",
                format!("duplicate: {} is already used", email.as_str()),
            );
        }
    }
    match (username, email, full_name, role, status, hash) {
        (Some(username), Some(email), Some(full_name), Some(role), Some(status), Some(hash))
            if reasons.is_empty() =>
        {
            Ok(ValidRow {
                hash: hash.to_stored(row.get("password_hash")),
                format: hash.kind(),
                username,
                email,
                full_name,
                role,
                status,
            })
        }
        _ => Err(reasons),
    }
}

fn count_formats<'a>(rows: impl Iterator<Item = &'a ValidRow>) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for row in rows {
        match counts.iter_mut().find(|(k, _)| *k == row.format) {
            Some((_, n)) => *n += 1,
            None => counts.push((row.format, 1)),
        }
    }
    counts
}

/// Inserts a batch of checked rows, registered now, never signed in.
async fn insert(work: &mut Work<'_>, rows: &[ValidRow]) -> Result<(), ServiceError> {
    let now = Timestamp::now();
    let users: Vec<SeedUser> = rows
        .iter()
        .map(|row| SeedUser {
            username: row.username.as_str().to_owned(),
            email: row.email.as_str().to_owned(),
            full_name: row.full_name.as_str().to_owned(),
            status: row.status,
            role: row.role,
            created_at: now,
            last_login_at: None,
            login_count: 0,
        })
        .collect();
    let hashes: Vec<String> = rows.iter().map(|row| row.hash.clone()).collect();
    seed::insert_users(work.tx(), &users, Hashes::Each(&hashes))
        .await
        .context("could not import a batch of users")?;
    Ok(())
}

/// One `user.imported` row per account, in the file's order; the new
/// accounts are the organisation's users with ids above `before` (the
/// transaction holds the write lock, so nobody else's).
async fn audit(work: &mut Work<'_>, rows: &[ValidRow], before: i64) -> Result<(), ServiceError> {
    let ids = seed::ids_after(work.tx(), before).await?;
    for row in rows {
        let id = *ids
            .get(&row.username.key())
            .with_context(|| format!("{} was not imported", row.username.as_str()))?;
        work.audit(
            AuditAction::UserImported,
            Some(user_target(
                crate::domain::UserId(id),
                row.username.as_str(),
            )),
        )
        .after(Some(row.status.as_str().to_owned()))
        .reason(Some(row.format));
    }
    Ok(())
}

//! `gatehouse user import FILE.csv`: creates accounts from another system's
//! export, keeping their password hashes (Werkzeug, bcrypt, Django, argon2)
//! so people sign in with the password they had; the hash is replaced by
//! argon2id at that first sign-in.
//!
//! Every row is checked first. Any refused row means nothing is imported
//! (the report lists each refusal and why); otherwise all rows go in one
//! transaction with one `user.imported` audit row per account.

use std::collections::HashSet;
use std::io::Read;

use anyhow::Context;

use super::work::Work;
use super::{RequestMeta, ServiceError, user_target};
use crate::auth::legacy_hash::StoredHash;
use crate::db::Scope;
use crate::db::{self, Db, Scoped};
use crate::domain::{AuditAction, Email, FullName, RoleId, Timestamp, UserStatus, Username};

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
    pub committed: bool,
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

/// Reads the CSV from `input`, checks every row, and imports them all unless
/// `dry_run` or a row was refused. `progress(stage, n)` is called every
/// [`PROGRESS_EVERY`] rows ("checked", then "imported").
pub async fn import_users(
    db: &Db,
    scope: &Scope,
    input: impl Read,
    dry_run: bool,
    mut progress: impl FnMut(&str, usize),
) -> Result<ImportReport, ServiceError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().context("could not read the CSV header")?;
    let index = column_index(headers)?;
    let meta = RequestMeta {
        user_agent: Some("gatehouse user import".into()),
        ..RequestMeta::default()
    };
    // One unit for the whole file: every row is checked against the others
    // and the database as it stands, and all are imported or none.
    let mut work = Work::in_scope(db, scope.clone(), &meta).await?;
    let mut report = ImportReport::default();
    let mut valid = Vec::new();
    let mut seen = Seen::default();
    for record in reader.records() {
        let record = record.context("could not read a CSV row")?;
        report.rows += 1;
        let line = record.position().map_or(0, |p| p.line());
        let values: [&str; 6] = std::array::from_fn(|i| record.get(index[i]).unwrap_or(""));
        match check_row(work.tx(), Row(values), &mut seen).await? {
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
    report.formats = count_formats(&valid);
    if dry_run || !report.refused.is_empty() {
        work.rollback("the import check").await?;
        return Ok(report);
    }
    for (n, row) in valid.iter().enumerate() {
        insert(&mut work, row).await?;
        if (n + 1) % PROGRESS_EVERY == 0 {
            progress("imported", n + 1);
        }
    }
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

/// Usernames and emails (lower-cased) met earlier in the file.
#[derive(Default)]
struct Seen {
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

async fn check_row(
    mut tx: Scoped<'_>,
    row: Row<'_>,
    seen: &mut Seen,
) -> anyhow::Result<Result<ValidRow, Vec<String>>> {
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
    let role = db::roles::find_by_name(tx.again(), row.get("role")).await?;
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
        let (name_key, email_key) = (username.key(), email.key());
        let (user_taken, email_taken) = db::users::taken(tx.again(), username, email).await?;
        if user_taken || !seen.usernames.insert(name_key) {
            note(
                "username",
                format!("duplicate: {} is already taken", username.as_str()),
            );
        }
        if email_taken || !seen.emails.insert(email_key) {
            note(
                "email",
                format!("duplicate: {} is already used", email.as_str()),
            );
        }
    }
    Ok(match (username, email, full_name, role, status, hash) {
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
    })
}

fn count_formats(rows: &[ValidRow]) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for row in rows {
        match counts.iter_mut().find(|(k, _)| *k == row.format) {
            Some((_, n)) => *n += 1,
            None => counts.push((row.format, 1)),
        }
    }
    counts
}

async fn insert(work: &mut Work<'_>, row: &ValidRow) -> Result<(), ServiceError> {
    let new_user = db::users::NewUser {
        username: &row.username,
        email: &row.email,
        full_name: &row.full_name,
        password_hash: &row.hash,
        status: row.status,
        role_id: row.role,
        now: Timestamp::now(),
    };
    let id = db::users::insert(work.tx(), &new_user)
        .await
        .with_context(|| format!("could not import {}", row.username.as_str()))?;
    work.audit(
        AuditAction::UserImported,
        Some(user_target(id, row.username.as_str())),
    )
    .after(Some(row.status.as_str().to_owned()))
    .reason(Some(row.format));
    Ok(())
}

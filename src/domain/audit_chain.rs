//! The audit log's hash chain: every row stores the hash of the row before it
//! and its own hash, SHA-256 over the previous hash and the row's canonical
//! content. Changing, removing or inserting a row anywhere but at the end
//! breaks a link that `gatehouse audit verify` finds.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first chained row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A row's content exactly as stored: every column except `id`, `prev_hash`
/// and `hash`. The id is left out because it is only known after the insert;
/// the order of rows is fixed by the links instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainContent {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub actor_key: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target_label: Option<String>,
    pub target_key: Option<String>,
    pub target_user_id: Option<i64>,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub reason: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Whose log the row is in.
    pub organisation_id: i64,
}

impl ChainContent {
    /// A JSON array with a version tag and every field in a fixed order:
    /// unambiguous (strings are quoted and escaped, absent values are null).
    /// A row of the default organisation is a `v1` row, the form every row
    /// had before organisations, so chains written before still verify;
    /// any other organisation's row is `v2`, with its organisation last.
    fn canonical(&self) -> String {
        let text = |v: &Option<String>| v.as_deref().map_or(Value::Null, Value::from);
        let int = |v: Option<i64>| v.map_or(Value::Null, Value::from);
        let default = self.organisation_id == crate::domain::DEFAULT_ORGANISATION.0;
        let mut fields = vec![
            Value::from(if default {
                "gatehouse-audit-v1"
            } else {
                "gatehouse-audit-v2"
            }),
            Value::from(self.at),
            int(self.actor_id),
            text(&self.actor_username),
            text(&self.actor_key),
            Value::from(self.action.as_str()),
            text(&self.target_type),
            int(self.target_id),
            text(&self.target_label),
            text(&self.target_key),
            int(self.target_user_id),
            text(&self.before_value),
            text(&self.after_value),
            text(&self.reason),
            text(&self.ip),
            text(&self.user_agent),
        ];
        if !default {
            fields.push(Value::from(self.organisation_id));
        }
        Value::Array(fields).to_string()
    }

    /// The hash of this row when it follows a row whose hash is `prev_hash`.
    pub fn hash(&self, prev_hash: &str) -> String {
        let mut digest = Sha256::new();
        digest.update(prev_hash.as_bytes());
        digest.update(b"\n");
        digest.update(self.canonical().as_bytes());
        hex::encode(digest.finalize())
    }
}

/// One stored audit row: its id, its content (exactly what its hash
/// covers, readable through `Deref`) and its links in the chain. The one
/// model of the row: pages, the CSV export and the chain walk all read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub content: ChainContent,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl AuditRecord {
    pub fn at(&self) -> crate::domain::Timestamp {
        crate::domain::Timestamp(self.content.at)
    }

    /// The readable name of the action ("User approved").
    pub fn action_label(&self) -> &str {
        match crate::domain::AuditAction::parse(&self.content.action) {
            Some(action) => action.label(),
            None => &self.content.action,
        }
    }
}

impl std::ops::Deref for AuditRecord {
    type Target = ChainContent;

    fn deref(&self) -> &ChainContent {
        &self.content
    }
}

/// Narrows the audit list. Text filters match whole usernames or labels,
/// case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<crate::domain::AuditAction>,
    pub target: Option<String>,
    /// Events done by or to this user (the user detail page).
    pub involving: Option<crate::domain::UserId>,
}

/// Why a row breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The row has no hash although rows before it do.
    Unchained,
    /// The row does not point at the hash of the row before it (a row was
    /// removed or inserted, or the previous row's hash was changed).
    WrongLink,
    /// The row's content no longer matches its hash (the row was edited).
    WrongHash,
}

impl ChainBreak {
    pub fn describe(&self) -> &'static str {
        match self {
            ChainBreak::Unchained => "the row has no hash although earlier rows do",
            ChainBreak::WrongLink => {
                "the row does not link to the row before it (a row was removed, inserted or changed)"
            }
            ChainBreak::WrongHash => "the row's content does not match its hash (it was changed)",
        }
    }
}

/// Walks rows in id order, remembering the last hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainWalker {
    /// The hash the next row must link to; `None` before the first chained
    /// row (rows written before the chain existed carry no hash).
    pub last_hash: Option<String>,
}

impl ChainWalker {
    pub fn start() -> ChainWalker {
        ChainWalker { last_hash: None }
    }

    /// Continues after a row already known to be good.
    pub fn resume(last_hash: String) -> ChainWalker {
        ChainWalker {
            last_hash: Some(last_hash),
        }
    }

    /// Checks the next row. `Ok(true)` for a chained row, `Ok(false)` for a
    /// row from before the chain began.
    pub fn step(
        &mut self,
        content: &ChainContent,
        prev_hash: Option<&str>,
        hash: Option<&str>,
    ) -> Result<bool, ChainBreak> {
        let (Some(prev_hash), Some(hash)) = (prev_hash, hash) else {
            return match self.last_hash {
                None => Ok(false),
                Some(_) => Err(ChainBreak::Unchained),
            };
        };
        let expected_prev = self.last_hash.as_deref().unwrap_or(GENESIS);
        if prev_hash != expected_prev {
            return Err(ChainBreak::WrongLink);
        }
        if content.hash(prev_hash) != hash {
            return Err(ChainBreak::WrongHash);
        }
        self.last_hash = Some(hash.to_owned());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(action: &str, reason: Option<&str>) -> ChainContent {
        ChainContent {
            at: 1_700_000_000_000,
            action: action.into(),
            reason: reason.map(str::to_owned),
            ..ChainContent::default()
        }
    }

    #[test]
    fn the_hash_covers_every_field_and_the_previous_hash() {
        let a = row("auth.logout", None);
        assert_eq!(a.hash(GENESIS), a.hash(GENESIS));
        assert_eq!(a.hash(GENESIS).len(), 64);
        assert_ne!(a.hash(GENESIS), a.hash(&"1".repeat(64)));
        assert_ne!(a.hash(GENESIS), row("auth.logout", Some("")).hash(GENESIS));
        let shifted = ChainContent {
            before_value: Some("x".into()),
            ..a.clone()
        };
        let other = ChainContent {
            after_value: Some("x".into()),
            ..a.clone()
        };
        assert_ne!(shifted.hash(GENESIS), other.hash(GENESIS));
    }

    #[test]
    fn the_hash_covers_the_organisation_and_the_default_ones_rows_keep_their_old_form() {
        let in_default = ChainContent {
            organisation_id: 1,
            ..row("auth.logout", None)
        };
        let elsewhere = ChainContent {
            organisation_id: 2,
            ..in_default.clone()
        };
        assert_ne!(in_default.hash(GENESIS), elsewhere.hash(GENESIS));
        let v1: Vec<Value> = serde_json::from_str(&in_default.canonical()).unwrap();
        assert_eq!((v1[0].as_str(), v1.len()), (Some("gatehouse-audit-v1"), 16));
        let v2: Vec<Value> = serde_json::from_str(&elsewhere.canonical()).unwrap();
        assert_eq!((v2[0].as_str(), v2.len()), (Some("gatehouse-audit-v2"), 17));
        assert_eq!(v2[16], Value::from(2));
    }

    #[test]
    fn a_walk_accepts_a_good_chain_and_names_each_kind_of_break() {
        let (a, b) = (row("a", None), row("b", None));
        let ha = a.hash(GENESIS);
        let hb = b.hash(&ha);
        let mut walker = ChainWalker::start();
        assert_eq!(walker.step(&row("old", None), None, None), Ok(false));
        assert_eq!(walker.step(&a, Some(GENESIS), Some(&ha)), Ok(true));
        assert_eq!(walker.step(&b, Some(&ha), Some(&hb)), Ok(true));
        assert_eq!(
            walker.clone().step(&row("c", None), None, None),
            Err(ChainBreak::Unchained)
        );
        assert_eq!(
            walker
                .clone()
                .step(&row("c", None), Some(&ha), Some(&"f".repeat(64))),
            Err(ChainBreak::WrongLink)
        );
        let edited = row("edited", None);
        assert_eq!(
            ChainWalker::resume(ha.clone()).step(&edited, Some(&ha), Some(&hb)),
            Err(ChainBreak::WrongHash)
        );
    }
}

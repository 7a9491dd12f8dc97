//! The CSV exports (the audit log, the user list): their cells, and the
//! download itself, streamed in keyset pages so memory stays flat however
//! many rows there are.

use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use futures_util::stream;

use crate::domain::Timestamp;
use crate::services::ServiceError;

/// Rows per page of an export.
pub const BATCH: u64 = 1000;

/// One page of an export: its lines, the key of its last row (none when
/// it is empty) and whether it was full, so another may follow.
pub struct Page {
    pub lines: String,
    pub last: Option<i64>,
    pub full: bool,
}

impl Page {
    /// The page of `rows`, each written by `line`, keyed by `key`.
    pub fn of<T>(rows: &[T], line: impl Fn(&T) -> String, key: impl Fn(&T) -> i64) -> Page {
        Page {
            lines: rows.iter().map(line).collect(),
            last: rows.last().map(key),
            full: rows.len() as u64 >= BATCH,
        }
    }
}

/// The download `gatehouse-{name}-{time}.csv`: `header`, then the pages
/// `fetch(key)` reads, from `start` and each time from the last row's key,
/// until one is short. A failure after the headers are sent can only cut
/// the download short; it is logged as the `what` that failed.
pub fn download<F, Fut>(
    name: &str,
    header: String,
    start: i64,
    what: &'static str,
    fetch: F,
) -> HttpResponse
where
    F: FnMut(i64) -> Fut + 'static,
    Fut: Future<Output = Result<Page, ServiceError>> + 'static,
{
    struct State<F> {
        fetch: F,
        key: i64,
        header: Option<String>,
        done: bool,
    }
    let state = State {
        fetch,
        key: start,
        header: Some(header),
        done: false,
    };
    let chunks = stream::unfold(state, move |mut state| async move {
        if let Some(header) = state.header.take() {
            return Some((Ok(Bytes::from(header)), state));
        }
        if state.done {
            return None;
        }
        match (state.fetch)(state.key).await {
            Ok(page) => {
                state.key = page.last?;
                state.done = !page.full;
                Some((Ok(Bytes::from(page.lines)), state))
            }
            Err(err) => {
                tracing::error!(error = ?err, "the {what} failed");
                state.done = true;
                Some((
                    Err(std::io::Error::other(format!("the {what} failed"))),
                    state,
                ))
            }
        }
    });
    let file = format!(
        "gatehouse-{name}-{}.csv",
        Timestamp::now().iso().replace([':', '-'], "")
    );
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(chunks)
}

/// One CSV field, always quoted. Text that a spreadsheet would run as a
/// formula (starting with = + - @, tab or CR) gets a leading apostrophe.
pub fn cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("alice"), "\"alice\"");
        assert_eq!(cell("say \"hi\", ok"), "\"say \"\"hi\"\", ok\"");
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x"] {
            assert!(cell(formula).starts_with("\"'"), "{formula}");
        }
        assert_eq!(cell(""), "\"\"");
    }
}

//! Accessibility checks with axe-core, injected into the page through
//! WebDriver (the app's CSP forbids inline scripts, but WebDriver's script
//! execution is not subject to it).

use std::path::Path;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::browser::{Browser, Result};

const AXE_PATH: &str = "target/e2e-tools/node_modules/axe-core/axe.min.js";

/// Rules that fail the check whatever impact axe gives them: the issue asks
/// for headings in order, which axe rates only "moderate".
const ALWAYS_FAIL: [&str; 3] = ["heading-order", "page-has-heading-one", "landmark-one-main"];

fn axe_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(AXE_PATH);
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing at {} ({e}). Install it with: \
                 npm install --no-save --prefix target/e2e-tools axe-core@4",
                path.display()
            )
        })
    })
}

#[derive(Debug, Deserialize)]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    nodes: Vec<Node>,
}

#[derive(Debug, Deserialize)]
struct Node {
    target: String,
    summary: String,
    html: String,
}

const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then(r => done({ violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({
        target: n.target.join(' '), summary: n.failureSummary || '', html: n.html }))
  })) }))
  .catch(e => done({ error: String(e) }));
"#;

/// Runs axe on the page shown and fails on any serious or critical
/// violation (and on the rules in `ALWAYS_FAIL`), listing each one.
/// Milder findings are printed but do not fail.
pub async fn check(browser: &Browser, page: &str) -> Result {
    browser
        .client
        .execute(&format!("{};\nreturn true;", axe_source()), vec![])
        .await?;
    let result = browser.client.execute_async(RUN_AXE, vec![]).await?;
    if let Some(error) = result.get("error") {
        anyhow::bail!("axe-core failed on {page}: {error}");
    }
    let violations: Vec<Violation> = serde_json::from_value(result["violations"].clone())?;
    let (failing, mild): (Vec<_>, Vec<_>) = violations.into_iter().partition(|v| {
        matches!(v.impact.as_deref(), Some("serious" | "critical"))
            || ALWAYS_FAIL.contains(&v.id.as_str())
    });
    if !mild.is_empty() {
        eprintln!("axe, minor findings on {page}:\n{}", describe(&mild));
    }
    if !failing.is_empty() {
        anyhow::bail!(
            "axe found {} accessibility violation(s) on {page} ({}):\n{}",
            failing.len(),
            browser.describe().await,
            describe(&failing)
        );
    }
    Ok(())
}

fn describe(violations: &[Violation]) -> String {
    let mut out = String::new();
    for v in violations {
        let impact = v.impact.as_deref().unwrap_or("unknown");
        out.push_str(&format!("  [{impact}] {}: {}\n", v.id, v.help));
        for node in &v.nodes {
            out.push_str(&format!("      at {}  {}\n", node.target, node.html));
            for line in node.summary.lines() {
                out.push_str(&format!("        {line}\n"));
            }
        }
    }
    out
}

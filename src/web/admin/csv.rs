//! CSV cells for the exports (the audit log, the user list).

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

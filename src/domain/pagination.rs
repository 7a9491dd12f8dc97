//! Page numbers for long lists.

/// Highest page number accepted from a request.
const MAX_PAGE: u64 = 1_000_000;

/// A 1-based page number and the number of rows per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub number: u64,
    /// Rows per page (at least 1).
    pub size: u64,
}

impl Page {
    /// Reads the `page` query parameter: missing, invalid or 0 gives page 1;
    /// numbers above 1,000,000 are capped. A `size` of 0 is treated as 1.
    pub fn parse(raw: Option<&str>, size: u64) -> Page {
        let number = raw
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
            .map_or(1, |n| n.min(MAX_PAGE));
        Page {
            number,
            size: size.max(1),
        }
    }

    /// Rows to skip before this page.
    pub fn offset(&self) -> u64 {
        self.number.saturating_sub(1).saturating_mul(self.size)
    }
}

/// How many pages `total` rows fill at `size` per page; at least 1.
pub fn page_count(total: u64, size: u64) -> u64 {
    total.div_ceil(size.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_invalid_or_zero_page_is_page_one() {
        for raw in [
            None,
            Some(""),
            Some("abc"),
            Some("-3"),
            Some("0"),
            Some("1.5"),
        ] {
            assert_eq!(Page::parse(raw, 25).number, 1, "{raw:?}");
        }
    }

    #[test]
    fn a_valid_page_is_kept_and_a_huge_one_is_capped() {
        assert_eq!(Page::parse(Some(" 3 "), 25).number, 3);
        assert_eq!(Page::parse(Some("99999999999"), 25).number, 1_000_000);
        assert_eq!(Page::parse(Some("99999999999999999999999"), 25).number, 1);
    }

    #[test]
    fn the_offset_skips_the_earlier_pages() {
        assert_eq!(Page::parse(Some("1"), 25).offset(), 0);
        assert_eq!(Page::parse(Some("3"), 25).offset(), 50);
    }

    #[test]
    fn a_zero_size_is_treated_as_one() {
        assert_eq!(Page::parse(Some("4"), 0).size, 1);
    }

    #[test]
    fn page_count_rounds_up_and_is_at_least_one() {
        assert_eq!(page_count(0, 25), 1);
        assert_eq!(page_count(25, 25), 1);
        assert_eq!(page_count(26, 25), 2);
        assert_eq!(page_count(10, 0), 10);
    }
}

//! Answers sized for a context window: a long list comes in pages, each saying what it left
//! out and where the next one starts.

use crate::results::Page;
use serde::Serialize;

/// The characters of JSON a page holds when the client gives no `limit`: with the JSON text
/// and the structured copy of a result, about 8,000 tokens.
pub const BUDGET: usize = 16_000;

/// `limit` and `offset` as a client gave them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Paging {
    /// At most this many items; `None`: as many as fit in [`BUDGET`].
    pub limit: Option<usize>,
    /// Items to skip.
    pub offset: usize,
}

impl Paging {
    /// How many of the items after `offset` (whose JSON sizes `sizes` gives) this page holds:
    /// up to `limit`, or as many as fit in the budget, and at least one when any are left.
    pub fn count(&self, sizes: impl Iterator<Item = usize>) -> usize {
        let mut used = 0;
        let mut n = 0;
        for size in sizes {
            match self.limit {
                Some(limit) if n == limit => break,
                None if n > 0 && used + size > BUDGET => break,
                _ => {}
            }
            used += size + 1;
            n += 1;
        }
        n
    }

    /// The `page` field of an answer of `total` items of which this page returned `returned`,
    /// or `None` when it is the whole answer.
    pub fn report(&self, returned: usize, total: usize) -> Option<Page> {
        let end = self.offset + returned;
        if self.offset == 0 && end >= total {
            return None;
        }
        Some(Page {
            offset: self.offset,
            returned,
            total,
            omitted: total - returned.min(total),
            next_offset: (end < total).then_some(end),
        })
    }

    /// One page of `items`, with its `page` report.
    pub fn take<T: Serialize>(&self, items: Vec<T>) -> (Vec<T>, Option<Page>) {
        let total = items.len();
        let rest = items.into_iter().skip(self.offset);
        let mut rest: Vec<T> = rest.collect();
        let n = self.count(rest.iter().map(size));
        rest.truncate(n);
        let report = self.report(rest.len(), total);
        (rest, report)
    }
}

/// The length of an item's JSON.
pub fn size<T: Serialize>(item: &T) -> usize {
    serde_json::to_string(item).map_or(0, |s| s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_fits_the_budget_and_says_what_it_left_out() {
        let items: Vec<String> = (0..100).map(|i| format!("{i:0>1000}")).collect();
        let (page, report) = Paging::default().take(items.clone());
        assert!(page.len() > 1 && page.len() < 100);
        assert!(page.iter().map(|s| s.len() + 3).sum::<usize>() <= BUDGET + 1100);
        let report = report.expect("cut");
        assert_eq!(report.next_offset, Some(page.len()));
        assert_eq!(report.omitted, 100 - page.len());
        let next = Paging {
            limit: Some(1000),
            offset: page.len(),
        };
        let (rest, report) = next.take(items.clone());
        assert_eq!(rest.len(), 100 - page.len());
        assert_eq!(report.expect("offset").next_offset, None);
        // One item bigger than the budget still comes, alone.
        let (one, _) = Paging::default().take(vec!["x".repeat(BUDGET * 2), "y".into()]);
        assert_eq!(one.len(), 1);
        // A small answer is whole and says nothing.
        assert_eq!(Paging::default().take(vec![1, 2, 3]), (vec![1, 2, 3], None));
    }
}

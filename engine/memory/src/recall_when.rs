//! The time a question asks about: a month ("in May", "February"), a year ("in 2025"), both,
//! or a span back from now ("yesterday", "last week", "last month", "last year"). Recall
//! weighs the memories of that time more (their own time, not a date in their text: a
//! conversation's turn is dated by its session). A month without a year is its latest
//! occurrence up to now.

/// What a memory of the time asked about weighs instead of its recency: as much as one of
/// now (the question moves "now" to the time it asks about).
pub(crate) const BOOST: f64 = 1.0;

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Words before a month name that make an ambiguous one ("may", "march", "august") a month.
const BEFORE_MONTH: &[&str] = &[
    "in", "of", "during", "since", "until", "early", "late", "mid", "last", "this", "next", "by",
    "before", "after", "around", "from", "through",
];

const DAY_MS: i64 = 86_400_000;

/// The span `[start, end)` (unix ms) of the time `query` asks about, as of `now`.
pub(crate) fn asked_time(query: &str, now: i64) -> Option<(i64, i64)> {
    let words: Vec<String> = (query.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let (now_year, now_month) = year_month(now)?;
    let (mut month, mut year, mut span) = (None, None, None);
    for (i, w) in words.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| words[j].as_str());
        let after = words.get(i + 1).map(String::as_str);
        if let Some(m) = MONTHS.iter().position(|x| x == w) {
            let ambiguous = matches!(w.as_str(), "may" | "march" | "august");
            let number = after.is_some_and(|a| a.bytes().all(|b| b.is_ascii_digit()));
            if !ambiguous || number || before.is_some_and(|b| BEFORE_MONTH.contains(&b)) {
                month = Some(m as u32 + 1);
            }
        } else if w.len() == 4
            && (w.starts_with("19") || w.starts_with("20"))
            && w.bytes().all(|b| b.is_ascii_digit())
        {
            year = w.parse::<i32>().ok();
        } else if w == "yesterday" {
            span = Some((now - 2 * DAY_MS, now));
        } else if before == Some("last") {
            match w.as_str() {
                "week" => span = Some((now - 14 * DAY_MS, now)),
                "month" => span = Some((now - 62 * DAY_MS, now)),
                "year" => year = Some(now_year - 1),
                _ => {}
            }
        }
    }
    match (month, year) {
        (Some(m), Some(y)) => month_span(y, m),
        (Some(m), None) => month_span(
            if m <= now_month {
                now_year
            } else {
                now_year - 1
            },
            m,
        ),
        (None, Some(y)) => Some((start_of(y, 1)?, start_of(y + 1, 1)?)),
        (None, None) => span,
    }
}

/// The year and month of a time.
fn year_month(ms: i64) -> Option<(i32, u32)> {
    let text = engram_core::format_time(ms);
    Some((text.get(0..4)?.parse().ok()?, text.get(5..7)?.parse().ok()?))
}

fn start_of(year: i32, month: u32) -> Option<i64> {
    engram_core::parse_time(&format!("{year:04}-{month:02}-01"))
}

fn month_span(year: i32, month: u32) -> Option<(i64, i64)> {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    Some((start_of(year, month)?, start_of(ny, nm)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &str) -> i64 {
        engram_core::parse_time(t).unwrap()
    }

    #[test]
    fn months_years_and_spans_back_from_now() {
        let now = at("2026-12-06T10:00:00Z");
        let may = Some((at("2026-05-01"), at("2026-06-01")));
        assert_eq!(asked_time("What did Maya do in May?", now), may);
        assert_eq!(
            asked_time("what happened in may 2025", now),
            Some((at("2025-05-01"), at("2025-06-01")))
        );
        // A month later in the year than now is last year's.
        let now = at("2026-03-10T00:00:00Z");
        assert_eq!(
            asked_time("the trip in December", now),
            Some((at("2025-12-01"), at("2026-01-01")))
        );
        assert_eq!(
            asked_time("what did we decide in 2024", now),
            Some((at("2024-01-01"), at("2025-01-01")))
        );
        assert_eq!(
            asked_time("what broke last week", now),
            Some((now - 14 * DAY_MS, now))
        );
        // "may" as a verb is no month.
        assert_eq!(asked_time("May I see the logs?", now), None);
        assert_eq!(asked_time("what may cause it", now), None);
        assert_eq!(asked_time("webhook retries", now), None);
    }
}

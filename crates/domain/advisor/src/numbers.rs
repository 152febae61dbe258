//! Long digit runs: a second net under the redactor for phone numbers it does not recognise
//! (unusual groupings, unknown regions). The advisor needs no long numbers to suggest a task
//! command, so it masks them in the context and refuses them in answers.

use std::ops::Range;

/// What a masked run becomes in the context pack.
pub(crate) const NUMBER_MASK: &str = "[number]";

/// Byte ranges of runs of digits that may be phone numbers: at least 9 digits, or at least 7
/// after a `+`, with at most two separators (` -.()`) between digits. Dates (`2024-05-01`,
/// `01.05.2024`), times and amounts stay below the threshold; a date followed by a time can
/// reach it, which only costs a masked date.
pub(crate) fn long_number_spans(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while let Some(&first) = bytes.get(i) {
        let plus = first == b'+';
        let mut j = if plus || first == b'(' { i + 1 } else { i };
        if !bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        let (mut digits, mut end, mut gap) = (0usize, j, 0usize);
        while let Some(&b) = bytes.get(j) {
            if b.is_ascii_digit() {
                digits += 1;
                end = j + 1;
                gap = 0;
            } else if matches!(b, b' ' | b'-' | b'.' | b'(' | b')') && gap < 2 {
                gap += 1;
            } else {
                break;
            }
            j += 1;
        }
        if digits >= 9 || (plus && digits >= 7) {
            spans.push(i..end);
        }
        i = end.max(i + 1);
    }
    spans
}

/// `text` with every long digit run replaced by [`NUMBER_MASK`].
pub(crate) fn mask_long_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in long_number_spans(text) {
        out.push_str(text.get(at..span.start).unwrap_or_default());
        out.push_str(NUMBER_MASK);
        at = span.end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_shaped_runs_are_masked_and_dates_are_not() {
        assert_eq!(mask_long_numbers("x 0044 7700 900 123 y"), "x [number] y");
        assert_eq!(mask_long_numbers("+1 (415) 555-0132."), "[number].");
        assert_eq!(mask_long_numbers("+49 3012 ok"), "+49 3012 ok");
        for kept in [
            "on 2024-05-01",
            "01.05.2024",
            "at 10:30",
            "done 3",
            "12345678",
        ] {
            assert_eq!(mask_long_numbers(kept), kept);
        }
    }
}

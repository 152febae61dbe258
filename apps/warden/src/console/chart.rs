//! The dashboard's messages-per-hour chart: 24 hourly buckets counted from audit times, drawn
//! as an SVG the server writes (no script, no chart library). Only numbers the code formats
//! go into the markup.

use maud::{html, Markup};
use warden_types::UnixMillis;

pub const HOUR_MS: i64 = 60 * 60 * 1000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Counts per hour for the 24 hours before `now`, oldest first: bucket 23 holds the last hour.
/// Times outside the window are ignored.
pub fn per_hour(now: UnixMillis, times: &[i64]) -> [u64; 24] {
    let mut buckets = [0u64; 24];
    for &t in times {
        let age = now.as_i64() - t;
        if (0..DAY_MS).contains(&age) {
            let hours_ago = usize::try_from(age / HOUR_MS).unwrap_or(23).min(23);
            buckets[23 - hours_ago] += 1;
        }
    }
    buckets
}

const WIDTH: u64 = 480;
const HEIGHT: u64 = 120;
const BAR: u64 = WIDTH / 24;

/// The bars, scaled to the busiest hour, each with a `<title>` a screen reader and a hover
/// can read.
pub fn svg(counts: &[u64; 24]) -> Markup {
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let total: u64 = counts.iter().sum();
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"
            viewBox=(format!("0 0 {WIDTH} {HEIGHT}"))
            aria-label=(format!("Messages accepted per hour over the last 24 hours: {total} in all, at most {} in one hour", counts.iter().max().unwrap_or(&0))) {
            @for (i, &n) in counts.iter().enumerate() {
                @let h = if n == 0 { 0 } else { (n * (HEIGHT - 4) / max).max(2) };
                rect x=(i as u64 * BAR + 1) y=(HEIGHT - h) width=(BAR - 2) height=(h) {
                    title { (format!("{} h ago: {n}", 23 - i)) }
                }
            }
            line x1="0" y1=(HEIGHT - 1) x2=(WIDTH) y2=(HEIGHT - 1) class="axis" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_lands_in_the_hour_it_was_accepted_and_older_ones_are_dropped() {
        let now = UnixMillis(100 * DAY_MS);
        let t = |ms_ago: i64| now.as_i64() - ms_ago;
        let counts = per_hour(
            now,
            &[
                t(0),
                t(HOUR_MS - 1),
                t(HOUR_MS),
                t(DAY_MS - 1),
                t(DAY_MS),
                t(-1),
            ],
        );
        assert_eq!(counts[23], 2);
        assert_eq!(counts[22], 1);
        assert_eq!(counts[0], 1);
        assert_eq!(counts.iter().sum::<u64>(), 4);
    }

    #[test]
    fn the_busiest_hour_is_full_height_and_an_empty_one_has_no_bar() {
        let mut counts = [0u64; 24];
        counts[23] = 100;
        counts[0] = 1;
        let svg = svg(&counts).into_string();
        assert!(svg.contains(&format!("height=\"{}\"", HEIGHT - 4)), "{svg}");
        assert!(svg.contains("height=\"2\""), "{svg}");
        assert!(svg.contains("height=\"0\""), "{svg}");
        assert!(svg.contains("101 in all"), "{svg}");
    }
}

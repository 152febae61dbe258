//! A QR code as inline SVG, drawn by Warden: the `qrcode` crate only computes the modules
//! (no renderer feature), and the picture is plain maud markup: one white square and one
//! black path of whole-module rectangles, sized by attributes (the CSP allows no `style`), with
//! an accessible name. Nothing is `PreEscaped`: the path is numbers this code formats.

use std::fmt::Write;

use maud::{html, Markup};
use qrcode::{Color, EcLevel, QrCode};

/// The light border scanners need around the code, in modules (ISO/IEC 18004).
pub const QUIET_ZONE: usize = 4;
/// The drawn size in CSS pixels: large enough for a phone camera held at a screen.
const SIZE_PX: usize = 264;

/// The QR code of `data` (error correction M, which a screen needs no more than), labelled
/// `label` for assistive technology; `None` if the data does not fit in a QR code.
pub fn svg(data: &str, label: &str) -> Option<Markup> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let d = path(&code.to_colors(), width);
    Some(html! {
        svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" aria-label=(label)
            width=(SIZE_PX) height=(SIZE_PX) viewBox=(format!("0 0 {size} {size}"))
            shape-rendering="crispEdges" {
            rect width=(size) height=(size) fill="#fff" {}
            path fill="#000" d=(d) {}
        }
    })
}

/// Every horizontal run of dark modules as one rectangle, `M{x} {y}h{n}v1h-{n}z`, offset by the
/// quiet zone.
fn path(colors: &[Color], width: usize) -> String {
    let mut d = String::new();
    for (y, row) in colors.chunks(width.max(1)).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
            // Writing to a String cannot fail.
            let _ = write!(d, "M{} {}h{run}v1h-{run}z", x + QUIET_ZONE, y + QUIET_ZONE);
            x += run;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dark modules a path draws, read back from its `M x y h n` commands.
    fn modules(d: &str, size: usize) -> Vec<Vec<bool>> {
        let mut grid = vec![vec![false; size]; size];
        for cmd in d.split('M').filter(|c| !c.is_empty()) {
            let (xy, rest) = cmd.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let run: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            for cell in &mut grid[y][x..x + run] {
                *cell = true;
            }
        }
        grid
    }

    #[test]
    fn the_path_draws_exactly_the_dark_modules_inside_the_quiet_zone() {
        let uri =
            "otpauth://totp/Warden:dave?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Warden";
        let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
        let width = code.width();
        let size = width + 2 * QUIET_ZONE;
        let grid = modules(&path(&code.to_colors(), width), size);
        for (y, row) in grid.iter().enumerate() {
            for (x, dark) in row.iter().enumerate() {
                let inside = (QUIET_ZONE..QUIET_ZONE + width).contains(&x)
                    && (QUIET_ZONE..QUIET_ZONE + width).contains(&y);
                let expected = inside && code[(x - QUIET_ZONE, y - QUIET_ZONE)] == Color::Dark;
                assert_eq!(*dark, expected, "module ({x}, {y})");
            }
        }
    }

    #[test]
    fn the_picture_is_labelled_and_carries_no_style_or_script() {
        let svg = svg("otpauth://totp/Warden:dave?secret=A", "QR code for <dave>")
            .unwrap()
            .into_string();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(
            svg.contains(r#"role="img""#)
                && svg.contains(r#"aria-label="QR code for &lt;dave&gt;""#)
        );
        assert!(!svg.contains("style") && !svg.contains("script"), "{svg}");
    }

    #[test]
    fn data_too_long_for_a_qr_code_gives_none() {
        assert!(svg(&"A".repeat(8_000), "too long").is_none());
    }
}

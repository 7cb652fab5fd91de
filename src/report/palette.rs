//! Colours shared by the HTML report and the PNG maps, so a legend reads the
//! same in both.

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// Category colours by taxonomy order: Okabe–Ito's eight (safe for
/// colour-blind readers), then four of Paul Tol's muted scheme; cycled beyond
/// twelve categories. None equals a reach class, the network or the background.
pub const CATEGORY_COLOURS: [Rgb; 12] = [
    [0xe6, 0x9f, 0x00], // orange
    [0xcc, 0x79, 0xa7], // reddish purple
    [0x00, 0x72, 0xb2], // blue
    [0x00, 0x9e, 0x73], // bluish green
    [0x56, 0xb4, 0xe9], // sky blue
    [0xd5, 0x5e, 0x00], // vermillion
    [0xf0, 0xe4, 0x42], // yellow
    [0x00, 0x00, 0x00], // black
    [0x88, 0x22, 0x55], // wine
    [0x44, 0xaa, 0x99], // teal
    [0x99, 0x99, 0x33], // olive
    [0x33, 0x22, 0x88], // indigo
];

/// Red–yellow–green (ColorBrewer RdYlGn, 5 classes): reaching none to all.
const REACH_STOPS: [Rgb; 5] =
    [[0xd7, 0x30, 0x27], [0xfc, 0x8d, 0x59], [0xfe, 0xe0, 0x8b], [0x91, 0xcf, 0x60], [0x1a, 0x98, 0x50]];

/// Homes that reach no facility by the network at all.
pub const UNREACHABLE: Rgb = [0x75, 0x75, 0x75];
/// The walking network.
pub const NETWORK: Rgb = [0x9a, 0x9a, 0x9a];
/// The map background.
pub const BACKGROUND: Rgb = [0xf7, 0xf7, 0xf4];
/// Proposed sites.
pub const SITE: Rgb = [0x6a, 0x3d, 0x9a];

/// The colour of category `c`.
pub fn category(c: usize) -> Rgb {
    CATEGORY_COLOURS[c % CATEGORY_COLOURS.len()]
}

/// The colours of homes reaching `0..=n` categories: the five RdYlGn classes
/// for four categories, interpolated along them for other counts.
pub fn reach_classes(n: usize) -> Vec<Rgb> {
    if n == 4 {
        return REACH_STOPS.to_vec();
    }
    (0..=n)
        .map(|k| {
            let t = if n == 0 { 1.0 } else { k as f64 / n as f64 } * (REACH_STOPS.len() - 1) as f64;
            let i = (t.floor() as usize).min(REACH_STOPS.len() - 2);
            let f = t - i as f64;
            let (a, b) = (REACH_STOPS[i], REACH_STOPS[i + 1]);
            [0, 1, 2].map(|j| (a[j] as f64 + (b[j] as f64 - a[j] as f64) * f).round() as u8)
        })
        .collect()
}

/// `#rrggbb`.
pub fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_classes_end_at_red_and_green_and_are_distinct() {
        for n in 1..=8 {
            let c = reach_classes(n);
            assert_eq!(c.len(), n + 1);
            assert_eq!(c[0], REACH_STOPS[0]);
            assert_eq!(c[n], REACH_STOPS[4]);
            for w in c.windows(2) {
                assert_ne!(w[0], w[1], "n = {n}");
            }
        }
        assert_eq!(hex(reach_classes(4)[2]), "#fee08b");
    }

    #[test]
    fn twelve_categories_get_twelve_colours_unlike_every_other_colour() {
        let mut all: Vec<Rgb> = (0..12).map(category).collect();
        all.extend(reach_classes(4));
        all.extend([UNREACHABLE, NETWORK, BACKGROUND, SITE]);
        let mut distinct = all.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len());
        assert_eq!(category(12), category(0));
    }
}

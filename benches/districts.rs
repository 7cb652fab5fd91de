//! Criterion benchmark: assigning homes to districts.
//!
//! 1,000 districts (a 40 × 25 grid of irregular polygons tiling a 50 km box
//! near Zurich: jittered shared corners plus a jittered midpoint per side, so
//! 8 vertices each, non-convex) and 1,000,000 random homes in a box 5 % larger
//! (so some fall outside), fixed seed; times [`DistrictIndex::locate_all`].
//! Target (2-core machine, release): under 2 s.

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use lifecircle::district::assign::DistrictIndex;
use lifecircle::district::sources::District;

const COLS: usize = 40;
const ROWS: usize = 25;
const HOMES: usize = 1_000_000;
/// 50 km in degrees at 47° N: longitude, latitude.
const BOX: [f64; 2] = [50_000.0 / (111_320.0 * 0.682), 50_000.0 / 110_574.0];
const ORIGIN: [f64; 2] = [8.3, 47.2];

/// xorshift64*: a fixed-seed generator, uniform in `[0, 1)`.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn jitter(&mut self, amount: f64) -> f64 {
        (self.unit() - 0.5) * 2.0 * amount
    }
}

fn districts(rng: &mut Rng) -> Vec<District> {
    let (cw, ch) = (BOX[0] / COLS as f64, BOX[1] / ROWS as f64);
    // Shared corners, jittered by up to 20 % of a cell (the outer frame stays straight).
    let corners: Vec<Vec<Coord<f64>>> = (0..=ROWS)
        .map(|r| {
            (0..=COLS)
                .map(|c| {
                    let inner = r > 0 && r < ROWS && c > 0 && c < COLS;
                    let (jx, jy) = if inner { (rng.jitter(0.2 * cw), rng.jitter(0.2 * ch)) } else { (0.0, 0.0) };
                    Coord { x: ORIGIN[0] + c as f64 * cw + jx, y: ORIGIN[1] + r as f64 * ch + jy }
                })
                .collect()
        })
        .collect();
    // Shared side midpoints (horizontal sides, then vertical), jittered across the side.
    let mid = |a: Coord<f64>, b: Coord<f64>, off: Coord<f64>| Coord {
        x: (a.x + b.x) / 2.0 + off.x,
        y: (a.y + b.y) / 2.0 + off.y,
    };
    let horizontal: Vec<Vec<Coord<f64>>> = (0..=ROWS)
        .map(|r| {
            (0..COLS)
                .map(|c| {
                    let j = if r > 0 && r < ROWS { rng.jitter(0.15 * ch) } else { 0.0 };
                    mid(corners[r][c], corners[r][c + 1], Coord { x: 0.0, y: j })
                })
                .collect()
        })
        .collect();
    let vertical: Vec<Vec<Coord<f64>>> = (0..ROWS)
        .map(|r| {
            (0..=COLS)
                .map(|c| {
                    let j = if c > 0 && c < COLS { rng.jitter(0.15 * cw) } else { 0.0 };
                    mid(corners[r][c], corners[r + 1][c], Coord { x: j, y: 0.0 })
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(COLS * ROWS);
    for r in 0..ROWS {
        for c in 0..COLS {
            let ring = vec![
                corners[r][c],
                horizontal[r][c],
                corners[r][c + 1],
                vertical[r][c + 1],
                corners[r + 1][c + 1],
                horizontal[r + 1][c],
                corners[r + 1][c],
                vertical[r][c],
                corners[r][c],
            ];
            let shape = MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])]);
            out.push(District { key: format!("r{r}c{c}"), id: format!("r{r}c{c}"), shape });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0xD157_B3AC_0000_0001);
    let districts = districts(&mut rng);
    let homes: Vec<[f64; 2]> = (0..HOMES)
        .map(|_| [ORIGIN[0] + BOX[0] * (rng.unit() * 1.05 - 0.025), ORIGIN[1] + BOX[1] * (rng.unit() * 1.05 - 0.025)])
        .collect();
    let index = DistrictIndex::new(&districts);
    let located = index.locate_all(&homes);
    let outside = located.iter().filter(|d| d.is_none()).count();
    assert!(outside > 0 && outside < HOMES / 10, "{outside} homes outside");
    let mut group = c.benchmark_group("districts");
    group.sample_size(10);
    group.bench_function("locate_all 1M homes in 1000 districts", |b| {
        b.iter(|| std::hint::black_box(index.locate_all(std::hint::black_box(&homes))))
    });
    group.bench_function("index 1000 districts", |b| b.iter(|| std::hint::black_box(DistrictIndex::new(&districts))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

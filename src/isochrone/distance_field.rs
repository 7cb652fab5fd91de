//! A grid in local metres and its exact Euclidean distance transform: the
//! dense reference of [`super::sparse_field`], and the grid frame and cell
//! traversal both share.
//!
//! Polylines are drawn onto the grid (every cell a segment passes through is
//! marked), then the Felzenszwalb–Huttenlocher transform gives every cell the
//! exact Euclidean distance from its centre to the nearest marked centre, in
//! two passes of lower envelopes of parabolas: `O(W·H)` time, `O(W + H)`
//! scratch. The distance to the drawn lines is thus known to within half a
//! cell diagonal. Squared distances are whole numbers of cells, held exactly,
//! so any other exact method gives bit-identical values. Service areas use
//! the dense grid only for halos beyond [`super::sparse_field::MAX_HALO`].

/// A `width × height` grid of square cells; cell `(i, j)` has its centre at
/// `(x0 + i·cell_m, y0 + j·cell_m)` in local metres.
#[derive(Debug, Clone)]
pub struct Grid {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Cell size, metres.
    pub cell_m: f64,
    /// Centre of cell (0, 0), local metres.
    pub x0: f64,
    /// Centre of cell (0, 0), local metres.
    pub y0: f64,
    /// Marked cells, row-major.
    marked: Vec<bool>,
}

impl Grid {
    /// A grid covering `[min, max]` (local metres) plus `margin_m` on every
    /// side, its cell centres on multiples of `cell_m` from the local origin:
    /// grids of the same cell size line up, so a smaller drawing marks a subset
    /// of the cells a larger one marks (nested reaches give nested areas).
    pub fn covering(min: [f64; 2], max: [f64; 2], margin_m: f64, cell_m: f64) -> Grid {
        let (x0, y0, width, height) = frame(min, max, margin_m, cell_m);
        Grid { width, height, cell_m, x0, y0, marked: vec![false; width * height] }
    }

    /// Marks every cell the segment `a`–`b` (local metres) passes through
    /// (an exact grid traversal, Amanatides–Woo: a part of a segment marks a
    /// subset of the cells the whole segment marks). `O(cells crossed)`.
    pub fn draw_segment(&mut self, a: [f64; 2], b: [f64; 2]) {
        let (x0, y0, cell_m) = (self.x0, self.y0, self.cell_m);
        traverse_segment(x0, y0, cell_m, a, b, |i, j| self.mark_cell(i, j));
    }

    fn mark_cell(&mut self, i: i64, j: i64) {
        if i >= 0 && j >= 0 && (i as usize) < self.width && (j as usize) < self.height {
            self.marked[j as usize * self.width + i as usize] = true;
        }
    }

    /// Marks the cell holding point `p`.
    pub fn mark(&mut self, p: [f64; 2]) {
        let (i, j) = cell_of(self.x0, self.y0, self.cell_m, p);
        self.mark_cell(i, j);
    }

    /// Distance in metres from every cell centre to the nearest marked cell
    /// centre (row-major; `f64::INFINITY` everywhere when nothing is marked).
    pub fn distance_m(&self) -> Vec<f64> {
        let (w, h) = (self.width, self.height);
        let big = ((w * w + h * h) as f64) * 4.0 + 1.0;
        let mut d2: Vec<f64> = self.marked.iter().map(|&m| if m { 0.0 } else { big }).collect();
        let mut f = vec![0.0; w.max(h)];
        let mut out = vec![0.0; w.max(h)];
        let mut v = vec![0usize; w.max(h)];
        let mut z = vec![0.0; w.max(h) + 1];
        // Columns, then rows.
        for i in 0..w {
            for j in 0..h {
                f[j] = d2[j * w + i];
            }
            edt_1d(&f[..h], &mut out[..h], &mut v, &mut z);
            for j in 0..h {
                d2[j * w + i] = out[j];
            }
        }
        for j in 0..h {
            f[..w].copy_from_slice(&d2[j * w..(j + 1) * w]);
            edt_1d(&f[..w], &mut out[..w], &mut v, &mut z);
            d2[j * w..(j + 1) * w].copy_from_slice(&out[..w]);
        }
        let cell = self.cell_m;
        d2.into_iter().map(|x| if x >= big { f64::INFINITY } else { x.sqrt() * cell }).collect()
    }

    /// Local metres of the centre of cell `(i, j)`.
    #[inline]
    pub fn centre(&self, i: usize, j: usize) -> [f64; 2] {
        [self.x0 + i as f64 * self.cell_m, self.y0 + j as f64 * self.cell_m]
    }
}

/// The frame `(x0, y0, width, height)` of a grid covering `[min, max]`
/// (local metres) plus `margin_m` on every side, its cell centres on
/// multiples of `cell_m` from the local origin (see [`Grid::covering`]).
pub fn frame(min: [f64; 2], max: [f64; 2], margin_m: f64, cell_m: f64) -> (f64, f64, usize, usize) {
    let x0 = ((min[0] - margin_m) / cell_m).floor() * cell_m;
    let y0 = ((min[1] - margin_m) / cell_m).floor() * cell_m;
    let width = (((max[0] + margin_m - x0) / cell_m).ceil() as usize + 1).max(3);
    let height = (((max[1] + margin_m - y0) / cell_m).ceil() as usize + 1).max(3);
    (x0, y0, width, height)
}

/// The cell `(i, j)` holding point `p` (possibly outside the grid).
#[inline]
pub fn cell_of(x0: f64, y0: f64, cell_m: f64, p: [f64; 2]) -> (i64, i64) {
    (((p[0] - x0) / cell_m + 0.5).floor() as i64, ((p[1] - y0) / cell_m + 0.5).floor() as i64)
}

/// Calls `visit(i, j)` for every cell the segment `a`–`b` (local metres)
/// passes through, on the grid of cell `cell_m` whose cell `(0, 0)` is
/// centred on `(x0, y0)` (an exact grid traversal, Amanatides–Woo; cells may
/// lie outside any grid's bounds, the caller clips). `O(cells crossed)`.
pub fn traverse_segment(x0: f64, y0: f64, cell_m: f64, a: [f64; 2], b: [f64; 2], mut visit: impl FnMut(i64, i64)) {
    // Cell (i, j) spans [i - 0.5, i + 0.5) in grid units around its centre.
    let ga = [(a[0] - x0) / cell_m + 0.5, (a[1] - y0) / cell_m + 0.5];
    let gb = [(b[0] - x0) / cell_m + 0.5, (b[1] - y0) / cell_m + 0.5];
    let (mut i, mut j) = (ga[0].floor() as i64, ga[1].floor() as i64);
    let (ei, ej) = (gb[0].floor() as i64, gb[1].floor() as i64);
    let d = [gb[0] - ga[0], gb[1] - ga[1]];
    let step = [if d[0] > 0.0 { 1 } else { -1 }, if d[1] > 0.0 { 1 } else { -1 }];
    let t_delta = [
        if d[0] != 0.0 { (1.0 / d[0]).abs() } else { f64::INFINITY },
        if d[1] != 0.0 { (1.0 / d[1]).abs() } else { f64::INFINITY },
    ];
    let next = |g: f64, c: i64, dd: f64| -> f64 {
        if dd > 0.0 {
            ((c + 1) as f64 - g) / dd
        } else if dd < 0.0 {
            (c as f64 - g) / dd
        } else {
            f64::INFINITY
        }
    };
    let mut t_max = [next(ga[0], i, d[0]), next(ga[1], j, d[1])];
    let limit = (ei - i).abs() + (ej - j).abs() + 2;
    visit(i, j);
    for _ in 0..limit {
        if i == ei && j == ej {
            break;
        }
        if t_max[0] < t_max[1] {
            i += step[0];
            t_max[0] += t_delta[0];
        } else {
            j += step[1];
            t_max[1] += t_delta[1];
        }
        visit(i, j);
    }
}

/// One-dimensional squared distance transform (lower envelope of parabolas).
pub fn edt_1d(f: &[f64], d: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in 1..n {
        let fq = f[q] + (q * q) as f64;
        loop {
            let p = v[k];
            let s = (fq - (f[p] + (p * p) as f64)) / (2.0 * (q as f64 - p as f64));
            if s <= z[k] && k > 0 {
                k -= 1;
                continue;
            }
            if s <= z[k] {
                // k == 0: q replaces the only parabola.
                v[0] = q;
                z[0] = f64::NEG_INFINITY;
                z[1] = f64::INFINITY;
                break;
            }
            k += 1;
            v[k] = q;
            z[k] = s;
            z[k + 1] = f64::INFINITY;
            break;
        }
    }
    k = 0;
    for (q, dq) in d.iter_mut().enumerate().take(n) {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        let diff = q as f64 - p as f64;
        *dq = diff * diff + f[p];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transform against a brute-force scan over all marked cells.
    #[test]
    fn edt_matches_brute_force() {
        let mut g = Grid::covering([0.0, 0.0], [40.0, 30.0], 5.0, 1.0);
        let mut state = 0x5EED_u64;
        let mut rnd = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut marks = Vec::new();
        for _ in 0..25 {
            let p = [(rnd() % 40) as f64, (rnd() % 30) as f64];
            g.mark(p);
            marks.push(p);
        }
        let d = g.distance_m();
        for j in 0..g.height {
            for i in 0..g.width {
                let c = g.centre(i, j);
                let want = marks
                    .iter()
                    .map(|m| {
                        let mi = ((m[0] - g.x0) / g.cell_m).round() * g.cell_m + g.x0;
                        let mj = ((m[1] - g.y0) / g.cell_m).round() * g.cell_m + g.y0;
                        ((c[0] - mi).powi(2) + (c[1] - mj).powi(2)).sqrt()
                    })
                    .fold(f64::INFINITY, f64::min);
                assert!((d[j * g.width + i] - want).abs() < 1e-9, "cell ({i},{j}): {} vs {want}", d[j * g.width + i]);
            }
        }
    }

    #[test]
    fn empty_grid_is_infinitely_far() {
        let g = Grid::covering([0.0, 0.0], [10.0, 10.0], 1.0, 1.0);
        assert!(g.distance_m().iter().all(|d| d.is_infinite()));
    }
}

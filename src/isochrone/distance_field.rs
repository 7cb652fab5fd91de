//! A grid in local metres and its exact Euclidean distance transform.
//!
//! Polylines are drawn onto the grid (every cell a segment passes through is
//! marked), then the Felzenszwalb–Huttenlocher transform gives every cell the
//! exact Euclidean distance from its centre to the nearest marked centre, in
//! two passes of lower envelopes of parabolas: `O(W·H)` time, `O(W + H)`
//! scratch. The distance to the drawn lines is thus known to within half a
//! cell diagonal.

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
        let x0 = ((min[0] - margin_m) / cell_m).floor() * cell_m;
        let y0 = ((min[1] - margin_m) / cell_m).floor() * cell_m;
        let width = (((max[0] + margin_m - x0) / cell_m).ceil() as usize + 1).max(3);
        let height = (((max[1] + margin_m - y0) / cell_m).ceil() as usize + 1).max(3);
        Grid { width, height, cell_m, x0, y0, marked: vec![false; width * height] }
    }

    /// Marks every cell the segment `a`–`b` (local metres) passes through.
    pub fn draw_segment(&mut self, a: [f64; 2], b: [f64; 2]) {
        let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        let steps = ((len / (self.cell_m * 0.5)).ceil() as usize).max(1);
        for k in 0..=steps {
            let t = k as f64 / steps as f64;
            self.mark([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
        }
    }

    /// Marks the cell holding point `p`.
    pub fn mark(&mut self, p: [f64; 2]) {
        let i = ((p[0] - self.x0) / self.cell_m).round();
        let j = ((p[1] - self.y0) / self.cell_m).round();
        if i >= 0.0 && j >= 0.0 && (i as usize) < self.width && (j as usize) < self.height {
            self.marked[j as usize * self.width + i as usize] = true;
        }
    }

    /// Is anything marked?
    pub fn any_marked(&self) -> bool {
        self.marked.iter().any(|&m| m)
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

/// One-dimensional squared distance transform (lower envelope of parabolas).
fn edt_1d(f: &[f64], d: &mut [f64], v: &mut [usize], z: &mut [f64]) {
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

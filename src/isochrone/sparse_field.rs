//! The distance field near the drawn network only, on sparse tiles.
//!
//! A service area's outline is the contour of the distance to the reached
//! network at the level `L` (the buffer). Marching squares only reads the
//! exact distance at the corners of cells the contour crosses, all within
//! `L + √2` cells of a marked cell; farther cells only need to be known to be
//! outside. So the grid (the same frame as [`super::distance_field::Grid`])
//! is cut into `64 × 64` tiles and only the tiles within `h` cells of a
//! marked cell (`h = ⌈L / cell⌉ + 2`) are computed, each from the marks in a
//! window of `h` cells around it:
//!
//! - column pass: the distance in cells to the nearest mark of the same
//!   window column, by a forward and a backward sweep over the window's rows
//!   (vectorised across columns);
//! - row pass: `d² = min over |dx| ≤ h of dx² + g(x + dx)²`, in integers.
//!
//! The squared distance (in cells) comes out exact wherever it is at most
//! `h²`: the nearest mark is then within `h` cells in both axes, so inside
//! the window. Anything farther reads as `+∞`. Distances are
//! `√(d²) · cell_m`, computed exactly as the dense transform computes them,
//! so every value marching squares reads is bit-identical to the dense
//! transform's (`tests/suite/isochrones.rs` checks it on random drawings).
//!
//! Complexity: `O(A · 64² · h)` time for the `A` computed tiles (those within
//! `h` cells of a mark: proportional to the drawn length times `h`, not to
//! the box), `O(A · 64²)` memory, plus a `O(W·H / 64²)` tile directory.

use super::distance_field::{cell_of, frame, traverse_segment};

/// Side of a tile, cells (a tile row is one `u64` of marks or inside flags).
const TILE: usize = 64;
/// No tile here.
const NONE: u32 = u32::MAX;
/// Squared distance of "no mark in reach" in the passes: sums with squared
/// offsets saturate at it (the passes run on `i16`, which SSE2 vectorises).
const FAR2: i16 = i16::MAX;
/// Stored squared distance beyond `h²`: the value is `+∞`.
const BEYOND: u16 = u16::MAX;
/// The largest halo the `i16` passes hold exactly (`2 h² < 2¹⁵`): contours of
/// up to 125 cells (buffers of up to 1.25 km on 10 m cells).
pub const MAX_HALO: usize = 127;

/// A grid frame with marks on sparse tiles, and after [`SparseField::compute`]
/// the exact distance field within reach of the level.
#[derive(Debug, Clone)]
pub struct SparseField {
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
    tiles_w: usize,
    tiles_h: usize,
    /// Tile → index into `marks`, or `NONE`.
    mark_dir: Vec<u32>,
    /// Per marked tile, row `r`'s bit `x`: cell `(tx·64 + x, ty·64 + r)` is marked.
    marks: Vec<[u64; TILE]>,
    /// Tile → index into `d2` / `inside`, or `NONE` (not computed: all `+∞`).
    field_dir: Vec<u32>,
    /// Squared distances in cells, `TILE²` per computed tile, row-major; `BEYOND` past `h²`.
    d2: Vec<u16>,
    /// Per computed tile, row `r`'s bit `x`: the cell's distance is at most the level.
    inside: Vec<[u64; TILE]>,
    /// Computed tiles (`ty · tiles_w + tx`), ascending.
    computed: Vec<u32>,
    /// The level of the last [`SparseField::compute`], metres.
    level_m: f64,
}

impl SparseField {
    /// The same frame as [`super::distance_field::Grid::covering`], nothing marked.
    pub fn covering(min: [f64; 2], max: [f64; 2], margin_m: f64, cell_m: f64) -> SparseField {
        let (x0, y0, width, height) = frame(min, max, margin_m, cell_m);
        let tiles_w = width.div_ceil(TILE);
        let tiles_h = height.div_ceil(TILE);
        SparseField {
            width,
            height,
            cell_m,
            x0,
            y0,
            tiles_w,
            tiles_h,
            mark_dir: vec![NONE; tiles_w * tiles_h],
            marks: Vec::new(),
            field_dir: Vec::new(),
            d2: Vec::new(),
            inside: Vec::new(),
            computed: Vec::new(),
            level_m: f64::NAN,
        }
    }

    fn mark_cell(&mut self, i: i64, j: i64) {
        if i < 0 || j < 0 || i as usize >= self.width || j as usize >= self.height {
            return;
        }
        let (i, j) = (i as usize, j as usize);
        let t = (j / TILE) * self.tiles_w + i / TILE;
        if self.mark_dir[t] == NONE {
            self.mark_dir[t] = self.marks.len() as u32;
            self.marks.push([0; TILE]);
        }
        self.marks[self.mark_dir[t] as usize][j % TILE] |= 1 << (i % TILE);
    }

    /// Marks every cell the segment `a`–`b` (local metres) passes through,
    /// exactly as [`super::distance_field::Grid::draw_segment`] does.
    pub fn draw_segment(&mut self, a: [f64; 2], b: [f64; 2]) {
        let (x0, y0, cell_m) = (self.x0, self.y0, self.cell_m);
        traverse_segment(x0, y0, cell_m, a, b, |i, j| self.mark_cell(i, j));
    }

    /// Marks the cell holding point `p`.
    pub fn mark(&mut self, p: [f64; 2]) {
        let (i, j) = cell_of(self.x0, self.y0, self.cell_m, p);
        self.mark_cell(i, j);
    }

    /// Whether cell `(i, j)` is marked.
    pub fn is_marked(&self, i: usize, j: usize) -> bool {
        let t = self.mark_dir[(j / TILE) * self.tiles_w + i / TILE];
        t != NONE && self.marks[t as usize][j % TILE] >> (i % TILE) & 1 == 1
    }

    /// Computes the field for the contour at `level_m` (metres, positive):
    /// every cell within `h = ⌈level_m / cell_m⌉ + 2` cells of a mark gets its
    /// exact distance, every other cell reads `+∞`.
    ///
    /// # Panics
    /// If `h` exceeds [`MAX_HALO`] (use the dense [`super::distance_field::Grid`]).
    pub fn compute(&mut self, level_m: f64) {
        self.level_m = level_m;
        let h = halo_cells(level_m, self.cell_m);
        assert!(h <= MAX_HALO, "halo of {h} cells: use the dense grid");
        let h2 = (h * h) as i16;
        // The inside test `√d² · cell ≤ level` as a threshold on d² (monotone in d²).
        let inside_max: Option<u16> =
            (0..=h2 as u16).take_while(|&d2| ((d2 as f64).sqrt() * self.cell_m) <= level_m).last();
        // Tiles within h cells of a marked tile.
        let k = h.div_ceil(TILE) as isize;
        let mut want = vec![false; self.tiles_w * self.tiles_h];
        for t in 0..self.mark_dir.len() {
            if self.mark_dir[t] == NONE {
                continue;
            }
            let (tx, ty) = ((t % self.tiles_w) as isize, (t / self.tiles_w) as isize);
            for y in (ty - k).max(0)..=(ty + k).min(self.tiles_h as isize - 1) {
                for x in (tx - k).max(0)..=(tx + k).min(self.tiles_w as isize - 1) {
                    want[y as usize * self.tiles_w + x as usize] = true;
                }
            }
        }
        self.computed = (0..want.len() as u32).filter(|&t| want[t as usize]).collect();
        self.field_dir = vec![NONE; self.tiles_w * self.tiles_h];
        self.d2 = vec![BEYOND; self.computed.len() * TILE * TILE];
        self.inside = vec![[0; TILE]; self.computed.len()];
        let span = TILE + 2 * h;
        let mut scratch = Scratch {
            window: vec![-1; span * span],
            down: vec![0; span * span],
            prev: vec![0; span],
            g2: vec![FAR2; TILE * span],
        };
        for slot in 0..self.computed.len() {
            let t = self.computed[slot] as usize;
            self.field_dir[t] = slot as u32;
            let (tx, ty) = (t % self.tiles_w, t / self.tiles_w);
            let (ox, oy) = ((tx * TILE) as isize - h as isize, (ty * TILE) as isize - h as isize);
            self.fill_window(&mut scratch.window, ox, oy, span);
            column_pass(&mut scratch, span, h);
            let d2 = &mut self.d2[slot * TILE * TILE..(slot + 1) * TILE * TILE];
            row_pass(&scratch.g2, d2, span, h, h2);
            // Inside flags, only for cells of the grid.
            let Some(max) = inside_max else { continue };
            let cols = (self.width - tx * TILE).min(TILE);
            let rows = (self.height - ty * TILE).min(TILE);
            for (r, word) in self.inside[slot].iter_mut().enumerate().take(rows) {
                let mut bits = 0u64;
                for (x, &d) in d2[r * TILE..r * TILE + cols].iter().enumerate() {
                    bits |= ((d <= max) as u64) << x;
                }
                *word = bits;
            }
        }
    }

    /// Copies the marks of the `span × span` window whose cell (0, 0) is grid
    /// cell `(ox, oy)` into `window`: 0 where marked, -1 (all bits) elsewhere.
    fn fill_window(&self, window: &mut [i16], ox: isize, oy: isize, span: usize) {
        window.fill(-1);
        let tx0 = ox.max(0) as usize / TILE;
        let ty0 = oy.max(0) as usize / TILE;
        let x_end = (ox + span as isize).min(self.width as isize);
        let y_end = (oy + span as isize).min(self.height as isize);
        if x_end <= 0 || y_end <= 0 {
            return;
        }
        let tx1 = (x_end as usize - 1) / TILE;
        let ty1 = (y_end as usize - 1) / TILE;
        for ty in ty0..=ty1 {
            for tx in tx0..=tx1 {
                let m = self.mark_dir[ty * self.tiles_w + tx];
                if m == NONE {
                    continue;
                }
                let words = &self.marks[m as usize];
                for (r, &word) in words.iter().enumerate() {
                    let wy = (ty * TILE + r) as isize - oy;
                    if word == 0 || wy < 0 || wy >= span as isize {
                        continue;
                    }
                    let mut w = word;
                    while w != 0 {
                        let x = w.trailing_zeros() as usize;
                        w &= w - 1;
                        let wx = (tx * TILE + x) as isize - ox;
                        if wx >= 0 && wx < span as isize {
                            window[wy as usize * span + wx as usize] = 0;
                        }
                    }
                }
            }
        }
    }

    /// The distance in metres from the centre of cell `(i, j)` to the nearest
    /// marked centre, where within reach of the level (`+∞` elsewhere).
    #[inline]
    pub fn value_m(&self, i: usize, j: usize) -> f64 {
        let t = self.field_dir[(j / TILE) * self.tiles_w + i / TILE];
        if t == NONE {
            return f64::INFINITY;
        }
        let d = self.d2[t as usize * TILE * TILE + (j % TILE) * TILE + i % TILE];
        if d == BEYOND { f64::INFINITY } else { (d as f64).sqrt() * self.cell_m }
    }

    /// The level of the last [`SparseField::compute`], metres.
    pub fn level_m(&self) -> f64 {
        self.level_m
    }

    /// Computed tiles as `(column of its first cell, row of its first cell)`, in row-major tile order.
    pub fn computed_tiles(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.computed.iter().map(|&t| ((t as usize % self.tiles_w) * TILE, (t as usize / self.tiles_w) * TILE))
    }

    /// Inside flags of row `j` for the 65 cells from column `i` (a multiple
    /// of 64): bit `x` is cell `(i + x, j)` at most the level away.
    #[inline]
    pub fn inside_row(&self, i: usize, j: usize) -> u128 {
        if j >= self.height {
            return 0;
        }
        let row = |tx: usize| -> u64 {
            if tx >= self.tiles_w {
                return 0;
            }
            let t = self.field_dir[(j / TILE) * self.tiles_w + tx];
            if t == NONE { 0 } else { self.inside[t as usize][j % TILE] }
        };
        let tx = i / TILE;
        row(tx) as u128 | ((row(tx + 1) & 1) as u128) << TILE
    }

    /// Number of computed tiles (each `64 × 64` cells).
    pub fn computed_tile_count(&self) -> usize {
        self.computed.len()
    }
}

/// The window margin `h` for a contour at `level_m` on cells of `cell_m`:
/// `⌈level / cell⌉ + 2` cells, more than the `level / cell + √2` of the
/// farthest corner marching squares reads.
pub fn halo_cells(level_m: f64, cell_m: f64) -> usize {
    (level_m / cell_m).ceil().max(0.0) as usize + 2
}

/// Per-tile scratch of [`SparseField::compute`].
struct Scratch {
    /// The window's marks: 0 where marked, -1 elsewhere.
    window: Vec<i16>,
    /// Rows to the nearest mark at or below, per window cell.
    down: Vec<i16>,
    /// One row of running distances.
    prev: Vec<i16>,
    /// Per tile row and window column: squared distance in cells to the nearest
    /// mark of the column, `FAR2` beyond `h`.
    g2: Vec<i16>,
}

/// The column pass: `g2[r][x]` from the window's column `x` around window
/// row `h + r`, by a sweep up then a sweep down the rows (inner loops run
/// across columns, branch-free, and vectorise).
fn column_pass(s: &mut Scratch, span: usize, h: usize) {
    let cap = (span + 1) as i16;
    s.prev.fill(cap);
    for (src, dst) in s.window.chunks_exact(span).zip(s.down.chunks_exact_mut(span)) {
        for ((p, &m), d) in s.prev.iter_mut().zip(src).zip(dst.iter_mut()) {
            let v = (*p + 1).min(cap) & m;
            *d = v;
            *p = v;
        }
    }
    s.prev.fill(cap);
    let hh = h as i16;
    for y in (0..span).rev() {
        let src = &s.window[y * span..(y + 1) * span];
        if y >= h && y < h + TILE {
            let below = &s.down[y * span..(y + 1) * span];
            let out = &mut s.g2[(y - h) * span..(y - h + 1) * span];
            for (((p, &m), &b), o) in s.prev.iter_mut().zip(src).zip(below).zip(out.iter_mut()) {
                let v = (*p + 1).min(cap) & m;
                *p = v;
                let d = v.min(b);
                *o = if d <= hh { d * d } else { FAR2 };
            }
        } else {
            for (p, &m) in s.prev.iter_mut().zip(src) {
                *p = (*p + 1).min(cap) & m;
            }
        }
    }
}

/// The row pass: `d2[r][x] = min over |dx| ≤ h of dx² + g2[r][h + x + dx]`,
/// kept only up to `h2` (saturating `i16` sums, vectorised across `x`).
fn row_pass(g2: &[i16], d2: &mut [u16], span: usize, h: usize, h2: i16) {
    let mut best = [FAR2; TILE];
    for (row, out) in g2.chunks_exact(span).zip(d2.chunks_exact_mut(TILE)) {
        best.fill(FAR2);
        for dx in 0..=2 * h {
            let off = ((dx as isize - h as isize) * (dx as isize - h as isize)) as i16;
            for (b, &g) in best.iter_mut().zip(&row[dx..dx + TILE]) {
                *b = (*b).min(g.saturating_add(off));
            }
        }
        for (o, &b) in out.iter_mut().zip(&best) {
            *o = if b <= h2 { b as u16 } else { BEYOND };
        }
    }
}

//! Contours of a scalar field on a grid (marching squares), as closed rings.
//!
//! A cell's four corners are "inside" when their value is at most the level.
//! Every cell crossing the level emits directed segments with the inside on
//! their left; crossing points sit on grid edges (linear interpolation), each
//! shared by exactly two segments, so segments chain into closed rings that
//! never cross: outer boundaries counter-clockwise, holes clockwise. Saddle
//! cells are resolved by the cell's mean value, the same way for every cell.
//! Rings start from the smallest crossing (by row, column, horizontal first),
//! so the output depends only on the field.
//!
//! [`contour_rings`] scans a dense field: `O(W·H)`, the field must be outside
//! on the whole border of the grid. [`contour_rings_sparse`] scans only the
//! computed tiles of a [`SparseField`], 64 cells at a time with bit masks,
//! and emits the very same rings: `O(A · 64 + S log S)` for `A` tile rows
//! and `S` crossing segments.

use super::sparse_field::SparseField;

/// A crossing point: on the horizontal edge right of corner `(i, j)` (`h`) or the vertical edge above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EdgeKey {
    i: u32,
    j: u32,
    vertical: bool,
}

impl EdgeKey {
    /// The order rings start in (row, column, horizontal first), as one integer.
    #[inline]
    fn order(self) -> u64 {
        ((self.j as u64) << 33) | ((self.i as u64) << 1) | self.vertical as u64
    }
}

/// Closed rings (first point repeated last) of the region `value <= level`,
/// in grid coordinates (corner `(i, j)` at `(i, j)`), inside on the left.
///
/// ```
/// use lifecircle::isochrone::marching_squares::contour_rings;
/// // A 4 × 4 field with one inside corner in the middle.
/// let mut v = vec![1.0; 16];
/// v[1 * 4 + 1] = -1.0;
/// let rings = contour_rings(&v, 4, 4, 0.0);
/// assert_eq!(rings.len(), 1);
/// assert_eq!(rings[0].len(), 5); // a diamond: four crossings, closed
/// ```
pub fn contour_rings(values: &[f64], width: usize, height: usize, level: f64) -> Vec<Vec<[f64; 2]>> {
    assert_eq!(values.len(), width * height, "field size");
    let inside = |i: usize, j: usize| values[j * width + i] <= level;
    let val = |i: usize, j: usize| values[j * width + i] - level;
    let mut segs = Vec::new();
    for j in 0..height.saturating_sub(1) {
        for i in 0..width.saturating_sub(1) {
            let case = (inside(i, j) as u8)
                | ((inside(i + 1, j) as u8) << 1)
                | ((inside(i + 1, j + 1) as u8) << 2)
                | ((inside(i, j + 1) as u8) << 3);
            cell_segments(case, i, j, &val, &mut segs);
        }
    }
    chain(segs, &val)
}

/// The rings of [`contour_rings`] for a computed [`SparseField`] at its
/// level: identical to the dense scan of the same field.
pub fn contour_rings_sparse(field: &SparseField) -> Vec<Vec<[f64; 2]>> {
    let level = field.level_m();
    let val = |i: usize, j: usize| field.value_m(i, j) - level;
    let (width, height) = (field.width, field.height);
    let mut segs = Vec::new();
    for (ox, oy) in field.computed_tiles() {
        // Lower-left corners of cells: columns up to width - 2.
        let cols = (width - 1).saturating_sub(ox).min(64);
        if cols == 0 {
            continue;
        }
        let col_mask: u128 = if cols == 64 { u64::MAX as u128 } else { (1u128 << cols) - 1 };
        let mut below = field.inside_row(ox, oy);
        for j in oy..(oy + 64).min(height.saturating_sub(1)) {
            let above = field.inside_row(ox, j + 1);
            let (a, b) = (below, above);
            let all_in = a & (a >> 1) & b & (b >> 1);
            let any_in = a | (a >> 1) | b | (b >> 1);
            let mut mixed = (any_in & !all_in & col_mask) as u64;
            while mixed != 0 {
                let x = mixed.trailing_zeros() as usize;
                mixed &= mixed - 1;
                let case = ((a >> x) & 1) as u8
                    | (((a >> (x + 1)) & 1) as u8) << 1
                    | (((b >> (x + 1)) & 1) as u8) << 2
                    | (((b >> x) & 1) as u8) << 3;
                cell_segments(case, ox + x, j, &val, &mut segs);
            }
            below = above;
        }
    }
    chain(segs, &val)
}

/// The directed segments (inside on the left) of cell `(i, j)` with corner
/// case `case` (bit 0: `(i, j)`, 1: `(i + 1, j)`, 2: `(i + 1, j + 1)`, 3:
/// `(i, j + 1)` inside); `val` is the field minus the level.
#[inline]
fn cell_segments(case: u8, i: usize, j: usize, val: &impl Fn(usize, usize) -> f64, out: &mut Vec<(EdgeKey, EdgeKey)>) {
    if case == 0 || case == 15 {
        return;
    }
    let (ui, uj) = (i as u32, j as u32);
    let b = EdgeKey { i: ui, j: uj, vertical: false };
    let t = EdgeKey { i: ui, j: uj + 1, vertical: false };
    let l = EdgeKey { i: ui, j: uj, vertical: true };
    let r = EdgeKey { i: ui + 1, j: uj, vertical: true };
    let centre_inside = || (val(i, j) + val(i + 1, j) + val(i + 1, j + 1) + val(i, j + 1)) / 4.0 <= 0.0;
    let segs: &[(EdgeKey, EdgeKey)] = match case {
        1 => &[(b, l)],
        2 => &[(r, b)],
        3 => &[(r, l)],
        4 => &[(t, r)],
        5 if centre_inside() => &[(b, r), (t, l)],
        5 => &[(b, l), (t, r)],
        6 => &[(t, b)],
        7 => &[(t, l)],
        8 => &[(l, t)],
        9 => &[(b, t)],
        10 if centre_inside() => &[(l, b), (r, t)],
        10 => &[(r, b), (l, t)],
        11 => &[(r, t)],
        12 => &[(l, r)],
        13 => &[(b, r)],
        14 => &[(l, b)],
        _ => unreachable!("cases 0 and 15 skipped"),
    };
    out.extend_from_slice(segs);
}

/// Chains segments into closed rings, starting from the smallest crossing
/// not yet used. `O(S log S)`.
fn chain(segs: Vec<(EdgeKey, EdgeKey)>, val: &impl Fn(usize, usize) -> f64) -> Vec<Vec<[f64; 2]>> {
    // The crossing point on an edge, kept a hundredth of a cell off the corners so
    // that rings never share a vertex, even after coordinates are rounded.
    let point = |k: EdgeKey| -> [f64; 2] {
        let (i, j) = (k.i as usize, k.j as usize);
        let (a, b) = if k.vertical { (val(i, j), val(i, j + 1)) } else { (val(i, j), val(i + 1, j)) };
        let t = if a == b { 0.5 } else { (a / (a - b)).clamp(0.01, 0.99) };
        if k.vertical { [i as f64, j as f64 + t] } else { [i as f64 + t, j as f64] }
    };
    // Segments stay in the order cells emitted them (neighbours in a ring sit
    // close in memory); starts and ends are sorted by key, and merged so that
    // next[s] is the segment starting where segment s ends.
    const NONE: u32 = u32::MAX;
    let mut starts: Vec<(u64, u32)> = segs.iter().enumerate().map(|(s, seg)| (seg.0.order(), s as u32)).collect();
    starts.sort_unstable();
    debug_assert!(starts.windows(2).all(|w| w[0].0 != w[1].0), "each crossing starts one segment");
    let mut ends: Vec<(u64, u32)> = segs.iter().enumerate().map(|(s, seg)| (seg.1.order(), s as u32)).collect();
    ends.sort_unstable();
    let mut next = vec![NONE; segs.len()];
    let mut p = 0;
    for &(key, s) in &ends {
        while p < starts.len() && starts[p].0 < key {
            p += 1;
        }
        if p < starts.len() && starts[p].0 == key {
            next[s as usize] = starts[p].1;
        }
    }
    let mut used = vec![false; segs.len()];
    let mut rings = Vec::new();
    for &(_, s) in &starts {
        let s = s as usize;
        if used[s] {
            continue;
        }
        let start = segs[s].0;
        let mut ring = vec![point(start)];
        let mut k = start;
        let mut at = s as u32;
        while at != NONE && !used[at as usize] {
            used[at as usize] = true;
            k = segs[at as usize].1;
            ring.push(point(k));
            if k == start {
                break;
            }
            at = next[at as usize];
        }
        if ring.len() >= 4 && k == start {
            rings.push(ring);
        }
    }
    rings
}

/// Twice the signed area of a closed ring (positive: counter-clockwise).
pub fn signed_area2(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_with_a_hole_gives_ccw_shell_and_cw_hole() {
        // 7 × 7: a ring of inside values around an outside centre, outside border.
        let w = 7;
        let mut v = vec![1.0; w * w];
        for j in 1..6 {
            for i in 1..6 {
                v[j * w + i] = -1.0;
            }
        }
        v[3 * w + 3] = 1.0;
        let rings = contour_rings(&v, w, w, 0.0);
        assert_eq!(rings.len(), 2);
        let areas: Vec<f64> = rings.iter().map(|r| signed_area2(r)).collect();
        assert!(areas.iter().any(|&a| a > 0.0) && areas.iter().any(|&a| a < 0.0), "{areas:?}");
    }

    #[test]
    fn saddles_join_or_split_by_centre() {
        // Diagonal inside corners: joined when the centre is inside.
        let joined = contour_rings(
            &[1.0, 1.0, 1.0, 1.0, 1.0, -2.0, 0.5, 1.0, 1.0, 0.5, -2.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            4,
            4,
            0.0,
        );
        assert_eq!(joined.len(), 1);
        let split = contour_rings(
            &[1.0, 1.0, 1.0, 1.0, 1.0, -0.5, 2.0, 1.0, 1.0, 2.0, -0.5, 1.0, 1.0, 1.0, 1.0, 1.0],
            4,
            4,
            0.0,
        );
        assert_eq!(split.len(), 2);
    }
}

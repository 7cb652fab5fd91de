//! Contours of a scalar field on a grid (marching squares), as closed rings.
//!
//! A cell's four corners are "inside" when their value is at most the level.
//! Every cell crossing the level emits directed segments with the inside on
//! their left; crossing points sit on grid edges (linear interpolation), each
//! shared by exactly two segments, so segments chain into closed rings that
//! never cross: outer boundaries counter-clockwise, holes clockwise. Saddle
//! cells are resolved by the cell's mean value, the same way for every cell.
//! `O(W·H)`; the field must be outside on the whole border of the grid.

use std::collections::HashMap;

/// A crossing point: on the horizontal edge right of corner `(i, j)` (`h`) or the vertical edge above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EdgeKey {
    i: u32,
    j: u32,
    vertical: bool,
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
    // The crossing point on an edge, kept a hundredth of a cell off the corners so
    // that rings never share a vertex, even after coordinates are rounded.
    let point = |k: EdgeKey| -> [f64; 2] {
        let (i, j) = (k.i as usize, k.j as usize);
        let (a, b) = if k.vertical { (val(i, j), val(i, j + 1)) } else { (val(i, j), val(i + 1, j)) };
        let t = if a == b { 0.5 } else { (a / (a - b)).clamp(0.01, 0.99) };
        if k.vertical { [i as f64, j as f64 + t] } else { [i as f64 + t, j as f64] }
    };
    let mut next: HashMap<EdgeKey, EdgeKey> = HashMap::new();
    for j in 0..height.saturating_sub(1) {
        for i in 0..width.saturating_sub(1) {
            let case = (inside(i, j) as u8)
                | ((inside(i + 1, j) as u8) << 1)
                | ((inside(i + 1, j + 1) as u8) << 2)
                | ((inside(i, j + 1) as u8) << 3);
            if case == 0 || case == 15 {
                continue;
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
            for &(from, to) in segs {
                next.insert(from, to);
            }
        }
    }
    // Chain segments into rings, starting from the smallest key for determinism.
    let mut starts: Vec<EdgeKey> = next.keys().copied().collect();
    starts.sort_by_key(|k| (k.j, k.i, k.vertical));
    let mut rings = Vec::new();
    for start in starts {
        if !next.contains_key(&start) {
            continue;
        }
        let mut ring = vec![point(start)];
        let mut k = start;
        while let Some(n) = next.remove(&k) {
            ring.push(point(n));
            k = n;
            if k == start {
                break;
            }
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

//! Disjoint mutable parts of one array, so it can be filled in parallel
//! (each rayon task writing only its own part) without `unsafe`.
//! `O(parts)`.

/// `slice` cut into consecutive parts of the given lengths, in order (what
/// they leave at the end is not handed out).
///
/// Panics when the lengths add up to more than `slice` holds.
pub(crate) fn split_lengths<T>(mut slice: &mut [T], lengths: impl IntoIterator<Item = usize>) -> Vec<&mut [T]> {
    let lengths = lengths.into_iter();
    let mut parts = Vec::with_capacity(lengths.size_hint().0);
    for n in lengths {
        let (part, rest) = std::mem::take(&mut slice).split_at_mut(n);
        parts.push(part);
        slice = rest;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_follow_one_another() {
        let mut v: Vec<u32> = (0..10).collect();
        let parts = split_lengths(&mut v, [3, 0, 4]);
        assert_eq!(parts.iter().map(|p| p.to_vec()).collect::<Vec<_>>(), vec![vec![0, 1, 2], vec![], vec![3, 4, 5, 6]]);
    }

    #[test]
    #[should_panic]
    fn too_long_panics() {
        let mut v = [0u8; 3];
        split_lengths(&mut v, [2, 2]);
    }
}

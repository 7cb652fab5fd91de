//! A compact list of ids for the records a file's blobs hold until the merge.
//!
//! OSM ids in a blob (nodes, ways) and the node references of a way mostly
//! follow each other closely, so [`PackedIds`] stores each as the difference
//! to the one before, zigzag-encoded as a LEB128 varint: one or two bytes
//! instead of eight for most. Exact for every `i64` (differences wrap).
//! Pushing and reading back are `O(1)` per id; reading is sequential only.

/// Ids stored as varint-coded differences, read back in order.
///
/// ```
/// use lifecircle::osm::packed::PackedIds;
/// let mut p = PackedIds::default();
/// for id in [5, 6, 7, 1_000_000, -3, i64::MAX, i64::MIN] {
///     p.push(id);
/// }
/// assert_eq!(p.len(), 7);
/// assert!(!p.is_ascending());
/// assert_eq!(p.iter().collect::<Vec<_>>(), vec![5, 6, 7, 1_000_000, -3, i64::MAX, i64::MIN]);
/// assert_eq!((p.first(), p.last()), (Some(5), Some(i64::MIN)));
/// ```
#[derive(Debug, Clone)]
pub struct PackedIds {
    bytes: Vec<u8>,
    len: usize,
    last: i64,
    ascending: bool,
}

impl Default for PackedIds {
    fn default() -> PackedIds {
        PackedIds { bytes: Vec::new(), len: 0, last: 0, ascending: true }
    }
}

impl PackedIds {
    /// Appends an id.
    #[inline]
    pub fn push(&mut self, id: i64) {
        if self.len > 0 && id < self.last {
            self.ascending = false;
        }
        let delta = id.wrapping_sub(self.last);
        let mut z = ((delta << 1) ^ (delta >> 63)) as u64;
        while z >= 0x80 {
            self.bytes.push((z as u8) | 0x80);
            z >>= 7;
        }
        self.bytes.push(z as u8);
        self.last = id;
        self.len += 1;
    }

    /// Appends every id of `ids`.
    pub fn extend_from_slice(&mut self, ids: &[i64]) {
        self.bytes.reserve(ids.len());
        for &id in ids {
            self.push(id);
        }
    }

    /// How many ids.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no id.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when every id is at least the one before (also for none or one).
    #[inline]
    pub fn is_ascending(&self) -> bool {
        self.ascending
    }

    /// The first id pushed (`O(1)`).
    pub fn first(&self) -> Option<i64> {
        self.iter().next()
    }

    /// The last id pushed (`O(1)`).
    pub fn last(&self) -> Option<i64> {
        (self.len > 0).then_some(self.last)
    }

    /// The ids in the order they were pushed.
    pub fn iter(&self) -> PackedIter<'_> {
        PackedIter { bytes: &self.bytes, at: 0, last: 0, left: self.len }
    }

    /// Empties it, its capacity kept.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.len = 0;
        self.last = 0;
        self.ascending = true;
    }

    /// A copy whose buffer is exactly its size.
    pub fn to_compact(&self) -> PackedIds {
        PackedIds { bytes: self.bytes.to_vec(), ..*self }
    }
}

/// The iterator of [`PackedIds::iter`].
#[derive(Debug, Clone)]
pub struct PackedIter<'a> {
    bytes: &'a [u8],
    at: usize,
    last: i64,
    left: usize,
}

impl Iterator for PackedIter<'_> {
    type Item = i64;

    #[inline]
    fn next(&mut self) -> Option<i64> {
        if self.left == 0 {
            return None;
        }
        let mut z = 0u64;
        let mut shift = 0;
        loop {
            let b = self.bytes[self.at];
            self.at += 1;
            z |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        let delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
        self.last = self.last.wrapping_add(delta);
        self.left -= 1;
        Some(self.last)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for PackedIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_rng::SplitMix64 as Rng;

    #[test]
    fn random_ids_read_back_exactly() {
        let mut rng = Rng(7);
        for case in 0..200 {
            let n = (rng.next_u64() % 300) as usize;
            let ids: Vec<i64> = (0..n)
                .scan(0i64, |last, _| {
                    // Small steps, big jumps, both signs, and the extremes.
                    *last = match rng.next_u64() % 6 {
                        0 => rng.next_u64() as i64,
                        1 => i64::MAX - (rng.next_u64() % 3) as i64,
                        2 => i64::MIN + (rng.next_u64() % 3) as i64,
                        3 => last.wrapping_sub((rng.next_u64() % 1000) as i64),
                        _ => last.wrapping_add((rng.next_u64() % 200) as i64),
                    };
                    Some(*last)
                })
                .collect();
            let mut p = PackedIds::default();
            p.extend_from_slice(&ids);
            assert_eq!(p.len(), ids.len(), "case {case}");
            assert_eq!(p.is_ascending(), ids.windows(2).all(|w| w[0] <= w[1]), "case {case}");
            assert_eq!(p.iter().collect::<Vec<_>>(), ids, "case {case}");
            assert_eq!(p.to_compact().iter().collect::<Vec<_>>(), ids, "case {case}: compact copy");
            p.clear();
            assert!(p.is_empty() && p.iter().next().is_none() && p.is_ascending());
        }
    }

    #[test]
    fn close_ids_take_a_byte_or_two() {
        let mut p = PackedIds::default();
        p.push(10_000_000_000);
        let first = p.bytes.len();
        for k in 1..=1000 {
            p.push(10_000_000_000 + 3 * k);
        }
        assert_eq!(p.bytes.len() - first, 1000, "a step of 3 is one byte");
        p.push(10_000_000_000);
        assert_eq!(p.iter().last(), Some(10_000_000_000));
        assert!(!p.is_ascending());
    }
}

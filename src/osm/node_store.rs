//! The compact node store: node positions kept only where needed.
//!
//! While a file is read, every blob's node positions are kept as a
//! [`NodeChunk`] (ids as varint differences, [`PackedIds`]: about 9 bytes a
//! node). Once the ways are known, [`keep_needed`]
//! keeps the nodes whose ids are in a sorted list of needed ids and lays them
//! out as two parallel arrays sorted by id (8-byte id, 8-byte position): a
//! lookup is a binary search. Chunks are filtered in parallel with a merge walk
//! (ids in a PBF blob are ascending; a binary search per node otherwise), so
//! the work is `O(N + K log K)` for `N` nodes read and `K` kept. In a sorted
//! file holding every needed node, each chunk writes its positions straight
//! into its stretch of the result, and the needed ids are the kept ids.
//! [`ranked_distinct`] makes the needed ids from the ways' references and
//! tells each reference its place among them: its node's index.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::packed::PackedIds;
use crate::parts::split_lengths;

/// The nodes of one blob, in file order.
#[derive(Debug, Default, Clone)]
pub struct NodeChunk {
    /// Node ids.
    pub ids: PackedIds,
    /// Positions as decimicro-degrees `[lon, lat]`, parallel to `ids`.
    pub pos: Vec<[i32; 2]>,
}

impl NodeChunk {
    /// A chunk of `ids` at `pos` (parallel arrays).
    pub fn new(ids: &[i64], pos: Vec<[i32; 2]>) -> NodeChunk {
        debug_assert_eq!(ids.len(), pos.len());
        let mut packed = PackedIds::default();
        packed.extend_from_slice(ids);
        NodeChunk { ids: packed, pos }
    }
}

/// Keeps the nodes of `chunks` whose ids are in `needed` (ascending, distinct).
///
/// Returns ids ascending and their positions; of a node given more than once,
/// the first in file order wins.
///
/// ```
/// use lifecircle::osm::node_store::{NodeChunk, keep_needed};
/// let a = NodeChunk::new(&[1, 2, 3], vec![[10, 10], [20, 20], [30, 30]]);
/// let b = NodeChunk::new(&[5, 2], vec![[50, 50], [99, 99]]);
/// let (ids, pos) = keep_needed(vec![a, b], vec![2, 5, 7]);
/// assert_eq!(ids, vec![2, 5]);
/// assert_eq!(pos, vec![[20, 20], [50, 50]]);
/// ```
pub fn keep_needed(chunks: Vec<NodeChunk>, needed: Vec<i64>) -> (Vec<i64>, Vec<[i32; 2]>) {
    if let Some(pos) = positions_in_place(&chunks, &needed) {
        return (needed, pos);
    }
    // Each chunk is filtered (its memory freed as it goes), `needed` dropped
    // before the kept nodes are laid out: memory peaks at the chunks read plus
    // `needed`, then at twice the kept nodes.
    let kept: Vec<(Vec<i64>, Vec<[i32; 2]>)> = chunks.into_par_iter().map(|c| filter_chunk(c, &needed)).collect();
    drop(needed);
    let total: usize = kept.iter().map(|c| c.0.len()).sum();
    // Laid out in parallel, each chunk into its own part of the arrays.
    let (mut ids, mut pos) = (vec![0i64; total], vec![[0i32; 2]; total]);
    let id_parts = split_lengths(&mut ids, kept.iter().map(|c| c.0.len()));
    let pos_parts = split_lengths(&mut pos, kept.iter().map(|c| c.0.len()));
    (kept.par_iter().zip(id_parts).zip(pos_parts)).for_each(|((c, i), p)| {
        i.copy_from_slice(&c.0);
        p.copy_from_slice(&c.1);
    });
    drop(kept);
    if ids.windows(2).all(|w| w[0] < w[1]) {
        return (ids, pos);
    }
    // Not sorted (or repeated ids): a stable sort keeps file order among equal ids.
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.par_sort_by_key(|&i| ids[i as usize]);
    order.dedup_by_key(|i| ids[*i as usize]);
    let sorted_ids = order.iter().map(|&i| ids[i as usize]).collect();
    let sorted_pos = order.iter().map(|&i| pos[i as usize]).collect();
    (sorted_ids, sorted_pos)
}

/// The positions of `needed`, when every needed id is in `chunks` and the
/// chunks hold ascending ids one after another (a sorted file): each chunk's
/// needed ids are then a known stretch of `needed`, whose positions it writes
/// in place (in parallel), so `needed` itself is the kept ids, and no copy of
/// the kept nodes is ever made. `None` (nothing kept) otherwise.
fn positions_in_place(chunks: &[NodeChunk], needed: &[i64]) -> Option<Vec<[i32; 2]>> {
    let chunks: Vec<&NodeChunk> = chunks.iter().filter(|c| !c.ids.is_empty()).collect();
    let mut stretches = Vec::with_capacity(chunks.len());
    let mut next = 0usize; // where the next chunk's stretch must start
    let mut prev_last: Option<i64> = None;
    for c in &chunks {
        let (first, last) = (c.ids.first()?, c.ids.last()?);
        if !c.ids.is_ascending() || prev_last.is_some_and(|p| p >= first) {
            return None;
        }
        prev_last = Some(last);
        // Needed ids before this chunk's first are in no chunk.
        if needed.partition_point(|&n| n < first) != next {
            return None;
        }
        let end = needed.partition_point(|&n| n <= last);
        stretches.push(next..end);
        next = end;
    }
    if next != needed.len() {
        return None;
    }
    let mut pos = vec![[0i32; 2]; needed.len()];
    let outs = split_lengths(&mut pos, stretches.iter().map(|r| r.len()));
    let complete = (chunks.par_iter().zip(&stretches).zip(outs)).all(|((c, r), out)| {
        let need = &needed[r.clone()];
        // A merge walk; a repeated id is kept once, its first.
        let mut j = 0;
        for (id, &p) in c.ids.iter().zip(&c.pos) {
            if j == need.len() {
                break;
            }
            if need[j] < id {
                return false; // a needed id this chunk does not hold
            }
            if need[j] == id {
                out[j] = p;
                j += 1;
            }
        }
        j == need.len()
    });
    complete.then_some(pos)
}

/// The ids and positions of the nodes of one chunk that are needed, in chunk order.
fn filter_chunk(c: NodeChunk, needed: &[i64]) -> (Vec<i64>, Vec<[i32; 2]>) {
    let ascending = c.ids.is_ascending();
    let mut ids = c.ids.iter().peekable();
    let mut j = ids.peek().map_or(0, |&first| needed.partition_point(|&n| n < first));
    let (mut kept_ids, mut kept_pos) = (Vec::new(), Vec::new());
    for (id, &p) in ids.zip(&c.pos) {
        let is_needed = if ascending {
            // A merge walk: both lists ascend.
            while j < needed.len() && needed[j] < id {
                j += 1;
            }
            j < needed.len() && needed[j] == id
        } else {
            needed.binary_search(&id).is_ok()
        };
        if is_needed {
            kept_ids.push(id);
            kept_pos.push(p);
        }
    }
    (kept_ids, kept_pos)
}

/// Bits of the digit [`ranked_distinct`] splits on.
const DIGIT_BITS: u32 = 12;

/// `ids` ascending without repeats, and the place of each of `ids` in that
/// list (so the references of an extract are resolved to node indices once,
/// while they are sorted anyway, not searched for one by one).
///
/// One radix pass on the top 12 bits of the ids' offsets from the smallest
/// splits them into 4,096 ranges (`O(n)`, in parallel: each stretch of `ids`
/// counts its digits, then writes its keys to its own places in one array as
/// large as `ids`); a key is the rest of the offset with the id's position
/// below it, so sorting the keys sorts by id and carries the positions along.
/// The ranges are then sorted in parallel, each small enough to stay in cache
/// (a large one, from ids clustered far apart, by radix), and read once more
/// in parallel to write the distinct ids and each position's place:
/// `O(n + n log(n / 4096))` work, all of it on every core. Short lists, and
/// spans too wide for an offset and a position to share 64 bits, sort
/// `(id, position)` pairs instead. Panics on more than `u32::MAX` ids.
///
/// ```
/// use lifecircle::osm::node_store::ranked_distinct;
/// let (distinct, place) = ranked_distinct(&[5, -2, 5, 9_000_000_000, 0]);
/// assert_eq!(distinct, vec![-2, 0, 5, 9_000_000_000]);
/// assert_eq!(place, vec![2, 0, 2, 3, 1]);
/// ```
pub fn ranked_distinct(ids: &[i64]) -> (Vec<i64>, Vec<u32>) {
    assert!(u32::try_from(ids.len()).is_ok(), "more than u32::MAX ids");
    // Order-preserving: i64 to u64 with the sign bit flipped, less the smallest.
    let key = |x: i64| (x as u64) ^ (1 << 63);
    let (min, max) = ids
        .par_iter()
        .fold(|| (u64::MAX, 0), |(lo, hi), &x| (lo.min(key(x)), hi.max(key(x))))
        .reduce(|| (u64::MAX, 0), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    let shift = (64 - max.saturating_sub(min).leading_zeros()).saturating_sub(DIGIT_BITS);
    // Bits for a position (0 for a single id).
    let pos_bits = 64 - (ids.len().saturating_sub(1) as u64).leading_zeros();
    if ids.len() < 1 << 12 || shift + pos_bits > 64 {
        return ranked_distinct_by_pairs(ids);
    }
    let digit = |x: i64| ((key(x) - min) >> shift) as usize;
    let low = |x: i64| (key(x) - min) & ((1u64 << shift) - 1); // shift <= 52
    const DIGITS: usize = 1 << DIGIT_BITS;
    // Stretches of `ids`, a few per thread; each counts its digits.
    let stretch = ids.len().div_ceil(4 * rayon::current_num_threads()).max(1 << 16);
    let counts: Vec<Vec<usize>> = ids
        .par_chunks(stretch)
        .map(|part| {
            let mut c = vec![0usize; DIGITS];
            for &x in part {
                c[digit(x)] += 1;
            }
            c
        })
        .collect();
    let mut b = vec![0u64; ids.len()];
    {
        // Laid out digit by digit, stretch by stretch: each stretch's place
        // for each digit's keys, handed out as disjoint slices.
        let mut slots: Vec<Vec<&mut [u64]>> = counts.iter().map(|_| Vec::with_capacity(DIGITS)).collect();
        let places = split_lengths(&mut b, (0..DIGITS).flat_map(|d| counts.iter().map(move |c| c[d])));
        for (i, place) in places.into_iter().enumerate() {
            slots[i % counts.len()].push(place);
        }
        ids.par_chunks(stretch).zip(slots).enumerate().for_each(|(s, (part, mut slots))| {
            let mut fill = vec![0usize; DIGITS];
            for (i, &x) in part.iter().enumerate() {
                let d = digit(x);
                slots[d][fill[d]] = low(x) << pos_bits | (s * stretch + i) as u64;
                fill[d] += 1;
            }
        });
    }
    // Keys of the same id differ only in their position bits.
    let same_id = |a: &u64, b: &u64| a >> pos_bits == b >> pos_bits;
    // The ranges as disjoint slices, sorted in parallel; each counts its distinct ids.
    let mut ranges = split_lengths(&mut b, (0..DIGITS).map(|d| counts.iter().map(|c| c[d]).sum()));
    let distinct: Vec<usize> = ranges
        .par_iter_mut()
        .map(|r| {
            if r.len() > 1 << 16 {
                radix_sort(r, pos_bits);
            } else {
                r.sort_unstable();
            }
            r.chunk_by(same_id).count()
        })
        .collect();
    // Each range writes its distinct ids to its own part of the list, and the
    // places of its positions (disjoint, but scattered: stored as atomics).
    let mut out = vec![0i64; distinct.iter().sum()];
    let place: Vec<AtomicU32> = (0..ids.len()).map(|_| AtomicU32::new(0)).collect();
    let bases: Vec<usize> = distinct.iter().scan(0, |at, &n| Some(std::mem::replace(at, *at + n))).collect();
    let outs = split_lengths(&mut out, distinct.iter().copied());
    (ranges.into_par_iter().zip(outs).zip(bases).enumerate()).for_each(|(d, ((r, out), base))| {
        let high = (d as u64) << shift;
        for (k, run) in r.chunk_by(same_id).enumerate() {
            out[k] = (((high | run[0] >> pos_bits) + min) ^ (1 << 63)) as i64;
            for &v in run {
                place[(v & ((1u64 << pos_bits) - 1)) as usize].store((base + k) as u32, Ordering::Relaxed);
            }
        }
    });
    (out, place.into_iter().map(AtomicU32::into_inner).collect())
}

/// [`ranked_distinct`] by sorting `(id, position)` pairs: `O(n log n)`.
fn ranked_distinct_by_pairs(ids: &[i64]) -> (Vec<i64>, Vec<u32>) {
    let mut pairs: Vec<(i64, u32)> = ids.iter().enumerate().map(|(i, &x)| (x, i as u32)).collect();
    pairs.par_sort_unstable();
    let mut out: Vec<i64> = Vec::new();
    let mut place = vec![0u32; ids.len()];
    for (x, i) in pairs {
        if out.last() != Some(&x) {
            out.push(x);
        }
        place[i as usize] = (out.len() - 1) as u32;
    }
    (out, place)
}

/// Sorts `keys` by their bits above the lowest `skip` (stably: keys equal
/// there keep their order), an LSD radix sort of those bits' offsets from the
/// smallest, [`DIGIT_BITS`] a pass (a large range of [`ranked_distinct`],
/// whose keys carry a position in their lowest bits: the ids of one stretch
/// of an extract span a few billion, so three passes of `O(n)`).
fn radix_sort(keys: &mut [u64], skip: u32) {
    if keys.len() < 2 {
        return;
    }
    let (lo, hi) = keys.iter().fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k >> skip), hi.max(k >> skip)));
    let bits = 64 - (hi - lo).leading_zeros();
    let mask = (1u64 << DIGIT_BITS) - 1;
    let mut scratch = vec![0u64; keys.len()];
    let (mut from, mut to) = (&mut *keys, &mut scratch[..]);
    let passes = bits.div_ceil(DIGIT_BITS);
    for pass in 0..passes {
        let shift = pass * DIGIT_BITS;
        let digit = |k: u64| ((((k >> skip) - lo) >> shift) & mask) as usize;
        let mut start = [0usize; 1 << DIGIT_BITS];
        for &k in from.iter() {
            start[digit(k)] += 1;
        }
        let mut sum = 0;
        for s in start.iter_mut() {
            (*s, sum) = (sum, sum + *s);
        }
        for &k in from.iter() {
            let d = digit(k);
            to[start[d]] = k;
            start[d] += 1;
        }
        std::mem::swap(&mut from, &mut to);
    }
    if passes % 2 == 1 {
        keys.copy_from_slice(&scratch);
    }
}

/// Ids per block of the middle level of an [`IdIndex`], and middle entries per top entry.
const STRIDE: usize = 32;

/// A lookup table over ascending ids: every 32nd id, and every 32nd of those.
///
/// Finding an id is three short binary searches (a small top array that stays
/// in cache, then 32 entries, then 32 ids) instead of one over the whole array,
/// whose first steps miss the cache on every lookup. `O(log n)` per lookup,
/// `n / 32` extra ids of memory.
#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    len: usize,
    mid: Vec<i64>,
    top: Vec<i64>,
}

impl IdIndex {
    /// Indexes `ids` (ascending).
    pub fn new(ids: &[i64]) -> IdIndex {
        let mid: Vec<i64> = ids.iter().step_by(STRIDE).copied().collect();
        let top = mid.iter().step_by(STRIDE).copied().collect();
        IdIndex { len: ids.len(), mid, top }
    }

    /// Position of `id` in `ids` (the array this index was built from; a plain
    /// binary search if its length has changed since).
    ///
    /// ```
    /// use lifecircle::osm::node_store::IdIndex;
    /// let ids: Vec<i64> = (0..5000).map(|i| i * 3).collect();
    /// let index = IdIndex::new(&ids);
    /// assert_eq!(index.find(&ids, 2997), Some(999));
    /// assert_eq!(index.find(&ids, 2998), None);
    /// ```
    #[inline]
    pub fn find(&self, ids: &[i64], id: i64) -> Option<usize> {
        if self.len != ids.len() {
            return ids.binary_search(&id).ok();
        }
        let t = self.top.partition_point(|&x| x <= id).checked_sub(1)?;
        let m_lo = t * STRIDE;
        let m_hi = (m_lo + STRIDE).min(self.mid.len());
        let m = m_lo + self.mid[m_lo..m_hi].partition_point(|&x| x <= id) - 1;
        let lo = m * STRIDE;
        let hi = (lo + STRIDE).min(ids.len());
        ids[lo..hi].binary_search(&id).ok().map(|i| lo + i)
    }

    /// Like [`IdIndex::find`], first trying the positions next to `hint` (the
    /// previous node of a way is often the previous id).
    #[inline]
    pub fn find_near(&self, ids: &[i64], id: i64, hint: Option<usize>) -> Option<usize> {
        if let Some(h) = hint {
            for i in [h + 1, h, h.wrapping_sub(1)] {
                if ids.get(i) == Some(&id) {
                    return Some(i);
                }
            }
        }
        self.find(ids, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::test_rng::SplitMix64 as Rng;

    /// The obvious reference: the first position of every needed id, by id.
    fn reference(chunks: &[NodeChunk], needed: &[i64]) -> (Vec<i64>, Vec<[i32; 2]>) {
        let mut first: BTreeMap<i64, [i32; 2]> = BTreeMap::new();
        for c in chunks {
            for (id, p) in c.ids.iter().zip(&c.pos) {
                if needed.contains(&id) {
                    first.entry(id).or_insert(*p);
                }
            }
        }
        (first.keys().copied().collect(), first.values().copied().collect())
    }

    #[test]
    fn ranked_distinct_matches_the_standard_sort() {
        let mut rng = Rng(4242);
        for case in 0..90 {
            let n = [0usize, 1, 4095, 4096, 5000, 70_000][case % 6];
            // Narrow and wide spans, negative ids, repeats, the extremes.
            let (lo, hi) = [(0, 50), (-1_000_000, 1_000_000), (1, 13_000_000_000), (-5, 5), (0, 5000)][case % 5];
            let mut ids: Vec<i64> = (0..n).map(|_| rng.range(lo, hi)).collect();
            if case % 7 == 0 && n > 2 {
                ids[0] = i64::MIN;
                ids[1] = i64::MAX;
            }
            if case % 11 == 3 && n > 2 {
                ids[0] = 9_000_000_000; // one far id: nearly all the rest in one range
            }
            check_ranked(&ids, &format!("case {case}"));
        }
    }

    /// [`ranked_distinct`] against the standard sort, and every place pointing at its id.
    fn check_ranked(ids: &[i64], what: &str) {
        let mut want = ids.to_vec();
        want.sort_unstable();
        want.dedup();
        let (distinct, place) = ranked_distinct(ids);
        assert_eq!(distinct, want, "{what}");
        assert_eq!(place.len(), ids.len(), "{what}");
        for (i, (&x, &p)) in ids.iter().zip(&place).enumerate() {
            assert_eq!(distinct.get(p as usize), Some(&x), "{what}: id {i}");
        }
    }

    /// Ids clustered like the copies of an extract: a few dense stretches far
    /// apart, so some of `ranked_distinct`'s ranges are large (radix-sorted).
    #[test]
    fn ranked_distinct_matches_the_standard_sort_on_clustered_ids() {
        let mut rng = Rng(7);
        for case in 0..6 {
            let clusters = [1i64, 2, 16][case % 3];
            let n = [70_000usize, 300_000][case / 3];
            let ids: Vec<i64> = (0..n)
                .map(|_| rng.range(0, clusters) * 1_000_000_000_000 + rng.range(0, 12_000_000_000))
                .chain([i64::MAX - case as i64])
                .collect();
            check_ranked(&ids, &format!("case {case}"));
            // Without the far id: offsets and positions share 64 bits.
            check_ranked(&ids[..n], &format!("case {case}, packed"));
        }
    }

    #[test]
    fn radix_sort_matches_the_standard_sort() {
        let mut rng = Rng(77);
        for case in 0..32 {
            let n = [0usize, 1, 2, 100, 4096, 70_000, 5, 3000][case % 8];
            let span = [1u64, 4096, 1 << 30, u64::MAX][case / 8];
            let base = rng.next_u64() / 2;
            let mut keys: Vec<u64> =
                (0..n).map(|_| if span == u64::MAX { rng.next_u64() } else { base + rng.below(span) }).collect();
            let skip = [0, 0, 5, 21][case % 4];
            let mut want = keys.clone();
            want.sort_by_key(|k| k >> skip); // stable, as the radix sort
            radix_sort(&mut keys, skip);
            assert_eq!(keys, want, "case {case}");
        }
    }

    #[test]
    fn id_index_matches_binary_search() {
        let mut rng = Rng(99);
        for n in [0usize, 1, 31, 32, 33, 1023, 1024, 1025, 5000, 40_000] {
            let mut next = -50i64;
            let ids: Vec<i64> = (0..n)
                .map(|_| {
                    next += rng.range(1, 5);
                    next
                })
                .collect();
            let index = IdIndex::new(&ids);
            for q in -60..next + 10 {
                assert_eq!(index.find(&ids, q), ids.binary_search(&q).ok(), "n {n}, id {q}");
            }
            for (q, hint) in [(3, Some(0)), (next, Some(n.saturating_sub(2))), (-49, Some(n)), (7, None)] {
                assert_eq!(index.find_near(&ids, q, hint), ids.binary_search(&q).ok(), "n {n}, id {q} near {hint:?}");
            }
            // A stale index falls back to a plain search.
            let shorter = &ids[..n / 2];
            for q in [-50, 0, 7, next] {
                assert_eq!(index.find(shorter, q), shorter.binary_search(&q).ok());
            }
        }
    }

    /// Sorted chunks with every needed id present (positions written in
    /// place), and the same with one needed id missing or chunks out of order.
    #[test]
    fn matches_the_reference_on_sorted_complete_chunks() {
        let mut rng = Rng(20_261_204);
        let mut written_in_place = 0;
        for case in 0..300 {
            let mut next = -20i64;
            let mut chunks: Vec<NodeChunk> = (0..rng.range(0, 6))
                .map(|_| {
                    let ids: Vec<i64> = (0..rng.range(0, 40))
                        .map(|_| {
                            next += rng.range(0, 4); // repeats too
                            next
                        })
                        .collect();
                    let pos = ids.iter().map(|&i| [i as i32, rng.range(0, 1000) as i32]).collect();
                    NodeChunk::new(&ids, pos)
                })
                .collect();
            let mut needed: Vec<i64> =
                chunks.iter().flat_map(|c| c.ids.iter()).filter(|_| rng.range(0, 3) > 0).collect();
            match case % 4 {
                1 => needed.push(rng.range(-30, next + 5)), // maybe one the chunks lack
                2 if chunks.len() > 1 => chunks.swap(0, 1),
                _ => {}
            }
            needed.sort_unstable();
            needed.dedup();
            let want = reference(&chunks, &needed);
            // Written in place exactly when every needed id is there and the
            // chunks follow one another (no id repeated across two).
            let ends: Vec<(i64, i64)> = chunks.iter().filter_map(|c| Some((c.ids.first()?, c.ids.last()?))).collect();
            let follow = ends.windows(2).all(|w| w[0].1 < w[1].0);
            let in_place = positions_in_place(&chunks, &needed).is_some();
            assert_eq!(in_place, follow && want.0.len() == needed.len(), "case {case}");
            written_in_place += in_place as usize;
            assert_eq!(keep_needed(chunks, needed), want, "case {case}");
        }
        assert!(written_in_place > 50, "{written_in_place} cases written in place");
    }

    #[test]
    fn matches_the_reference_on_random_chunks() {
        let mut rng = Rng(20_240_301);
        for case in 0..300 {
            let sorted = case % 3 != 0;
            let mut next = -20i64;
            let chunks: Vec<NodeChunk> = (0..rng.range(0, 6))
                .map(|_| {
                    let n = rng.range(0, 40);
                    let mut ids: Vec<i64> = (0..n)
                        .map(|_| {
                            next += if sorted { rng.range(1, 4) } else { rng.range(-3, 4) };
                            next
                        })
                        .collect();
                    if !sorted && rng.range(0, 2) == 0 {
                        ids.reverse();
                    }
                    let pos = ids.iter().map(|&i| [i as i32, rng.range(0, 1000) as i32]).collect();
                    NodeChunk::new(&ids, pos)
                })
                .collect();
            let mut needed: Vec<i64> = (0..rng.range(0, 80)).map(|_| rng.range(-30, 200)).collect();
            needed.sort_unstable();
            needed.dedup();
            let want = reference(&chunks, &needed);
            assert_eq!(keep_needed(chunks, needed), want, "case {case}");
        }
    }
}

//! An element's tags cut down to the keys the decisions read.
//!
//! Every decision made while decoding (the taxonomy's rules, the walking
//! profile, the reader's own keys) looks tags up by key, and each lookup
//! scans the element's tags comparing strings. Most tags are of keys no
//! decision reads (`addr:*`, `source`, `lanes`, `oneway`, ...), so the
//! filter keeps only the `(key, value)` pairs whose key is in the set the
//! decisions read, in their order (a key given twice keeps both, so the
//! first-or-last rule of [`BlockTags`] still picks the same value). Every
//! lookup of a key in the set gives exactly what it gives on the full tags;
//! in debug builds, [`KeptTags`] asserts that no lookup asks for a key outside
//! the set.
//!
//! Whether a string of the block's table is such a key is decided once per
//! block (one hash lookup for each distinct string used as a key), after
//! which filtering is one table read per tag: `O(tags)` per element, then
//! `O(kept tags)` per lookup instead of `O(tags)` string comparisons.
//!
//! ```
//! # // The filter is internal to the reader; its effect is seen through read_pbf.
//! let taxonomy = lifecircle::Taxonomy::builtin();
//! let profile = lifecircle::Profiles::builtin().get("adult").unwrap().clone();
//! let data = lifecircle::osm::read_pbf(&lifecircle::analysis::default_pbf(), &taxonomy, &profile).unwrap();
//! assert!(data.way_info.iter().any(|w| w.walkable));
//! ```

use std::collections::HashSet;

use super::block::BlockTags;
use crate::taxonomy::TagLookup;

/// What is known of a string of the current block's table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Not looked at yet.
    Unseen,
    /// Not a key any decision reads.
    Ignored,
    /// A key some decision reads.
    Read,
}

/// The keys the decisions read (made once per read, shared by the threads).
pub(super) type KeySet<'k> = HashSet<&'k str>;

/// Per block, which strings are keys of the [`KeySet`].
///
/// One per decoding job (held in the decoder's workspace, its buffers reused);
/// [`KeyFilter::begin_block`] before each block.
pub(super) struct KeyFilter<'k> {
    keys: &'k KeySet<'k>,
    known: Vec<Known>,
    kept: Vec<(u32, u32)>,
}

impl<'k> KeyFilter<'k> {
    /// A filter keeping the tags of these keys.
    pub(super) fn new(keys: &'k KeySet<'k>) -> Self {
        KeyFilter { keys, known: Vec::new(), kept: Vec::new() }
    }

    /// Forgets the previous block's string table.
    pub(super) fn begin_block(&mut self) {
        self.known.clear();
    }

    /// The element's tags of the kept keys, in their order.
    pub(super) fn keep<'a>(&'a mut self, tags: &BlockTags<'a>) -> KeptTags<'a> {
        let strings = tags.strings();
        if self.known.len() < strings.len() {
            self.known.resize(strings.len(), Known::Unseen);
        }
        self.kept.clear();
        for &(k, v) in tags.pairs() {
            let known = &mut self.known[k as usize];
            if *known == Known::Unseen {
                *known = if self.keys.contains(&*strings[k as usize]) { Known::Read } else { Known::Ignored };
            }
            if *known == Known::Read {
                self.kept.push((k, v));
            }
        }
        KeptTags {
            tags: tags.with_pairs(&self.kept),
            #[cfg(debug_assertions)]
            keys: self.keys,
        }
    }
}

/// Tags cut down by [`KeyFilter::keep`]: lookups of the filter's keys only.
pub(super) struct KeptTags<'a> {
    tags: BlockTags<'a>,
    #[cfg(debug_assertions)]
    keys: &'a HashSet<&'a str>,
}

impl TagLookup for KeptTags<'_> {
    #[inline]
    fn tag(&self, key: &str) -> Option<&str> {
        #[cfg(debug_assertions)]
        assert!(self.keys.contains(key), "a decision reads the key {key:?}, which the key filter drops");
        self.tags.tag(key)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::test_rng::SplitMix64 as Rng;

    /// Against the obvious reference: a lookup of every kept key on the cut
    /// tags equals the same lookup on the full tags, for random elements
    /// (repeated keys, both first-wins and last-wins), over several blocks
    /// whose string tables differ (so a stale table would show).
    #[test]
    fn kept_tags_read_as_the_full_tags() {
        let vocabulary = ["highway", "name", "addr:street", "building", "source", "shop", "name:zh", "oneway", "no"];
        let keys: KeySet<'_> = ["highway", "name", "building", "shop", "name:zh"].into_iter().collect();
        let mut filter = KeyFilter::new(&keys);
        let mut rng = Rng(11);
        for block in 0..40 {
            // Each block its own table: the vocabulary shuffled, with values between.
            let mut strings: Vec<Cow<'_, str>> = vocabulary.iter().map(|s| Cow::Borrowed(*s)).collect();
            for i in (1..strings.len()).rev() {
                strings.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            strings.extend((0..5).map(|i| Cow::Owned(format!("value{block}-{i}"))));
            filter.begin_block();
            for element in 0..50 {
                let n = (rng.next_u64() % 7) as usize;
                let pairs: Vec<(u32, u32)> = (0..n)
                    .map(|_| {
                        (
                            (rng.next_u64() % vocabulary.len() as u64) as u32,
                            (rng.next_u64() % strings.len() as u64) as u32,
                        )
                    })
                    .collect();
                let last_wins = rng.next_u64().is_multiple_of(2);
                let full = BlockTags::new(&strings, &pairs, last_wins);
                let expected: Vec<Option<String>> = keys.iter().map(|k| full.tag(k).map(str::to_string)).collect();
                let kept = filter.keep(&full);
                let got: Vec<Option<String>> = keys.iter().map(|k| kept.tag(k).map(str::to_string)).collect();
                assert_eq!(got, expected, "block {block}, element {element}: {pairs:?}");
                assert!(kept.tags.pairs().len() <= pairs.len());
                assert!(kept.tags.pairs().iter().all(|&(k, _)| keys.contains(&*strings[k as usize])));
            }
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "which the key filter drops")]
    fn a_lookup_outside_the_set_is_caught() {
        let keys: KeySet<'_> = ["highway"].into_iter().collect();
        let mut filter = KeyFilter::new(&keys);
        let strings = [Cow::Borrowed("surface"), Cow::Borrowed("gravel")];
        let full = BlockTags::new(&strings, &[(0, 1)], false);
        let _ = filter.keep(&full).tag("surface");
    }
}

//! The end of reading a PBF: the blobs' records ([`BlockOut`], one per blob,
//! ids and references as varint differences) merged in file order into one
//! [`OsmData`]. Ways keep their ids and references only when they matter
//! (a tag decision, or a member of a kept relation); the kept references are
//! sorted once ([`ranked_distinct`]), which gives the nodes to keep and every
//! reference's node index; node positions are kept for those nodes only
//! ([`keep_needed`]). `O(refs + R log R)` for `R` kept references, in
//! parallel over blobs and over ranges of ids.

use std::path::Path;

use rayon::prelude::*;

use super::node_store::{IdIndex, NodeChunk, keep_needed, ranked_distinct};
use super::packed::PackedIds;
use super::read_pbf::{OsmData, PoiNode, RelationRecord, WayInfo};
use crate::error::{Error, Result};
use crate::parts::split_lengths;

/// Per-blob output, merged in file order (ids and references as varint
/// differences: they are held for the whole file until the merge).
#[derive(Default)]
pub(super) struct BlockOut {
    pub(super) nodes: NodeChunk,
    pub(super) way_ids: PackedIds,
    pub(super) way_lens: Vec<u32>,
    pub(super) way_refs: PackedIds,
    /// `WayInfo` with `way` local to the block, and its `highway=*` value as an index into `highways`.
    pub(super) way_info: Vec<(WayInfo, Option<u16>)>,
    /// The block's distinct `highway=*` values of walkable ways, in order of first use.
    pub(super) highways: Vec<String>,
    pub(super) pois: Vec<PoiNode>,
    pub(super) relations: Vec<RelationRecord>,
    pub(super) blocked_nodes: Vec<i64>,
}

impl BlockOut {
    /// The records in arrays of their exact size, `self` emptied (its capacity kept for the next block).
    ///
    /// The decoder writes into one `BlockOut` per thread, grown once to the
    /// largest block and reused; each block's records leave in exact-size arrays.
    pub(super) fn take_compact(&mut self) -> BlockOut {
        let out = BlockOut {
            nodes: NodeChunk { ids: self.nodes.ids.to_compact(), pos: self.nodes.pos.to_vec() },
            way_ids: self.way_ids.to_compact(),
            way_lens: self.way_lens.to_vec(),
            way_refs: self.way_refs.to_compact(),
            way_info: std::mem::take(&mut self.way_info),
            highways: std::mem::take(&mut self.highways),
            pois: std::mem::take(&mut self.pois),
            relations: std::mem::take(&mut self.relations),
            blocked_nodes: self.blocked_nodes.to_vec(),
        };
        self.clear();
        out
    }

    /// Empties every record, capacity kept.
    pub(super) fn clear(&mut self) {
        self.nodes.ids.clear();
        self.nodes.pos.clear();
        self.way_ids.clear();
        self.way_lens.clear();
        self.way_refs.clear();
        self.way_info.clear();
        self.highways.clear();
        self.pois.clear();
        self.relations.clear();
        self.blocked_nodes.clear();
    }
}

/// Counts past `u32` (the index type of ways and way references) are refused, not wrapped.
fn check_u32(count: usize, what: &str, path: &Path) -> Result<()> {
    if u32::try_from(count).is_ok() {
        return Ok(());
    }
    Err(Error::pbf(
        path,
        format!("{count} {what}: more than the {} this version can index (clip the extract)", u32::MAX),
    ))
}

/// Merges the blobs' records in file order and keeps only what later stages use.
pub(super) fn merge(mut outs: Vec<BlockOut>, path: &Path) -> Result<OsmData> {
    let mut d = OsmData::default();
    // Ways that relations need, whatever their tags.
    let mut members: Vec<i64> =
        outs.iter().flat_map(|o| o.relations.iter().flat_map(|r| r.outer.iter().chain(&r.inner))).copied().collect();
    members.par_sort_unstable();
    members.dedup();

    // Which ways keep their references (those with tag decisions, and relation
    // members), decided per blob in parallel so the arrays are reserved exactly.
    let keep: Vec<(Vec<bool>, usize)> = outs
        .par_iter()
        .map(|o| {
            let mut info = o.way_info.iter().map(|(w, _)| w.way).peekable();
            let mut refs = 0usize;
            let flags = (o.way_ids.iter().zip(&o.way_lens).enumerate())
                .map(|(local, (id, &len))| {
                    let has_info = info.next_if_eq(&(local as u32)).is_some();
                    let k = has_info || members.binary_search(&id).is_ok();
                    refs += if k { len as usize } else { 0 };
                    k
                })
                .collect();
            (flags, refs)
        })
        .collect();
    let n_ways: usize = outs.iter().map(|o| o.way_ids.len()).sum();
    let n_refs: usize = keep.iter().map(|k| k.1).sum();
    check_u32(n_ways, "ways", path)?;
    check_u32(n_refs, "way references kept", path)?;
    // Every blob's way ids, offsets and kept references decoded in parallel
    // into its own part of the arrays (sizes known from `keep`).
    d.way_ids = vec![0; n_ways];
    d.way_offsets = vec![0; n_ways + 1];
    d.way_refs = vec![0; n_refs];
    let ways = || outs.iter().map(|o| o.way_ids.len());
    let ids = split_lengths(&mut d.way_ids, ways());
    let offsets = split_lengths(&mut d.way_offsets[1..], ways());
    let refs = split_lengths(&mut d.way_refs, keep.iter().map(|k| k.1));
    let bases: Vec<usize> = keep.iter().scan(0, |at, k| Some(std::mem::replace(at, *at + k.1))).collect();
    let parts: Vec<_> = (outs.iter_mut().zip(keep).zip(ids).zip(offsets).zip(refs).zip(bases))
        .map(|(((((o, (flags, _)), ids), offsets), refs), base)| (o, flags, ids, offsets, refs, base))
        .collect();
    parts.into_par_iter().for_each(|(o, flags, ids, offsets, refs, base)| {
        for (slot, id) in ids.iter_mut().zip(o.way_ids.iter()) {
            *slot = id;
        }
        let mut all = o.way_refs.iter();
        let mut k = 0usize;
        for ((&len, keep), offset) in o.way_lens.iter().zip(flags).zip(offsets) {
            if keep {
                for r in all.by_ref().take(len as usize) {
                    refs[k] = r;
                    k += 1;
                }
            } else if len > 0 {
                all.nth(len as usize - 1); // read past the way's references
            }
            *offset = (base + k) as u32;
        }
        o.way_ids = PackedIds::default();
        o.way_refs = PackedIds::default();
    });
    d.way_info.reserve_exact(outs.iter().map(|o| o.way_info.len()).sum());
    let mut chunks = Vec::with_capacity(outs.len());
    let mut base = 0u32;
    for o in outs.iter_mut() {
        // The block's highway values in order of first use: appended in that order when new.
        let global: Vec<u16> = (o.highways.iter())
            .map(|h| {
                let i = d.highway_values.iter().position(|v| v == h).unwrap_or_else(|| {
                    d.highway_values.push(h.clone());
                    d.highway_values.len() - 1
                });
                i as u16
            })
            .collect();
        for (mut info, highway) in std::mem::take(&mut o.way_info) {
            info.way += base;
            if let Some(h) = highway {
                info.highway = global[h as usize];
            }
            d.way_info.push(info);
        }
        d.pois.append(&mut o.pois);
        d.relations.append(&mut o.relations);
        d.blocked_nodes.append(&mut o.blocked_nodes);
        chunks.push(std::mem::take(&mut o.nodes));
        base += o.way_lens.len() as u32;
    }
    drop(outs);
    d.blocked_nodes.sort_unstable();
    d.blocked_nodes.dedup();
    sort_ways(&mut d);
    drop_unused_ways(&mut d, &members);
    drop(members);

    // The references resolved while they are sorted: when every needed node
    // is in the file, a reference's place among the needed ids is its node's index.
    let (needed, places) = ranked_distinct(&d.way_refs);
    let needed_len = needed.len();
    (d.node_ids, d.node_pos) = keep_needed(chunks, needed);
    // The blobs' buffers are all freed now: their pages go back before the graph is built.
    crate::heap::release_free_memory();
    d.node_lookup = IdIndex::new(&d.node_ids);
    d.way_ref_nodes = if d.node_ids.len() == needed_len {
        places
    } else {
        drop(places);
        d.search_way_ref_nodes()
    };
    Ok(d)
}

/// Keeps only the ways that later stages can ask for: those with tag
/// decisions (`way_info`, renumbered) and members of the kept relations
/// (`members`, ascending). The others have no references left; dropping their
/// ids and offsets is most of the file's ways. `O(ways)`, in place.
fn drop_unused_ways(d: &mut OsmData, members: &[i64]) {
    let mut info = d.way_info.iter_mut().peekable();
    let mut kept = 0usize;
    for i in 0..d.way_ids.len() {
        let id = d.way_ids[i];
        let has_info = info.peek().is_some_and(|w| w.way as usize == i);
        if !has_info && members.binary_search(&id).is_err() {
            debug_assert_eq!(d.way_offsets[i], d.way_offsets[i + 1], "a dropped way has no references");
            continue;
        }
        while let Some(w) = info.next_if(|w| w.way as usize == i) {
            w.way = kept as u32;
        }
        d.way_ids[kept] = id;
        d.way_offsets[kept + 1] = d.way_offsets[i + 1];
        kept += 1;
    }
    d.way_ids.truncate(kept);
    d.way_ids.shrink_to_fit();
    d.way_offsets.truncate(kept + 1);
    d.way_offsets.shrink_to_fit();
}

/// PBF files are normally sorted by id; sort (and drop duplicate ids, the first kept) when one is not.
fn sort_ways(d: &mut OsmData) {
    if d.way_ids.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    let mut order: Vec<u32> = (0..d.way_ids.len() as u32).collect();
    order.sort_by_key(|&i| d.way_ids[i as usize]);
    order.dedup_by_key(|i| d.way_ids[*i as usize]);
    let mut new_index = vec![u32::MAX; d.way_ids.len()];
    let mut ids = Vec::with_capacity(order.len());
    let mut offsets = Vec::with_capacity(order.len() + 1);
    let mut refs = Vec::with_capacity(d.way_refs.len());
    offsets.push(0u32);
    for (new, &old) in order.iter().enumerate() {
        new_index[old as usize] = new as u32;
        ids.push(d.way_ids[old as usize]);
        refs.extend_from_slice(d.way_nodes(old as usize));
        offsets.push(refs.len() as u32);
    }
    d.way_info.retain(|w| new_index[w.way as usize] != u32::MAX);
    for w in &mut d.way_info {
        w.way = new_index[w.way as usize];
    }
    d.way_info.sort_by_key(|w| w.way);
    d.way_ids = ids;
    d.way_offsets = offsets;
    d.way_refs = refs;
}

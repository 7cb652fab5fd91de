//! Connected components with petgraph's union-find: `O(E α(N))`.
//!
//! Which components to keep: the largest always, plus any other of at least
//! `min_nodes` nodes (a real island or a separate town in a merged extract);
//! the rest are dropped islands (a parking aisle or a building's footways
//! that the extract does not connect).

use petgraph::unionfind::UnionFind;

/// Component label of every node, and the size of each component.
///
/// ```
/// use lifecircle::graph::components::{components_to_keep, connected_components};
/// let (label, sizes) = connected_components(5, [(0, 1), (1, 2), (3, 4)].into_iter());
/// assert_eq!(label[0], label[2]);
/// assert_eq!(sizes[label[3] as usize], 2);
/// let keep = components_to_keep(&sizes, 0); // the largest only
/// assert!(keep[label[0] as usize] && !keep[label[3] as usize]);
/// ```
pub fn connected_components(num_nodes: usize, edges: impl Iterator<Item = (usize, usize)>) -> (Vec<u32>, Vec<u32>) {
    let mut uf = UnionFind::<u32>::new(num_nodes);
    for (a, b) in edges {
        uf.union(a as u32, b as u32);
    }
    let roots = uf.into_labeling();
    let mut label = vec![u32::MAX; num_nodes];
    let mut root_label = vec![u32::MAX; num_nodes];
    let mut sizes = Vec::new();
    for (i, r) in roots.iter().enumerate() {
        let r = *r as usize;
        if root_label[r] == u32::MAX {
            root_label[r] = sizes.len() as u32;
            sizes.push(0);
        }
        label[i] = root_label[r];
        sizes[root_label[r] as usize] += 1;
    }
    (label, sizes)
}

/// Which components to keep: the largest (lowest label on ties), and every one of at least `min_nodes`.
pub fn components_to_keep(sizes: &[u32], min_nodes: usize) -> Vec<bool> {
    let largest = sizes.iter().enumerate().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0))).map(|(i, _)| i);
    sizes.iter().enumerate().map(|(i, &s)| Some(i) == largest || (min_nodes > 0 && s as usize >= min_nodes)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_sizes() {
        let (label, sizes) = connected_components(6, [(0, 1), (1, 2), (3, 4)].into_iter());
        assert_eq!(label[0], label[2]);
        assert_ne!(label[0], label[3]);
        let mut s = sizes.clone();
        s.sort();
        assert_eq!(s, vec![1, 2, 3]);
        let keep = components_to_keep(&sizes, 0);
        assert_eq!(keep.iter().filter(|k| **k).count(), 1);
        assert!(keep[label[0] as usize]);
        let keep2 = components_to_keep(&sizes, 2);
        assert!(keep2[label[3] as usize] && !keep2[label[5] as usize]);
    }
}

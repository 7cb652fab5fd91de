//! Connected components of the petgraph walking graph with petgraph's
//! union-find over its edges (as `petgraph::algo::connected_components`
//! counts them, with labels kept): `O(N + E α(N))`.
//!
//! Which components to keep: the largest always, plus any other of at least
//! `min_nodes` nodes (a real island or a separate town in a merged extract);
//! the rest are dropped islands (a parking aisle or a building's footways
//! that the extract does not connect).

use petgraph::graph::{IndexType, UnGraph};
use petgraph::unionfind::UnionFind;

/// Component label of every node, and the size of each component.
///
/// Components are numbered in the order of their lowest node index.
///
/// ```
/// use lifecircle::graph::components::{components_to_keep, connected_components};
/// use petgraph::graph::UnGraph;
/// let g = UnGraph::<(), ()>::from_edges([(0u32, 1), (1, 2), (3, 4)]);
/// let (label, sizes) = connected_components(&g);
/// assert_eq!(label[0], label[2]);
/// assert_eq!(sizes[label[3] as usize], 2);
/// let keep = components_to_keep(&sizes, 0); // the largest only
/// assert!(keep[label[0] as usize] && !keep[label[3] as usize]);
/// ```
pub fn connected_components<N, E, Ix: IndexType>(graph: &UnGraph<N, E, Ix>) -> (Vec<u32>, Vec<u32>) {
    let n = graph.node_count();
    let mut uf = UnionFind::<u32>::new(n);
    for e in graph.raw_edges() {
        uf.union(e.source().index() as u32, e.target().index() as u32);
    }
    let roots = uf.into_labeling();
    let mut label = vec![u32::MAX; n];
    let mut root_label = vec![u32::MAX; n];
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

    /// The reference: petgraph's strongly connected components (Kosaraju; on an
    /// undirected graph, the connected components), numbered by their lowest node.
    fn reference(g: &UnGraph<(), ()>) -> (Vec<u32>, Vec<u32>) {
        let mut components: Vec<Vec<usize>> =
            petgraph::algo::kosaraju_scc(g).into_iter().map(|c| c.into_iter().map(|n| n.index()).collect()).collect();
        components.sort_by_key(|c| c.iter().min().copied());
        let mut label = vec![u32::MAX; g.node_count()];
        for (l, c) in components.iter().enumerate() {
            for &n in c {
                label[n] = l as u32;
            }
        }
        (label, components.iter().map(|c| c.len() as u32).collect())
    }

    #[test]
    fn labels_and_sizes() {
        let mut g = UnGraph::<(), ()>::from_edges([(0u32, 1), (1, 2), (3, 4)]);
        g.add_node(());
        let (label, sizes) = connected_components(&g);
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

    #[test]
    fn matches_kosaraju_on_random_graphs() {
        // SplitMix64 with a fixed seed.
        let mut state = 0x5EED_u64;
        let mut next = |n: u64| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        };
        for case in 0..300 {
            let n = 1 + next(60) as u32;
            let edges: Vec<(u32, u32)> =
                (0..next(2 * n as u64 + 1)).map(|_| (next(n as u64) as u32, next(n as u64) as u32)).collect();
            let mut g = UnGraph::<(), ()>::with_capacity(n as usize, edges.len());
            for _ in 0..n {
                g.add_node(());
            }
            for &(a, b) in &edges {
                g.add_edge(a.into(), b.into(), ());
            }
            assert_eq!(connected_components(&g), reference(&g), "case {case}");
        }
    }
}

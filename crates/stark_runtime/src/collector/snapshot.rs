//! The collector's private copy of a candidate subgraph, and trial deletion over it.
//!
//! A snapshot holds no pointers: node `i` is described by its strong count at snapshot time
//! and the indices of the snapshot nodes it referenced then. The collector thread can work
//! on it while the program mutates the real heap (C1).

/// A candidate subgraph in compressed-row form.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Strong count of each node when the snapshot was taken.
    pub counts: Vec<u32>,
    /// Edges of node `i` are `edges[offsets[i] as usize..offsets[i + 1] as usize]`.
    pub offsets: Vec<u32>,
    pub edges: Vec<u32>,
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Empties the snapshot, keeping its buffers for the next one.
    pub fn clear(&mut self) {
        self.counts.clear();
        self.offsets.clear();
        self.edges.clear();
    }

    fn children(&self, i: usize) -> &[u32] {
        &self.edges[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Bacon–Rajan trial deletion on the snapshot: MarkGray subtracts every internal edge
    /// from its target's count; Scan re-blackens everything reachable from a node whose
    /// count stayed positive (referenced from outside the snapshot); what is left white is
    /// proposed as garbage. Iterative, so any graph depth uses constant Rust stack.
    pub fn white_nodes(&self) -> Vec<u32> {
        let n = self.len();
        let mut rc: Vec<i64> = self.counts.iter().map(|&c| c as i64).collect();
        for i in 0..n {
            for &c in self.children(i) {
                rc[c as usize] -= 1;
            }
        }
        let mut black = vec![false; n];
        let mut stack: Vec<u32> = (0..n as u32).filter(|&i| rc[i as usize] > 0).collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut black[i as usize], true) {
                continue;
            }
            for &c in self.children(i as usize) {
                if !black[c as usize] {
                    stack.push(c);
                }
            }
        }
        (0..n as u32).filter(|&i| !black[i as usize]).collect()
    }

    /// The white nodes in groups that no snapshot edge joins (the connected components of
    /// the white subgraph, edges taken both ways), each group's nodes in index order, and
    /// where each group ends in that list. The program validates and sweeps one group at a
    /// time (C5): garbage never spans two groups unless an edge the snapshot missed joins
    /// them, and then the validation of either sees the other's reference and keeps it
    /// (C3: a hint only hides garbage).
    pub fn white_groups(&self) -> (Vec<u32>, Vec<u32>) {
        let white = self.white_nodes();
        let n = self.len();
        // Union-find over the white nodes, by index.
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut i: u32) -> u32 {
            while parent[i as usize] != i {
                let up = parent[parent[i as usize] as usize];
                parent[i as usize] = up;
                i = up;
            }
            i
        }
        let mut is_white = vec![false; n];
        for &i in &white {
            is_white[i as usize] = true;
        }
        for &i in &white {
            for &c in self.children(i as usize) {
                if is_white[c as usize] {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, c));
                    if a != b {
                        parent[a.max(b) as usize] = a.min(b);
                    }
                }
            }
        }
        // Stable by root: groups in order of their first node, nodes in index order.
        let mut keyed: Vec<(u32, u32)> = white.iter().map(|&i| (find(&mut parent, i), i)).collect();
        keyed.sort_unstable();
        let mut ends = Vec::new();
        for k in 1..=keyed.len() {
            if k == keyed.len() || keyed[k].0 != keyed[k - 1].0 {
                ends.push(k as u32);
            }
        }
        (keyed.into_iter().map(|(_, i)| i).collect(), ends)
    }
}

#[cfg(test)]
mod tests {
    use super::Snapshot;

    fn snap(counts: &[u32], adj: &[&[u32]]) -> Snapshot {
        let mut s = Snapshot {
            counts: counts.to_vec(),
            offsets: vec![0],
            edges: Vec::new(),
        };
        for a in adj {
            s.edges.extend_from_slice(a);
            s.offsets.push(s.edges.len() as u32);
        }
        s
    }

    #[test]
    fn white_nodes_come_in_groups_no_edge_joins() {
        // 0 <-> 1 and 2 -> 3 -> 2 and 4 <-> 5 -> 3: two groups ({0, 1}, {2, 3, 4, 5}); 6 is
        // held from outside, 7 is a self-loop of its own.
        let s = snap(
            &[1, 1, 1, 2, 1, 1, 1, 1],
            &[&[1], &[0], &[3], &[2], &[5], &[4, 3], &[], &[7]],
        );
        assert_eq!(s.white_groups(), (vec![0, 1, 2, 3, 4, 5, 7], vec![2, 6, 7]));
        assert_eq!(Snapshot::default().white_groups(), (vec![], vec![]));
    }

    #[test]
    fn an_isolated_cycle_is_white() {
        // 0 <-> 1, nothing else refers to them.
        assert_eq!(snap(&[1, 1], &[&[1], &[0]]).white_nodes(), vec![0, 1]);
    }

    #[test]
    fn a_cycle_with_an_outside_reference_is_black() {
        // 0 <-> 1, and 0 is also held from outside (count 2).
        assert!(snap(&[2, 1], &[&[1], &[0]]).white_nodes().is_empty());
    }

    #[test]
    fn what_a_live_node_reaches_is_black() {
        // 0 (held outside) -> 1 <-> 2; 3 <-> 4 is garbage.
        let s = snap(&[1, 2, 1, 1, 1], &[&[1], &[2], &[1], &[4], &[3]]);
        assert_eq!(s.white_nodes(), vec![3, 4]);
    }
}

//! What recall's walk of the graph reads of each node, kept for the next question while the
//! store stays at one commit (a server asks many; their walks meet the same nodes): how many
//! relations a node has either way (whether it is a hub), and the `edge` rows of the nodes it
//! expands. Bounded; emptied when the store moves (see `DocTable::refresh`).

use engram_core::internal::eval::Rows;
use engram_store::ReadError;
use rustc_hash::FxHashMap;
use std::sync::Mutex;

/// Nodes kept at most, and row cells kept at most (8 bytes each).
const MAX_NODES: usize = 1 << 20;
const MAX_CELLS: usize = 1 << 22;

/// See the module's documentation.
#[derive(Default)]
pub(crate) struct Adjacency {
    degrees: Mutex<FxHashMap<u64, usize>>,
    edges: Mutex<Edges>,
}

/// Nodes' `edge` rows: out of each (the node first) and into it (the node third), in the
/// order the store gives them, in the layout of `shape` (the rows of one read, emptied).
#[derive(Default)]
struct Edges {
    shape: Option<Rows>,
    by_node: FxHashMap<u64, [Vec<u64>; 2]>,
    cells: usize,
}

impl Adjacency {
    /// The relations either way of each of `nodes` (sorted, distinct): those counted before
    /// as kept, the others by `count` (given them, sorted), then kept.
    pub(crate) fn degrees(
        &self,
        nodes: &[u64],
        count: impl FnOnce(&[u64]) -> Result<Vec<usize>, ReadError>,
    ) -> Result<Vec<usize>, ReadError> {
        let mut kept = self.degrees.lock().unwrap_or_else(|e| e.into_inner());
        let missing: Vec<u64> = (nodes.iter().copied())
            .filter(|n| !kept.contains_key(n))
            .collect();
        if !missing.is_empty() {
            let counted = count(&missing)?;
            if kept.len() + missing.len() > MAX_NODES {
                kept.clear();
            }
            kept.extend(missing.into_iter().zip(counted));
        }
        Ok(nodes.iter().map(|n| kept[n]).collect())
    }

    /// The `edge` rows out of `nodes` (sorted, distinct) and into them, as
    /// `read(nodes, column)` gives them (column 0: out of them, 2: into them), those of the
    /// nodes read before taken as kept.
    pub(crate) fn edges(
        &self,
        nodes: &[u64],
        mut read: impl FnMut(&[u64], usize) -> Result<Rows, ReadError>,
    ) -> Result<[Rows; 2], ReadError> {
        let mut kept = self.edges.lock().unwrap_or_else(|e| e.into_inner());
        let missing: Vec<u64> = (nodes.iter().copied())
            .filter(|n| !kept.by_node.contains_key(n))
            .collect();
        if !missing.is_empty() {
            let found = [read(&missing, 0)?, read(&missing, 2)?];
            if kept.by_node.len() + missing.len() > MAX_NODES || kept.cells > MAX_CELLS {
                kept.by_node.clear();
                kept.cells = 0;
            }
            for &n in &missing {
                kept.by_node.insert(n, [Vec::new(), Vec::new()]);
            }
            for (side, (rows, column)) in found.iter().zip([0, 2]).enumerate() {
                for i in 0..rows.len() {
                    // The whole row: its columns and its metadata cells.
                    let cells = &rows.data[i * rows.width..(i + 1) * rows.width];
                    if let Some(lists) = kept.by_node.get_mut(&cells[column]) {
                        lists[side].extend_from_slice(cells);
                    }
                }
                kept.cells += rows.data.len();
            }
            if kept.shape.is_none() {
                let mut shape = found[0].clone();
                shape.data.clear();
                kept.shape = Some(shape);
            }
        }
        let Some(shape) = &kept.shape else {
            return Ok([Rows::default(), Rows::default()]);
        };
        let mut out = [shape.clone(), shape.clone()];
        for n in nodes {
            let lists = &kept.by_node[n];
            for side in 0..2 {
                out[side].data.extend_from_slice(&lists[side]);
            }
        }
        Ok(out)
    }
}

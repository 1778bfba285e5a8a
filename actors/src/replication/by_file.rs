//! [`ByFile`]: a table keyed by a file's info hash that the `ReplicationActor` replaces after
//! each placement round and others read at any time (the mirror jobs, the web edge). Readers
//! never wait for a round: a replace swaps the whole map under a short write lock.

use shoal_protocol::replication::InfoHash;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// `info hash -> [T]`, shared. Cheap to clone; clones share the table.
#[derive(Clone)]
pub struct ByFile<T>(Arc<RwLock<HashMap<InfoHash, Vec<T>>>>);

impl<T> Default for ByFile<T> {
    fn default() -> Self {
        ByFile(Arc::new(RwLock::new(HashMap::new())))
    }
}

impl<T: Clone> ByFile<T> {
    /// Replaces the whole table.
    pub fn replace(&self, table: HashMap<InfoHash, Vec<T>>) {
        match self.0.write() {
            Ok(mut current) => *current = table,
            Err(poisoned) => *poisoned.into_inner() = table,
        }
    }

    /// The entries of `info_hash` (empty when none).
    pub fn get(&self, info_hash: &InfoHash) -> Vec<T> {
        let read = |t: &HashMap<InfoHash, Vec<T>>| t.get(info_hash).cloned().unwrap_or_default();
        match self.0.read() {
            Ok(table) => read(&table),
            Err(poisoned) => read(&poisoned.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replace_is_seen_by_every_clone() {
        let table: ByFile<u32> = ByFile::default();
        let reader = table.clone();
        assert!(reader.get(&[1; 20]).is_empty());
        table.replace(HashMap::from([([1; 20], vec![7, 8])]));
        assert_eq!(reader.get(&[1; 20]), vec![7, 8]);
        table.replace(HashMap::new());
        assert!(reader.get(&[1; 20]).is_empty());
    }
}

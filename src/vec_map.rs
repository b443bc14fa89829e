//! A map kept as a sorted vector: what the SDK maps is small (a few files, the requests in
//! flight) or arrives in order (parts), and a vector's few lines of code cost the wasm a
//! fraction of a B-tree's, per key and value type.

use alloc::vec::Vec;
#[derive(Clone, Debug)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap(Vec::new())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(key))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`'s value; the value it had, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// Entries in key order.
    pub fn entries(&self) -> &[(K, V)] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_sorted_map() {
        let mut map = VecMap::default();
        for key in [5, 1, 9, 3, 7] {
            assert_eq!(map.insert(key, key * 10), None);
        }
        assert_eq!(map.insert(3, 33), Some(30));
        assert_eq!(map.get(&3), Some(&33));
        assert!(map.contains_key(&9) && !map.contains_key(&4));
        assert_eq!(map.remove(&5), Some(50));
        assert_eq!(map.remove(&5), None);
        let keys: Vec<i32> = map.entries().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [1, 3, 7, 9]);
        assert_eq!(map.entries().last(), Some(&(9, 90)));
        let values: Vec<i32> = map.entries().iter().map(|(_, v)| *v).collect();
        assert_eq!(values, [10, 33, 70, 90]);
    }

    /// BTreeMap is the oracle: the same operations give the same answers and the same order.
    #[test]
    fn agrees_with_btree_map() {
        let mut next = crate::tests::xorshift(0x5eed4);
        let mut map = VecMap::default();
        let mut oracle = std::collections::BTreeMap::new();
        for step in 0..20_000u64 {
            let key = next() % 64;
            match next() % 4 {
                0 | 1 => assert_eq!(map.insert(key, step), oracle.insert(key, step)),
                2 => assert_eq!(map.remove(&key), oracle.remove(&key)),
                _ => {
                    assert_eq!(map.get(&key), oracle.get(&key));
                    assert_eq!(map.contains_key(&key), oracle.contains_key(&key));
                }
            }
        }
        let pairs: Vec<(u64, u64)> = map.entries().to_vec();
        assert_eq!(pairs, oracle.into_iter().collect::<Vec<_>>());
    }
}

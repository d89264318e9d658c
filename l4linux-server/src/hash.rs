//! A cheap hasher for the server's integer-keyed tables (task ids, page
//! numbers, inode numbers). hashbrown's default hasher works in 64-bit
//! arithmetic, which the i486 does in library calls; this one is one
//! 32-bit multiply per word (Fibonacci hashing) with the high half folded
//! into the low one, since hashbrown picks buckets by the low bits and
//! thread ids differ only in their high bits. And the table of tasks,
//! which needs no hashing at all.

use core::hash::{BuildHasherDefault, Hasher};

/// See the module comment. Not for keys an attacker picks to collide:
/// every key here is chosen by the server.
#[derive(Default, Clone, Copy)]
pub struct IntHasher(u32);

impl IntHasher {
    #[inline]
    fn add(&mut self, x: u32) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x9E37_79B9);
    }
}

impl Hasher for IntHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(4);
        for c in &mut chunks {
            self.add(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        }
        for &b in chunks.remainder() {
            self.add(b as u32);
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(n as u32);
    }
    #[inline]
    fn write_u16(&mut self, n: u16) {
        self.add(n as u32);
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(n);
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n as u32);
        self.add((n >> 32) as u32);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u32);
    }
    #[inline]
    fn finish(&self) -> u64 {
        let h = self.0;
        // the multiply moves entropy up: fold it into the bucket bits
        // (hashbrown's control byte takes the top seven bits)
        (h ^ (h >> 16)) as u64 | (h as u64) << 32
    }
}

/// A `hashbrown::HashMap` with [`IntHasher`].
pub type IntMap<K, V> = hashbrown::HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// Processes by their task's thread id, in a table indexed by the thread
/// number (ids are `number << 14 | version`, and the kernel's numbers are
/// small and dense): one array access per event instead of a hash lookup,
/// with the whole id compared so that a stale id finds nothing.
#[derive(Default)]
pub struct TaskTable {
    slots: alloc::vec::Vec<(u32, u32)>,
}

impl TaskTable {
    fn slot(task: u32) -> usize {
        l4_abi::ThreadId(task).number() as usize
    }
    #[inline]
    pub fn get(&self, task: &u32) -> Option<&u32> {
        match self.slots.get(Self::slot(*task)) {
            Some((id, pid)) if *id == *task && *task != 0 => Some(pid),
            _ => None,
        }
    }
    pub fn insert(&mut self, task: u32, pid: u32) {
        let i = Self::slot(task);
        if i >= self.slots.len() {
            self.slots.resize(i + 1, (0, 0));
        }
        self.slots[i] = (task, pid);
    }
    pub fn remove(&mut self, task: &u32) -> Option<u32> {
        let pid = *self.get(task)?;
        self.slots[Self::slot(*task)] = (0, 0);
        Some(pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::hash::{BuildHasher, Hash};

    fn bucket(x: impl Hash, bits: u32) -> u64 {
        BuildHasherDefault::<IntHasher>::default().hash_one(x) & ((1 << bits) - 1)
    }

    #[test]
    fn thread_ids_spread_over_buckets() {
        // ids differ only above bit 14 (number << 14 | version)
        let mut seen = std::collections::HashSet::new();
        for n in 0..64u32 {
            seen.insert(bucket(n << 14 | 1, 6));
        }
        assert!(seen.len() > 32, "{} buckets of 64", seen.len());
    }

    #[test]
    fn page_numbers_spread_over_buckets() {
        let mut seen = std::collections::HashSet::new();
        for n in 0x8048u32..0x8048 + 256 {
            seen.insert(bucket(n, 8));
        }
        assert!(seen.len() > 128, "{} buckets of 256", seen.len());
    }

    #[test]
    fn maps_work() {
        let mut m: IntMap<u32, u32> = IntMap::default();
        for i in 0..1000 {
            m.insert(i << 14 | 3, i);
        }
        for i in 0..1000 {
            assert_eq!(m.get(&(i << 14 | 3)), Some(&i));
        }
        assert_eq!(m.get(&5), None);
    }

    #[test]
    fn task_table_matches_whole_ids() {
        let mut t = TaskTable::default();
        t.insert(7 << 14 | 2, 42);
        t.insert(3 << 14 | 1, 9);
        assert_eq!(t.get(&(7 << 14 | 2)), Some(&42));
        assert_eq!(t.get(&(7 << 14 | 3)), None, "another version of the thread");
        assert_eq!(t.get(&(5 << 14 | 1)), None);
        assert_eq!(t.get(&(900 << 14 | 1)), None, "beyond the table");
        assert_eq!(t.get(&0), None);
        assert_eq!(t.remove(&(7 << 14 | 3)), None);
        assert_eq!(t.remove(&(7 << 14 | 2)), Some(42));
        assert_eq!(t.get(&(7 << 14 | 2)), None);
        assert_eq!(t.get(&(3 << 14 | 1)), Some(&9));
    }
}

//! A cheap hasher for the server's integer-keyed tables (task ids, page
//! numbers, inode numbers). hashbrown's default hasher works in 64-bit
//! arithmetic, which the i486 does in library calls; this one is one
//! 32-bit multiply per word (Fibonacci hashing) with the high half folded
//! into the low one, since hashbrown picks buckets by the low bits and
//! thread ids differ only in their high bits.

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
}

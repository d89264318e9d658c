//! Deterministic work shared by the AIM-style job and `bench-child`: a
//! checksum, a data pattern and an integer computation (heap sort). No
//! floating point, no dependence on time.

/// FNV-1a (32 bits), continuing from `h` (start with [`FNV_START`]).
pub fn fnv1a(mut h: u32, data: &[u8]) -> u32 {
    for &b in data {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

pub const FNV_START: u32 = 0x811c_9dc5;

/// The next value of a 32-bit linear congruential generator.
#[inline]
pub fn lcg(x: u32) -> u32 {
    x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223)
}

/// Fill `buf` with a pattern that depends on `seed`.
pub fn fill(buf: &mut [u8], seed: u32) {
    let mut x = seed | 1;
    for chunk in buf.chunks_mut(4) {
        x = lcg(x);
        for (d, s) in chunk.iter_mut().zip(x.to_le_bytes()) {
            *d = s;
        }
    }
}

/// Words sorted by [`compute`].
pub const SORT_WORDS: usize = 512;

/// The computational part of a job: heap-sort `SORT_WORDS` pseudo-random
/// words `rounds` times (each round from a new seed) and return a checksum
/// of the results; 0 would mean the sort is broken (it never is otherwise).
pub fn compute(seed: u32, rounds: u32) -> u32 {
    let mut a = [0u32; SORT_WORDS];
    let mut sum = FNV_START;
    let mut x = seed;
    for _ in 0..rounds {
        for w in a.iter_mut() {
            x = lcg(x);
            *w = x;
        }
        heap_sort(&mut a);
        if a.windows(2).any(|p| p[0] > p[1]) {
            return 0;
        }
        sum = fnv1a(sum, &a[SORT_WORDS / 2].to_le_bytes());
    }
    sum | 1
}

/// In-place heap sort (no allocation, no recursion).
pub fn heap_sort(a: &mut [u32]) {
    let n = a.len();
    for start in (0..n / 2).rev() {
        sift_down(a, start, n);
    }
    for end in (1..n).rev() {
        a.swap(0, end);
        sift_down(a, 0, end);
    }
}

fn sift_down(a: &mut [u32], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && a[child] < a[child + 1] {
            child += 1;
        }
        if a[root] >= a[child] {
            return;
        }
        a.swap(root, child);
        root = child;
    }
}

/// `v` as 8 lower-case hex digits and a newline.
pub fn hex_line(v: u32) -> [u8; 9] {
    let mut out = [b'\n'; 9];
    for (i, d) in out[..8].iter_mut().enumerate() {
        let nib = (v >> (28 - 4 * i)) & 0xf;
        *d = if nib < 10 { b'0' + nib as u8 } else { b'a' + nib as u8 - 10 };
    }
    out
}

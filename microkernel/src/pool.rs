//! The kernel frame pool: 4 KiB frames set aside at boot for page
//! directories, page tables, UTCBs and I/O bitmaps. A stack of free frame
//! numbers; running dry is an error the caller reports, never a panic.

pub struct Pool<'a> {
    free: &'a mut [u32],
    top: usize,
    total: usize,
}

impl<'a> Pool<'a> {
    /// A pool over `store` (capacity), initially empty.
    pub fn new(store: &'a mut [u32]) -> Pool<'a> {
        Pool { free: store, top: 0, total: 0 }
    }

    /// Donate a frame at boot.
    pub fn add(&mut self, pfn: u32) -> bool {
        if self.top == self.free.len() {
            return false;
        }
        self.free[self.top] = pfn;
        self.top += 1;
        self.total += 1;
        true
    }

    pub fn alloc(&mut self) -> Option<u32> {
        if self.top == 0 {
            return None;
        }
        self.top -= 1;
        Some(self.free[self.top])
    }

    pub fn free(&mut self, pfn: u32) {
        debug_assert!(self.top < self.free.len());
        self.free[self.top] = pfn;
        self.top += 1;
    }

    pub fn available(&self) -> usize {
        self.top
    }
    pub fn total(&self) -> usize {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_free() {
        let mut store = [0u32; 4];
        let mut p = Pool::new(&mut store);
        assert!(p.add(10) && p.add(11) && p.add(12));
        assert_eq!(p.available(), 3);
        let a = p.alloc().unwrap();
        let b = p.alloc().unwrap();
        let c = p.alloc().unwrap();
        assert_eq!(p.alloc(), None);
        let mut got = [a, b, c];
        got.sort();
        assert_eq!(got, [10, 11, 12]);
        p.free(b);
        assert_eq!(p.alloc(), Some(b));
        assert_eq!(p.total(), 3);
    }

    #[test]
    fn capacity_is_respected() {
        let mut store = [0u32; 1];
        let mut p = Pool::new(&mut store);
        assert!(p.add(1));
        assert!(!p.add(2));
    }
}

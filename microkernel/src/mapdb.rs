//! The mapping database: for every physical frame, the tree of mappings
//! derived from sigma0's (implicit) root mapping of it. A node is one mapping
//! (space, virtual page, rights); its children were mapped from it. Unmapping
//! a node revokes its whole subtree, so rights always flow from sigma0 down
//! and can always be taken back.
//!
//! Nodes live in a fixed arena sized at boot; links are arena indices. All
//! traversals are iterative (no recursion on the kernel stack).

pub const NIL: u32 = u32::MAX;
/// `roots[pfn]` value of frames the kernel owns: never mappable.
pub const KERNEL_FRAME: u32 = u32::MAX - 1;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub pfn: u32,
    pub vpn: u32,
    pub space: u16,
    pub rights: u8,
    pub used: u8,
    /// Parent node, or NIL for a child of sigma0's root.
    pub parent: u32,
    pub child: u32,
    pub next: u32,
    pub prev: u32,
}

pub struct MapDb<'a> {
    nodes: &'a mut [Node],
    /// First child of sigma0's root mapping of each frame (or KERNEL_FRAME).
    roots: &'a mut [u32],
    free: u32,
    nfree: usize,
}

impl<'a> MapDb<'a> {
    pub fn new(nodes: &'a mut [Node], roots: &'a mut [u32]) -> MapDb<'a> {
        roots.fill(NIL);
        let n = nodes.len();
        for (i, node) in nodes.iter_mut().enumerate() {
            *node = Node { next: if i + 1 < n { i as u32 + 1 } else { NIL }, ..Node::default() };
        }
        MapDb { nodes, roots, free: if n > 0 { 0 } else { NIL }, nfree: n }
    }

    pub fn frames(&self) -> u32 {
        self.roots.len() as u32
    }
    pub fn free_nodes(&self) -> usize {
        self.nfree
    }
    pub fn node(&self, n: u32) -> &Node {
        &self.nodes[n as usize]
    }

    /// Mark a frame as kernel-owned (never mappable).
    pub fn reserve_frame(&mut self, pfn: u32) {
        if let Some(r) = self.roots.get_mut(pfn as usize) {
            *r = KERNEL_FRAME;
        }
    }
    /// May sigma0 map this frame?
    pub fn mappable(&self, pfn: u32) -> bool {
        self.roots.get(pfn as usize).is_some_and(|&r| r != KERNEL_FRAME)
    }

    /// Insert a mapping of `pfn` at (space, vpn) as a child of `parent`
    /// (NIL: of sigma0's root). `None` when the arena is full.
    pub fn insert(&mut self, parent: u32, pfn: u32, space: u16, vpn: u32, rights: u8) -> Option<u32> {
        if parent == NIL && !self.mappable(pfn) {
            return None;
        }
        let n = self.free;
        if n == NIL {
            return None;
        }
        self.free = self.nodes[n as usize].next;
        self.nfree -= 1;
        let first = if parent == NIL { self.roots[pfn as usize] } else { self.nodes[parent as usize].child };
        self.nodes[n as usize] = Node { pfn, vpn, space, rights, used: 1, parent, child: NIL, next: first, prev: NIL };
        if first != NIL {
            self.nodes[first as usize].prev = n;
        }
        if parent == NIL {
            self.roots[pfn as usize] = n;
        } else {
            self.nodes[parent as usize].child = n;
        }
        Some(n)
    }

    fn unlink(&mut self, n: u32) {
        let Node { pfn, parent, next, prev, .. } = self.nodes[n as usize];
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        } else if parent == NIL {
            self.roots[pfn as usize] = next;
        } else {
            self.nodes[parent as usize].child = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
    }

    fn release(&mut self, n: u32) {
        self.nodes[n as usize] = Node { next: self.free, ..Node::default() };
        self.free = n;
        self.nfree += 1;
    }

    /// Pre-order successor of `cur` inside the subtree rooted at `top`.
    fn succ(&self, cur: u32, top: u32) -> u32 {
        let c = self.nodes[cur as usize].child;
        if c != NIL {
            return c;
        }
        let mut x = cur;
        loop {
            if x == top {
                return NIL;
            }
            let nx = self.nodes[x as usize].next;
            if nx != NIL {
                return nx;
            }
            x = self.nodes[x as usize].parent;
            if x == NIL {
                return NIL;
            }
        }
    }

    /// The node mapping `pfn` at (space, vpn).
    pub fn find(&self, pfn: u32, space: u16, vpn: u32) -> Option<u32> {
        let mut top = *self.roots.get(pfn as usize)?;
        // the root level is a sibling list; walk each top-level subtree
        while top != NIL && top != KERNEL_FRAME {
            let mut cur = top;
            while cur != NIL {
                let nd = &self.nodes[cur as usize];
                if nd.space == space && nd.vpn == vpn {
                    return Some(cur);
                }
                cur = self.succ(cur, top);
            }
            top = self.nodes[top as usize].next;
        }
        None
    }

    /// Remove `n` and everything derived from it; `f` sees every removed
    /// node (to clear its page-table entry).
    pub fn remove_subtree(&mut self, n: u32, mut f: impl FnMut(&Node)) {
        let mut cur = n;
        loop {
            while self.nodes[cur as usize].child != NIL {
                cur = self.nodes[cur as usize].child;
            }
            let parent = self.nodes[cur as usize].parent;
            f(&self.nodes[cur as usize]);
            self.unlink(cur);
            self.release(cur);
            if cur == n {
                return;
            }
            cur = parent;
        }
    }

    /// Remove every mapping derived from sigma0's root of `pfn`.
    pub fn remove_all(&mut self, pfn: u32, mut f: impl FnMut(&Node)) {
        loop {
            let first = match self.roots.get(pfn as usize) {
                Some(&r) if r != NIL && r != KERNEL_FRAME => r,
                _ => return,
            };
            self.remove_subtree(first, &mut f);
        }
    }

    /// Pre-order successor of `cur` inside `top`'s subtree, skipping
    /// `cur`'s own descendants.
    fn skip(&self, cur: u32, top: u32) -> u32 {
        let mut x = cur;
        loop {
            if x == top {
                return NIL;
            }
            let nx = self.nodes[x as usize].next;
            if nx != NIL {
                return nx;
            }
            x = self.nodes[x as usize].parent;
            if x == NIL {
                return NIL;
            }
        }
    }

    /// Take `revoke` rights from the descendants of `n` (and from `n` itself
    /// if `include_self`). Nodes left without the read right are removed with
    /// their subtrees.
    /// shrank. Iterative, whatever the depth of the tree. `f(node, removed)`
    /// sees every node removed (`true`) or whose rights shrank (`false`).
    pub fn revoke(&mut self, n: u32, revoke: u8, include_self: bool, f: &mut impl FnMut(&Node, bool)) {
        use l4_abi::msg::rights::R;
        let keeps = |rights: u8| rights & !revoke & R as u8 != 0;
        if include_self {
            if !keeps(self.nodes[n as usize].rights) {
                self.remove_subtree(n, |nd| f(nd, true));
                return;
            }
            self.shrink(n, revoke, f);
        }
        let mut cur = self.nodes[n as usize].child;
        while cur != NIL {
            if keeps(self.nodes[cur as usize].rights) {
                self.shrink(cur, revoke, f);
                cur = self.succ(cur, n);
            } else {
                let next = self.skip(cur, n);
                self.remove_subtree(cur, |nd| f(nd, true));
                cur = next;
            }
        }
    }

    fn shrink(&mut self, n: u32, revoke: u8, f: &mut impl FnMut(&Node, bool)) {
        let nd = &mut self.nodes[n as usize];
        let new = nd.rights & !revoke;
        if new != nd.rights {
            nd.rights = new;
            f(&self.nodes[n as usize], false);
        }
    }

    /// Revoke rights from everything derived from sigma0's root of `pfn`.
    pub fn revoke_root(&mut self, pfn: u32, revoke: u8, f: &mut impl FnMut(&Node, bool)) {
        let mut c = match self.roots.get(pfn as usize) {
            Some(&r) if r != KERNEL_FRAME => r,
            _ => return,
        };
        while c != NIL {
            let next = self.nodes[c as usize].next;
            self.revoke(c, revoke, true, f);
            c = next;
        }
    }

    /// Move a node to another place (grant): the tree position stays.
    pub fn relocate(&mut self, n: u32, space: u16, vpn: u32, rights: u8) {
        let nd = &mut self.nodes[n as usize];
        nd.space = space;
        nd.vpn = vpn;
        nd.rights = rights;
    }

    pub fn set_rights(&mut self, n: u32, rights: u8) {
        self.nodes[n as usize].rights = rights;
    }

    /// Depth of a node below sigma0's root (1 = mapped by sigma0).
    pub fn depth(&self, mut n: u32) -> u32 {
        let mut d = 0;
        while n != NIL {
            d += 1;
            n = self.nodes[n as usize].parent;
        }
        d
    }

    /// All used nodes (for the specification cross-check and debugging).
    pub fn used(&self) -> impl Iterator<Item = (u32, &Node)> {
        self.nodes.iter().enumerate().filter(|(_, n)| n.used != 0).map(|(i, n)| (i as u32, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use l4_abi::msg::rights::{R, RW, W};

    fn db(nodes: usize, frames: usize) -> MapDb<'static> {
        MapDb::new(vec![Node::default(); nodes].leak(), vec![0u32; frames].leak())
    }

    #[test]
    fn chain_revoked_from_the_root() {
        let mut d = db(16, 8);
        let a = d.insert(NIL, 3, 1, 100, RW as u8).unwrap();
        let b = d.insert(a, 3, 2, 200, RW as u8).unwrap();
        let c = d.insert(b, 3, 3, 300, R as u8).unwrap();
        let side = d.insert(a, 3, 4, 400, R as u8).unwrap();
        assert_eq!(d.find(3, 3, 300), Some(c));
        assert_eq!(d.find(3, 4, 400), Some(side));
        assert_eq!(d.depth(c), 3);
        let mut removed = vec![];
        d.remove_subtree(a, |n| removed.push((n.space, n.vpn)));
        removed.sort();
        assert_eq!(removed, vec![(1, 100), (2, 200), (3, 300), (4, 400)]);
        assert_eq!(d.find(3, 3, 300), None);
        assert_eq!(d.free_nodes(), 16);
    }

    #[test]
    fn write_revocation_keeps_read() {
        let mut d = db(8, 4);
        let a = d.insert(NIL, 1, 1, 10, RW as u8).unwrap();
        let b = d.insert(a, 1, 2, 20, RW as u8).unwrap();
        let c = d.insert(b, 1, 3, 30, RW as u8).unwrap();
        let mut changed = vec![];
        d.revoke(a, W as u8, false, &mut |n, gone| {
            assert!(!gone, "nothing removed");
            changed.push(n.space)
        });
        changed.sort();
        assert_eq!(changed, vec![2, 3]);
        assert_eq!(d.node(a).rights, RW as u8);
        assert_eq!(d.node(b).rights, R as u8);
        assert_eq!(d.node(c).rights, R as u8);
        // revoking read removes the subtree
        let mut gone = vec![];
        d.revoke(b, R as u8, true, &mut |n, g| if g { gone.push(n.space) });
        gone.sort();
        assert_eq!(gone, vec![2, 3]);
        assert_eq!(d.free_nodes(), 7);
    }

    #[test]
    fn exhaustion_and_kernel_frames() {
        let mut d = db(2, 4);
        d.reserve_frame(0);
        assert!(!d.mappable(0));
        assert_eq!(d.insert(NIL, 0, 1, 1, R as u8), None);
        assert!(!d.mappable(99));
        let a = d.insert(NIL, 1, 1, 1, R as u8).unwrap();
        d.insert(a, 1, 2, 2, R as u8).unwrap();
        assert_eq!(d.insert(a, 1, 3, 3, R as u8), None);
        d.remove_all(1, |_| {});
        assert_eq!(d.free_nodes(), 2);
    }

    #[test]
    fn deep_chain_is_iterative() {
        let depth = 200_000;
        let mut d = db(depth, 1);
        let mut p = d.insert(NIL, 0, 0, 0, RW as u8).unwrap();
        let top = p;
        for i in 1..depth as u32 {
            p = d.insert(p, 0, 0, i, RW as u8).unwrap();
        }
        let mut n = 0;
        d.revoke(top, W as u8, false, &mut |_, _| n += 1);
        assert_eq!(n, depth - 1);
        d.revoke(top, R as u8, false, &mut |_, _| {});
        assert_eq!(d.free_nodes(), depth - 1);
    }

    #[test]
    fn siblings_unlink_correctly() {
        let mut d = db(8, 2);
        let a = d.insert(NIL, 1, 1, 1, R as u8).unwrap();
        let b = d.insert(NIL, 1, 2, 2, R as u8).unwrap();
        let c = d.insert(NIL, 1, 3, 3, R as u8).unwrap();
        d.remove_subtree(b, |_| {});
        assert_eq!(d.find(1, 1, 1), Some(a));
        assert_eq!(d.find(1, 3, 3), Some(c));
        assert_eq!(d.find(1, 2, 2), None);
        d.relocate(c, 9, 90, R as u8);
        assert_eq!(d.find(1, 9, 90), Some(c));
    }
}

//! The mapping tree in the spec: map, grant and unmap.
//!
//! Every mapping is a node derived from the mapping it was made from;
//! sigma0's root mappings have no parent. Rules:
//! - map: the receiver gets the sender's frame with the sender's rights
//!   intersected with the item's; pages the sender does not have, pages
//!   without the read right after the intersection, destinations outside
//!   the mappable area, a page onto itself, and a page onto an ancestor of
//!   its own source are skipped; mapping the same frame from the same
//!   source again adds rights; anything else at the destination is unmapped
//!   (with everything derived from it) first;
//! - grant: like map, but the sender's node itself moves to the receiver
//!   (keeping what was derived from it) and leaves the sender;
//! - unmap: every mapping derived from the caller's pages in the flexpage
//!   loses the given rights (with `FLUSH_SELF` the caller's own mappings
//!   too); a mapping left without the read right disappears with
//!   everything derived from it.

use crate::state::{Node, State};
use l4_abi::layout::USER_MAP_END;
use l4_abi::msg::rights;
use l4_abi::syscall::{unmap, Error};
use l4_abi::Fpage;

impl State {
    /// Remove node `n` and everything derived from it.
    pub(crate) fn remove_subtree(&mut self, n: u32) {
        for k in self.subtree(n) {
            self.nodes.remove(&k);
        }
    }

    fn insert_node(&mut self, node: Node) -> Result<u32, Error> {
        if self.nodes.len() >= self.limits.nodes {
            return Err(Error::NoMemory);
        }
        let k = self.next_node;
        self.next_node += 1;
        self.nodes.insert(k, node);
        Ok(k)
    }

    /// Map (or grant) the page at `sva` of space `ss` to `rva` of space
    /// `rs` with at most rights `r`.
    pub(crate) fn map_page(
        &mut self,
        ss: usize,
        sva: u32,
        rs: usize,
        rva: u32,
        r: u32,
        grant: bool,
    ) -> Result<(), Error> {
        if rva >= USER_MAP_END || (ss == rs && sva == rva) || sva >= USER_MAP_END {
            return Ok(());
        }
        let Some(src) = self.node_at(ss, sva >> 12) else {
            return Ok(());
        };
        let Node {
            frame,
            rights: have,
            ..
        } = self.nodes[&src];
        let eff = r & have;
        if eff & rights::R == 0 {
            return Ok(());
        }
        if let Some(old) = self.node_at(rs, rva >> 12) {
            let o = self.nodes[&old];
            if o.frame == frame && o.parent == Some(src) && !grant {
                self.nodes.get_mut(&old).expect("exists").rights = o.rights | eff;
                return Ok(());
            }
            if self.is_ancestor(old, src) {
                return Ok(());
            }
            self.remove_subtree(old);
        }
        if grant {
            let n = self.nodes.get_mut(&src).expect("source exists");
            n.space = rs;
            n.vpn = rva >> 12;
            n.rights = eff;
            return Ok(());
        }
        self.insert_node(Node {
            space: rs,
            vpn: rva >> 12,
            frame,
            rights: eff,
            parent: Some(src),
        })?;
        Ok(())
    }

    /// The unmap call of a thread of space `s`.
    pub(crate) fn do_unmap(&mut self, s: usize, fp: Fpage, flags: u32) -> Result<(), Error> {
        if !fp.is_valid() || (fp.size_log2() < 32 && fp.end() > USER_MAP_END as u64) {
            return Err(Error::InvalidFpage);
        }
        if flags & !unmap::FLUSH_SELF != 0 {
            return Err(Error::InvalidArgument);
        }
        let revoke = fp.rights();
        if revoke == 0 {
            return Ok(());
        }
        let flush_self = flags & unmap::FLUSH_SELF != 0;
        let (start, end) = (
            fp.base() as u64 >> 12,
            fp.end().min(USER_MAP_END as u64) >> 12,
        );
        // in ascending page order, looking again after each page: revoking
        // one page can remove mappings of this space further on
        let mut vpn = start;
        loop {
            let next = self
                .nodes
                .iter()
                .filter(|(_, n)| n.space == s && (n.vpn as u64) >= vpn && (n.vpn as u64) < end)
                .min_by_key(|(_, n)| n.vpn)
                .map(|(&k, n)| (k, n.vpn));
            let Some((node, at)) = next else {
                return Ok(());
            };
            self.revoke(node, revoke, flush_self);
            vpn = at as u64 + 1;
        }
    }

    /// Take `revoke` from everything derived from `n` (and from `n` itself
    /// with `include_self`); mappings left without read access go, with
    /// their subtrees.
    pub(crate) fn revoke(&mut self, n: u32, revoke: u32, include_self: bool) {
        let mut affected = self.subtree(n);
        if !include_self {
            affected.remove(0);
        }
        for k in &affected {
            self.nodes.get_mut(k).expect("in the subtree").rights &= !revoke;
        }
        for k in affected {
            if self
                .nodes
                .get(&k)
                .is_some_and(|nd| nd.rights & rights::R == 0)
            {
                self.remove_subtree(k);
            }
        }
    }
}

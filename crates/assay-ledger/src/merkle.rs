//! RFC 6962 (and RFC 9162 §2.1) Merkle tree hashing, compact ranges, inclusion and consistency
//! proofs.
//!
//! Leaves are hashed as `SHA-256(0x00 || data)` and interior nodes as
//! `SHA-256(0x01 || left || right)`, so a leaf can never be passed off as a node. The tree over
//! `n` leaves splits at the largest power of two below `n`, which makes it append-only: the
//! perfect subtrees to the left never change once full. [`Frontier`] keeps just those subtree
//! roots (at most 64 hashes), so appending and computing a new root cost O(log n) and never
//! require reading old leaves.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root of the empty tree: the hash of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Largest power of two strictly smaller than `n` (n >= 2).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// Merkle tree hash (MTH) of a list of leaf hashes.
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// The roots of the perfect subtrees that make up a tree of `size` leaves, largest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    roots: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a frontier from stored parts; `None` if the number of roots does not match the
    /// size (one root per set bit).
    pub fn from_parts(size: u64, roots: Vec<Hash>) -> Option<Self> {
        (roots.len() == size.count_ones() as usize).then_some(Self { size, roots })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn roots(&self) -> &[Hash] {
        &self.roots
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        // Each trailing one bit of the old size is a perfect subtree of the same height as the
        // one being carried: merge them, like binary addition.
        for _ in 0..self.size.trailing_ones() {
            let left = self.roots.pop().expect("one root per set bit");
            hash = node_hash(&left, &hash);
        }
        self.roots.push(hash);
        self.size += 1;
    }

    /// Root hash of the tree.
    pub fn root(&self) -> Hash {
        let mut iter = self.roots.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some(last) => iter.fold(*last, |acc, left| node_hash(left, &acc)),
        }
    }
}

/// Inclusion proof (audit path) for leaf `index` in the tree over `leaves` (RFC 6962 §2.1.1).
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    build_path(index, leaves, &mut path);
    Some(path)
}

fn build_path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        build_path(m, &leaves[..k], out);
        out.push(root_of(&leaves[k..]));
    } else {
        build_path(m - k, &leaves[k..], out);
        out.push(root_of(&leaves[..k]));
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// Consistency proof between the tree of the first `old_size` leaves and the tree over all
/// `leaves` (RFC 6962 §2.1.2).
pub fn consistency_proof(old_size: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    if old_size == 0 || old_size > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    subproof(old_size, leaves, true, &mut out);
    Some(out)
}

fn subproof(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(root_of(leaves));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root_of(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root_of(&leaves[..k]));
    }
}

/// Verifies a consistency proof (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size || old_size == 0 {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *old_root && sr == *new_root && snode == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    /// Leaves and roots used by the RFC 6962 reference tests (certificate-transparency).
    #[test]
    fn rfc6962_reference_roots() {
        let data: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let hashes: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        assert_eq!(
            hex::encode(root_of(&hashes[..1])),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            hex::encode(root_of(&hashes)),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn frontier_matches_recursive_root() {
        let all = leaves(300);
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for (i, leaf) in all.iter().enumerate() {
            f.push(*leaf);
            assert_eq!(f.root(), root_of(&all[..=i]), "size {}", i + 1);
            assert_eq!(f.roots().len(), (i + 1).count_ones() as usize);
        }
        let again = Frontier::from_parts(f.size(), f.roots().to_vec()).unwrap();
        assert_eq!(again.root(), f.root());
        assert!(Frontier::from_parts(3, vec![[0; 32]]).is_none());
    }

    #[test]
    fn every_inclusion_proof_verifies_up_to_70_leaves() {
        let all = leaves(70);
        for n in 1..=all.len() {
            let root = root_of(&all[..n]);
            for m in 0..n {
                let proof = inclusion_proof(m, &all[..n]).unwrap();
                assert!(verify_inclusion(m as u64, n as u64, &all[m], &proof, &root));
                // Wrong leaf, wrong index, truncated proof: all rejected. (The size alone is not bound
                // by a path, as in RFC 9162: the signed checkpoint binds size and root together.)
                assert!(!verify_inclusion(
                    m as u64,
                    n as u64,
                    &leaf_hash(b"x"),
                    &proof,
                    &root
                ));
                if n > 1 {
                    let other = (m + 1) % n;
                    assert!(!verify_inclusion(
                        other as u64,
                        n as u64,
                        &all[m],
                        &proof,
                        &root
                    ));
                    assert!(!verify_inclusion(
                        m as u64,
                        n as u64,
                        &all[m],
                        &proof[1..],
                        &root
                    ));
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_up_to_40_leaves() {
        let all = leaves(40);
        for n in 1..=all.len() {
            let new_root = root_of(&all[..n]);
            for m in 1..=n {
                let old_root = root_of(&all[..m]);
                let proof = consistency_proof(m, &all[..n]).unwrap();
                assert!(
                    verify_consistency(m as u64, n as u64, &old_root, &new_root, &proof),
                    "{m} -> {n}"
                );
                let forged = leaf_hash(b"forged");
                assert!(!verify_consistency(
                    m as u64, n as u64, &forged, &new_root, &proof
                ));
                if m < n {
                    assert!(!verify_consistency(
                        m as u64, n as u64, &old_root, &forged, &proof
                    ));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn proofs_hold_for_random_sizes(n in 1usize..2000, m_frac in 0.0f64..1.0) {
            let all = leaves(n);
            let m = ((n as f64) * m_frac) as usize;
            let root = root_of(&all);
            let proof = inclusion_proof(m, &all).unwrap();
            prop_assert!(verify_inclusion(m as u64, n as u64, &all[m], &proof, &root));
            let old = m.max(1);
            let cp = consistency_proof(old, &all).unwrap();
            prop_assert!(verify_consistency(old as u64, n as u64, &root_of(&all[..old]), &root, &cp));
        }
    }
}

//! Exclusion sets in the draw (see the module docs of [`crate::paper`], "Exclusion sets"): which pool questions
//! may not share a paper, and whether the quotas can still be filled when they may not.
//!
//! Two questions of one bank are linked when one names the other in `excludes`, or both carry the same `group`.
//! An exclusion set is a connected component of the links; a paper holds at most one question of each set. As the
//! quotas are disjoint, each question matches at most one quota, but a set may have questions in several quotas:
//! whether the quotas can be filled is then a bipartite matching of sets to quota places, solved exactly here.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::PoolQuestion;

/// The exclusion sets of a normalized pool (sorted by uid, one entry per uid).
pub(super) struct Sets {
    /// `set_of[i]`: the set of pool question `i`, named by the smallest pool index in it.
    pub set_of: Vec<usize>,
    /// True when some set holds two or more questions (else the sets change nothing).
    pub linked: bool,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Join two sets under the smaller index, so that every root is the smallest index of its set.
fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

impl Sets {
    pub fn of(pool: &[&PoolQuestion]) -> Self {
        let mut parent: Vec<usize> = (0..pool.len()).collect();
        let mut by_id: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, q) in pool.iter().enumerate() {
            if !q.links.id.is_empty() {
                by_id.entry((&q.links.bank_id, &q.links.id)).or_insert(i);
            }
        }
        let mut by_group: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, q) in pool.iter().enumerate() {
            for other in &q.links.excludes {
                if let Some(&j) = by_id.get(&(q.links.bank_id.as_str(), other.as_str())) {
                    union(&mut parent, i, j);
                }
            }
            if let Some(group) = &q.links.group {
                match by_group.entry((&q.links.bank_id, group)) {
                    Entry::Occupied(first) => union(&mut parent, i, *first.get()),
                    Entry::Vacant(slot) => {
                        slot.insert(i);
                    }
                }
            }
        }
        let set_of: Vec<usize> = (0..pool.len()).map(|i| find(&mut parent, i)).collect();
        let linked = set_of.iter().enumerate().any(|(i, &s)| s != i);
        Sets { set_of, linked }
    }
}

/// The quotas' remaining needs and the sets still unused in a paper being drawn.
pub(super) struct Demand {
    /// `serves[s]`: the quotas set `s` has a matching question for, ascending (empty unless `s` is a set's name).
    serves: Vec<Vec<usize>>,
    /// Questions each quota still needs.
    pub need: Vec<usize>,
    /// `used[s]`: set `s` already has a question in the paper.
    used: Vec<bool>,
}

/// Quotas whose needs together exceed the sets that can serve them.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Shortfall {
    /// The quotas, ascending.
    pub quotas: Vec<usize>,
    /// Their needs, summed.
    pub needed: usize,
    /// The unused sets with a question matching one of them.
    pub sets: usize,
}

impl Demand {
    /// `quota_of[i]`: the quota pool question `i` matches, if any; `need[k]`: how many questions quota `k` needs.
    pub fn new(sets: &Sets, quota_of: &[Option<usize>], need: Vec<usize>) -> Self {
        let mut serves = vec![Vec::new(); sets.set_of.len()];
        for (&set, quota) in sets.set_of.iter().zip(quota_of) {
            if let Some(k) = *quota
                && !serves[set].contains(&k)
            {
                serves[set].push(k);
            }
        }
        serves.iter_mut().for_each(|quotas| quotas.sort_unstable());
        let used = vec![false; serves.len()];
        Demand { serves, need, used }
    }

    pub fn is_used(&self, set: usize) -> bool {
        self.used[set]
    }

    /// Record that a question of `set` was drawn for quota `k`.
    pub fn take(&mut self, set: usize, k: usize) {
        self.used[set] = true;
        self.need[k] -= 1;
    }

    /// The number of sets with a question matching each quota (what one paper can draw per quota at most).
    pub fn sets_per_quota(&self) -> Vec<usize> {
        let mut count = vec![0; self.need.len()];
        for quotas in &self.serves {
            for &k in quotas {
                count[k] += 1;
            }
        }
        count
    }

    /// Can the remaining needs still be met after drawing a question of `set` for quota `k`?
    pub fn can_take(&self, set: usize, k: usize) -> bool {
        // A set no other quota with needs can use is never missed: whatever a completion used it for, another set
        // serving `k` takes its place (this is every question when nothing is linked).
        if self.serves[set].iter().all(|&q| q == k || self.need[q] == 0) {
            return true;
        }
        let mut need = self.need.clone();
        need[k] -= 1;
        self.shortfall(&need, Some(set)).is_none()
    }

    /// None when the current needs can be met by distinct unused sets.
    pub fn current_shortfall(&self) -> Option<Shortfall> {
        self.shortfall(&self.need, None)
    }

    /// Exact test: can `need` be met by distinct unused sets (not `skip`), one question of a set for one quota it
    /// serves? Sets serving a single quota with needs count for it directly; the others are matched to the rest of
    /// the needs (Kuhn's augmenting paths, quotas with capacities). On failure, a Hall violator: quotas whose needs
    /// exceed the sets serving them.
    fn shortfall(&self, need: &[usize], skip: Option<usize>) -> Option<Shortfall> {
        let mut single = vec![0usize; need.len()];
        let mut multi: Vec<Vec<usize>> = Vec::new();
        for (set, quotas) in self.serves.iter().enumerate() {
            if self.used[set] || skip == Some(set) {
                continue;
            }
            let needy: Vec<usize> = quotas.iter().copied().filter(|&k| need[k] > 0).collect();
            match needy.as_slice() {
                [] => {}
                [k] => single[*k] += 1,
                _ => multi.push(needy),
            }
        }
        let capacity: Vec<usize> = (need.iter().zip(&single))
            .map(|(&n, &s)| n.saturating_sub(s))
            .collect();
        let mut assigned: Vec<Vec<usize>> = vec![Vec::new(); need.len()];
        let mut matched_to: Vec<Option<usize>> = vec![None; multi.len()];
        for left in 0..multi.len() {
            let mut visited = vec![false; need.len()];
            augment(
                left,
                &multi,
                &capacity,
                &mut assigned,
                &mut matched_to,
                &mut visited,
            );
        }
        let short = (0..need.len()).find(|&k| assigned[k].len() < capacity[k])?;
        // Alternating reach from the short quota: every set serving a reached quota is matched (else the matching
        // would grow), and leads to the quota it is matched to.
        let mut quotas = vec![short];
        let mut seen_left = vec![false; multi.len()];
        let mut at = 0;
        while at < quotas.len() {
            let k = quotas[at];
            at += 1;
            for (left, serves) in multi.iter().enumerate() {
                if !seen_left[left] && serves.contains(&k) {
                    seen_left[left] = true;
                    if let Some(m) = matched_to[left]
                        && !quotas.contains(&m)
                    {
                        quotas.push(m);
                    }
                }
            }
        }
        quotas.sort_unstable();
        let needed = quotas.iter().map(|&k| need[k]).sum();
        let sets =
            quotas.iter().map(|&k| single[k]).sum::<usize>() + seen_left.iter().filter(|&&s| s).count();
        Some(Shortfall { quotas, needed, sets })
    }
}

/// Find a quota for set `left`, moving earlier sets along an augmenting path if needed.
fn augment(
    left: usize,
    multi: &[Vec<usize>],
    capacity: &[usize],
    assigned: &mut [Vec<usize>],
    matched_to: &mut [Option<usize>],
    visited: &mut [bool],
) -> bool {
    for &k in &multi[left] {
        if visited[k] || capacity[k] == 0 {
            continue;
        }
        visited[k] = true;
        if assigned[k].len() < capacity[k] {
            assigned[k].push(left);
            matched_to[left] = Some(k);
            return true;
        }
        for slot in 0..assigned[k].len() {
            let other = assigned[k][slot];
            if augment(other, multi, capacity, assigned, matched_to, visited) {
                assigned[k][slot] = left;
                matched_to[left] = Some(k);
                return true;
            }
        }
    }
    false
}

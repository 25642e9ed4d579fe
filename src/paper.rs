//! Randomized papers: a blueprint, a pool of questions and a seed go in, a paper comes out.
//!
//! Everything here is pure and deterministic (design invariant 4): an auditor who knows the contest seed, the
//! round id, the participant id, the blueprint and the pool can regenerate any participant's paper, including
//! the order of every question's options, from the algorithm documented below alone.
//!
//! # The random number generator
//! [`PaperRng`] is xoshiro256** (Blackman & Vigna, 2018) whose 256-bit state is filled with the first four
//! outputs of SplitMix64 started at the seed:
//! ```text
//! splitmix64_next(x):  x += 0x9E3779B97F4A7C15; return mix(x)            (x is the generator's counter)
//! mix(z):              z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
//!                      z = (z ^ (z >> 27)) * 0x94D049BB133111EB
//!                      return z ^ (z >> 31)                               (all arithmetic wrapping, mod 2^64)
//! ```
//! The seed of one paper is `derive(seed, round, participant) = mix(mix(mix(seed) ^ round) ^ participant)`, where
//! `round` and `participant` are the two's-complement bits of the i64 ids. Participant 0 is the shared draw of a
//! live round (everyone sees the same questions).
//!
//! `below(n)` is Lemire's multiply-shift: `m = next_u64() * n` as a 128-bit product; while the low 64 bits of `m`
//! are below `2^64 mod n`, draw again; the result is the high 64 bits of `m`.
//!
//! # Exclusion sets
//! A pool question carries its bank, its id, its `group` and the ids it `excludes` ([`DrawLinks`],
//! docs/bank-format.md). Two questions are *linked* when they are of the same bank and one names the other in
//! `excludes`, or both have the same `group`. An *exclusion set* is a connected component of the links (links are
//! followed transitively; a question without links is a set of its own). A paper holds at most one question of
//! each set. A set with a question in `seen` counts as seen as a whole: `seen'` is `seen` plus every other question
//! of those sets, so a live round does not ask what an earlier round gave away, nor an exam paper what the
//! participant's earlier rounds did.
//!
//! *Fillable*: the quotas' remaining counts can be met by distinct sets without a question in the paper, each
//! giving one question to one quota that question matches. This is a bipartite matching problem with one exact
//! answer; any correct algorithm may be used to check it (the code counts sets serving one quota directly and
//! matches the others with augmenting paths). Without links every set is one question matching at most one
//! quota, every draw keeps the blueprint fillable, and the steps below are a plain partial Fisher–Yates.
//!
//! # Drawing a paper
//! 1. The pool is sorted by uid (duplicate uids are dropped), so the order in which it is given does not matter.
//!    The blueprint is checked first ([`check_blueprint`]): it is fillable from the whole pool.
//! 2. For each quota, in blueprint order, draw from three lists in turn while the quota is short: first the
//!    matching questions not in `seen'`; then (the bank has run out of unseen questions) the matching questions in
//!    `seen` itself (repeats, which ask nothing new); last, the other matching questions of `seen'` (linked to a
//!    question met before: at most one question of a set per contest holds unless the bank has nothing else).
//!    Without links the third list is empty. Each list is made when its turn comes, in ascending uid, of the questions whose set has no question in the paper
//!    yet. Within a list, from `i = 0`, while the quota is short and `i < len`: `j = i + below(len - i)`, swap
//!    positions `i` and `j`. If drawing the question now at `i` would leave the blueprint unfillable, remove it
//!    from the list (the later ones move up one place) and repeat at the same `i`. Otherwise it is drawn
//!    (appended to the paper), the other questions of its set are removed from the positions after `i` (keeping
//!    their order), and `i` moves on by one. Drawing never fails once the check passed.
//! 3. If `shuffle_questions`, the whole paper is shuffled with [`PaperRng::shuffle`]; otherwise each quota's
//!    questions are sorted by ascending uid and the quotas stay in blueprint order.
//! 4. Then, in final paper order, every single/multiple question gets `option_order = shuffle(0..option_count)`
//!    when `shuffle_options` is set; every other case keeps the identity.
//!
//! [`PaperRng::shuffle`] is Fisher–Yates from the last index down: for `i` from `len - 1` down to 1,
//! `j = below(i + 1)`, swap positions `i` and `j`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bank::{Question, QuestionType, category_matches};

#[path = "paper_exclusion.rs"]
mod exclusion;
use exclusion::{Demand, Sets, Shortfall};

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function (Stafford's "mix13" finalizer).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Deterministic PRNG: SplitMix64 to expand a u64 seed into the state of xoshiro256**. Written here (not the rand
/// crate) so that an auditor can reproduce any paper from the documented algorithm, independent of crate versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperRng {
    s: [u64; 4],
}

impl PaperRng {
    pub fn new(seed: u64) -> Self {
        let mut counter = seed;
        let mut s = [0u64; 4];
        for word in &mut s {
            counter = counter.wrapping_add(GOLDEN_GAMMA);
            *word = mix(counter);
        }
        // SplitMix64's outputs are a bijection of distinct counters, so at most one word is zero: the
        // all-zero state (the one fixed point of xoshiro) cannot occur.
        PaperRng { s }
    }

    /// Seed for one (contest seed, round id, participant id); participant 0 is the shared draw of a live round.
    /// `derive(seed, round, participant) = mix(mix(mix(seed) ^ round) ^ participant)` with `mix` the SplitMix64
    /// finalizer (see the module docs) and the ids taken as their two's-complement u64 bits.
    pub fn for_paper(contest_seed: u64, round_id: i64, participant_id: i64) -> Self {
        Self::new(derive_seed(contest_seed, round_id, participant_id))
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in 0..n (n > 0), unbiased (Lemire's multiply-shift with rejection). `below(0)` returns 0 without
    /// drawing.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// Fisher–Yates, from the last index down.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// `mix(mix(mix(seed) ^ round) ^ participant)`: the seed of one participant's paper in one round.
pub fn derive_seed(contest_seed: u64, round_id: i64, participant_id: i64) -> u64 {
    mix(mix(mix(contest_seed) ^ round_id as u64) ^ participant_id as u64)
}

fn yes() -> bool {
    true
}

/// OpenAPI schema of an optional question type (the bank model itself carries no schema).
fn qtype_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type([Type::String, Type::Null].into_iter().collect::<SchemaType>())
        .enum_values(Some(QuestionType::ALL.map(QuestionType::as_str)))
        .description(Some("Question type; absent or null = any type."))
        .build()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Quota {
    /// Category path prefix (whole segments, see bank::category_matches); None = any.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub difficulty: Option<u8>,
    #[serde(default, rename = "type")]
    #[schema(schema_with = qtype_schema)]
    pub qtype: Option<QuestionType>,
    pub count: usize,
}

impl Quota {
    /// True when `question` is one this quota may draw.
    pub fn matches(&self, question: &PoolQuestion) -> bool {
        self.category
            .as_deref()
            .is_none_or(|prefix| category_matches(&question.category, prefix))
            && self.difficulty.is_none_or(|d| d == question.difficulty)
            && self.qtype.is_none_or(|t| t == question.qtype)
    }

    /// "category 新民主主义革命时期, difficulty 3, type multiple", or "any question".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(category) = &self.category {
            parts.push(format!("category {category}"));
        }
        if let Some(difficulty) = self.difficulty {
            parts.push(format!("difficulty {difficulty}"));
        }
        if let Some(qtype) = self.qtype {
            parts.push(format!("type {}", qtype.as_str()));
        }
        if parts.is_empty() {
            "any question".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Blueprint {
    pub quotas: Vec<Quota>,
    #[serde(default = "yes")]
    pub shuffle_questions: bool,
    #[serde(default = "yes")]
    pub shuffle_options: bool,
}

impl Blueprint {
    /// Total number of questions a paper of this blueprint has.
    pub fn total(&self) -> usize {
        self.quotas.iter().map(|q| q.count).sum()
    }
}

/// The part of a question the drawer needs. `uid` is the question's database id.
#[derive(Debug, Clone)]
pub struct PoolQuestion {
    pub uid: i64,
    pub qtype: QuestionType,
    pub category: String,
    pub difficulty: u8,
    pub option_count: usize,
    /// What ties it to other questions in the draw (see "Exclusion sets" in the module docs).
    pub links: DrawLinks,
}

/// A question's bank and id and its exclusions (`group`, `excludes`), as the bank gives them. The default (no
/// group, no excludes) links a question to nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DrawLinks {
    pub bank_id: String,
    pub id: String,
    pub group: Option<String>,
    /// Ids of questions of the same bank.
    pub excludes: Vec<String>,
}

impl DrawLinks {
    pub fn of(question: &Question) -> Self {
        DrawLinks {
            bank_id: question.bank_id.clone(),
            id: question.id.clone(),
            group: question.group.clone(),
            excludes: question.excludes.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PaperItem {
    pub uid: i64,
    /// option_order[display_position] = original option index. Identity for fill (empty) and for true_false
    /// (true/false are never shuffled).
    pub option_order: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Paper {
    pub items: Vec<PaperItem>,
}

/// One reason a blueprint cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BlueprintProblem {
    /// 0-based index into `Blueprint::quotas` of the offending quota (for an overlap: the later of the two);
    /// None for a problem of the whole blueprint. Messages number quotas from 1.
    pub quota: Option<usize>,
    pub message: String,
    /// Questions the quota asks for (for an overlap: 0).
    pub needed: usize,
    /// Matching questions in the pool (for an overlap: the number of shared questions).
    pub available: usize,
}

/// The pool sorted by uid, one entry per uid. Among duplicate uids (which a database never produces) the
/// smallest entry by (type, category, difficulty, option count, links) wins, so the result is order-independent.
fn normalized_pool(pool: &[PoolQuestion]) -> Vec<&PoolQuestion> {
    let mut sorted: Vec<&PoolQuestion> = pool.iter().collect();
    sorted.sort_by(|a, b| {
        (
            a.uid,
            a.qtype,
            &a.category,
            a.difficulty,
            a.option_count,
            &a.links,
        )
            .cmp(&(
                b.uid,
                b.qtype,
                &b.category,
                b.difficulty,
                b.option_count,
                &b.links,
            ))
    });
    sorted.dedup_by_key(|q| q.uid);
    sorted
}

/// The problems as one line, for an error message (each problem also goes out in the error's details).
pub fn summarize(problems: &[BlueprintProblem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Before a round starts: every quota has count >= 1, the quotas are disjoint (no pool question matches two
/// quotas — overlapping quotas are rejected with a message naming both quota numbers, 1-based, and how many
/// questions they share), and each quota has at least `count` matching questions. Messages are human-readable,
/// in English, and describe the quota, e.g. "quota 2 (category 新民主主义革命时期, difficulty 3, type multiple) needs 5
/// questions, the banks have 3". Empty Vec = ok. Also error on an empty blueprint.
///
/// When questions exclude each other (module docs, "Exclusion sets"), the blueprint must also be fillable: each
/// quota needs `count` distinct exclusion sets (else "… the banks have 7, but only 4 of them can share a paper …"),
/// and quotas whose questions share sets must have enough sets together (a problem naming those quotas, reported
/// on the last of them, with their summed counts as `needed` and their sets as `available`).
pub fn check_blueprint(blueprint: &Blueprint, pool: &[PoolQuestion]) -> Vec<BlueprintProblem> {
    let mut problems = Vec::new();
    if blueprint.quotas.is_empty() {
        problems.push(BlueprintProblem {
            quota: None,
            message: "the blueprint has no quotas: add at least one".to_owned(),
            needed: 0,
            available: 0,
        });
        return problems;
    }
    let pool = normalized_pool(pool);
    let quotas = &blueprint.quotas;
    let available = count_matching(quotas, &pool);
    // shared[i][j] (i < j): questions matching both quota i and quota j.
    let mut shared = vec![vec![0usize; quotas.len()]; quotas.len()];
    let mut matching = Vec::with_capacity(quotas.len());
    for question in &pool {
        matching.clear();
        matching.extend((0..quotas.len()).filter(|&i| quotas[i].matches(question)));
        for (a, &i) in matching.iter().enumerate() {
            for &j in &matching[a + 1..] {
                shared[i][j] += 1;
            }
        }
    }
    for (i, quota) in quotas.iter().enumerate() {
        let label = format!("quota {} ({})", i + 1, quota.describe());
        if quota.count == 0 {
            problems.push(BlueprintProblem {
                quota: Some(i),
                message: format!("{label} asks for 0 questions; every quota needs at least 1"),
                needed: 0,
                available: available[i],
            });
        }
        for (j, earlier) in quotas.iter().enumerate().take(i) {
            let both = shared[j][i];
            if both > 0 {
                let question_s = if both == 1 { "question" } else { "questions" };
                problems.push(BlueprintProblem {
                    quota: Some(i),
                    message: format!(
                        "quota {} ({}) and {label} overlap: {both} {question_s} match both; make the quotas disjoint",
                        j + 1,
                        earlier.describe(),
                    ),
                    needed: 0,
                    available: both,
                });
            }
        }
        if available[i] < quota.count {
            problems.push(BlueprintProblem {
                quota: Some(i),
                message: format!(
                    "{label} needs {} questions, the banks have {}",
                    quota.count, available[i]
                ),
                needed: quota.count,
                available: available[i],
            });
        }
    }
    if problems.is_empty() {
        problems = exclusion_problems(blueprint, &pool, &available);
    }
    problems
}

/// The demand of a whole blueprint on a normalized pool whose quotas are disjoint.
fn demand(blueprint: &Blueprint, pool: &[&PoolQuestion], sets: &Sets) -> (Demand, Vec<Option<usize>>) {
    let quota_of: Vec<Option<usize>> = (pool.iter())
        .map(|q| blueprint.quotas.iter().position(|quota| quota.matches(q)))
        .collect();
    let need = blueprint.quotas.iter().map(|q| q.count).collect();
    (Demand::new(sets, &quota_of, need), quota_of)
}

/// Problems that only exclusion sets cause, for a blueprint that passes every other check.
fn exclusion_problems(
    blueprint: &Blueprint,
    pool: &[&PoolQuestion],
    available: &[usize],
) -> Vec<BlueprintProblem> {
    let sets = Sets::of(pool);
    if !sets.linked {
        return Vec::new();
    }
    let (demand, _) = demand(blueprint, pool, &sets);
    let quotas = &blueprint.quotas;
    let label = |i: usize| format!("quota {} ({})", i + 1, quotas[i].describe());
    let per_quota = demand.sets_per_quota();
    let mut problems: Vec<BlueprintProblem> = (quotas.iter().enumerate())
        .filter(|(i, quota)| per_quota[*i] < quota.count)
        .map(|(i, quota)| BlueprintProblem {
            quota: Some(i),
            message: format!(
                "{} needs {} questions, the banks have {}, but only {} of them can share a paper: questions that \
                 exclude each other (`excludes`, `group`) count once",
                label(i),
                quota.count,
                available[i],
                per_quota[i]
            ),
            needed: quota.count,
            available: per_quota[i],
        })
        .collect();
    if problems.is_empty()
        && let Some(Shortfall {
            quotas: short,
            needed,
            sets,
        }) = demand.current_shortfall()
    {
        let names: Vec<String> = short.iter().map(|&i| label(i)).collect();
        problems.push(BlueprintProblem {
            quota: short.last().copied(),
            message: format!(
                "{} need {needed} questions together, but their questions exclude each other (`excludes`, `group`) \
                 so that only {sets} of them can share a paper; lower a count or make the quotas not share exclusions",
                names.join(" and ")
            ),
            needed,
            available: sets,
        });
    }
    problems
}
fn count_matching(quotas: &[Quota], pool: &[&PoolQuestion]) -> Vec<usize> {
    quotas
        .iter()
        .map(|quota| pool.iter().filter(|q| quota.matches(q)).count())
        .collect()
}

/// Per quota, how many questions one paper can draw at most (for a live "available in bank" display): the matching
/// pool questions, where questions that exclude each other (one exclusion set) count once.
pub fn available_per_quota(blueprint: &Blueprint, pool: &[PoolQuestion]) -> Vec<usize> {
    let pool = normalized_pool(pool);
    let sets = Sets::of(&pool);
    if !sets.linked {
        return count_matching(&blueprint.quotas, &pool);
    }
    // Overlapping quotas (a problem of their own) would each count a shared question: count per quota alone.
    (blueprint.quotas.iter())
        .map(|quota| {
            let mut counted: HashSet<usize> = HashSet::new();
            (pool.iter().zip(&sets.set_of))
                .filter(|(q, set)| quota.matches(q) && counted.insert(**set))
                .count()
        })
        .collect()
}

/// The three lists a quota draws from, in turn (module docs, step 2).
#[derive(Clone, Copy)]
enum Pass {
    /// Questions whose exclusion set has no question in `seen`.
    Unseen,
    /// Questions in `seen` themselves (a repeat asks nothing new).
    Repeat,
    /// The other questions of sets met in `seen`: only when the bank has nothing else.
    Linked,
}

/// Draw a paper. Pure and deterministic in (rng seed, blueprint, pool order-independent!, seen).
/// - Sort candidates by uid first, so the pool's order does not matter.
/// - For each quota in order: candidates = matching questions not in `seen` (nor excluded by a question in it); if
///   fewer than count, top up with matching questions from there (the bank ran out), chosen also at random;
///   partial Fisher–Yates to pick count, never two questions that exclude each other.
/// - Then, if shuffle_questions, shuffle the whole paper; else keep quota order (and within a quota, ascending uid).
/// - If shuffle_options, each single/multiple question gets a random option order; otherwise identity.
///
/// Errors (with the check_blueprint problems) when the blueprint cannot be filled. The exact algorithm, which
/// fixes every draw from the rng, is in the module docs.
pub fn draw_paper(
    rng: &mut PaperRng,
    blueprint: &Blueprint,
    pool: &[PoolQuestion],
    seen: &HashSet<i64>,
) -> Result<Paper, Vec<BlueprintProblem>> {
    let problems = check_blueprint(blueprint, pool);
    if !problems.is_empty() {
        return Err(problems);
    }
    draw_checked_paper(rng, blueprint, pool, seen)
}

/// [`draw_paper`] for a blueprint already known to pass [`check_blueprint`] on this pool (an exam round checks
/// its blueprint once when it starts, then draws a paper per participant): the same paper, without checking the
/// blueprint again for every paper. Should the check not hold after all, this still refuses rather than give a
/// short paper.
pub fn draw_checked_paper(
    rng: &mut PaperRng,
    blueprint: &Blueprint,
    pool: &[PoolQuestion],
    seen: &HashSet<i64>,
) -> Result<Paper, Vec<BlueprintProblem>> {
    let pool = normalized_pool(pool);
    let sets = Sets::of(&pool);
    draw_from(rng, blueprint, &pool, &sets, seen)
}

/// A pool prepared once for many draws: sorted and deduplicated by uid (step 1), with its exclusion sets.
pub struct PreparedPool {
    pool: Vec<PoolQuestion>,
    sets: Sets,
}

impl PreparedPool {
    pub fn new(pool: &[PoolQuestion]) -> Self {
        let normalized = normalized_pool(pool);
        let sets = Sets::of(&normalized);
        PreparedPool {
            pool: normalized.into_iter().cloned().collect(),
            sets,
        }
    }
}

/// [`draw_checked_paper`] from a [`PreparedPool`]: the same paper, without sorting the pool and finding its
/// exclusion sets again for every paper.
pub fn draw_prepared_paper(
    rng: &mut PaperRng,
    blueprint: &Blueprint,
    prepared: &PreparedPool,
    seen: &HashSet<i64>,
) -> Result<Paper, Vec<BlueprintProblem>> {
    let pool: Vec<&PoolQuestion> = prepared.pool.iter().collect();
    draw_from(rng, blueprint, &pool, &prepared.sets, seen)
}

/// Steps 2 to 4 of the module docs on a normalized pool and its sets.
fn draw_from(
    rng: &mut PaperRng,
    blueprint: &Blueprint,
    pool: &[&PoolQuestion],
    sets: &Sets,
    seen: &HashSet<i64>,
) -> Result<Paper, Vec<BlueprintProblem>> {
    let (mut demand, quota_of) = demand(blueprint, pool, sets);
    let seen_sets: HashSet<usize> = (pool.iter().zip(&sets.set_of))
        .filter(|(q, _)| seen.contains(&q.uid))
        .map(|(_, &set)| set)
        .collect();
    let mut picked: Vec<&PoolQuestion> = Vec::with_capacity(blueprint.total());
    for (k, quota) in blueprint.quotas.iter().enumerate() {
        let start = picked.len();
        // Unseen questions first; then repeats of questions already met; last, questions linked to one met.
        for pass in [Pass::Unseen, Pass::Repeat, Pass::Linked] {
            let mut list: Vec<usize> = (0..pool.len())
                .filter(|&i| {
                    let set = sets.set_of[i];
                    let in_pass = match pass {
                        Pass::Unseen => !seen_sets.contains(&set),
                        Pass::Repeat => seen.contains(&pool[i].uid),
                        Pass::Linked => seen_sets.contains(&set) && !seen.contains(&pool[i].uid),
                    };
                    quota_of[i] == Some(k) && in_pass && !demand.is_used(set)
                })
                .collect();
            let mut i = 0;
            while demand.need[k] > 0 && i < list.len() {
                let j = i + rng.below((list.len() - i) as u64) as usize;
                list.swap(i, j);
                let set = sets.set_of[list[i]];
                if !demand.can_take(set, k) {
                    list.remove(i);
                    continue;
                }
                demand.take(set, k);
                picked.push(pool[list[i]]);
                i += 1;
                if sets.linked {
                    let mut rest = list.split_off(i);
                    rest.retain(|&other| sets.set_of[other] != set);
                    list.append(&mut rest);
                }
            }
        }
        if demand.need[k] > 0 {
            // Unreachable once check_blueprint passed (drawing keeps the blueprint fillable); never a short paper.
            return Err(vec![BlueprintProblem {
                quota: Some(k),
                message: format!(
                    "quota {} ({}) could not be filled: {} question(s) short",
                    k + 1,
                    quota.describe(),
                    demand.need[k]
                ),
                needed: quota.count,
                available: quota.count - demand.need[k],
            }]);
        }
        if !blueprint.shuffle_questions {
            picked[start..].sort_by_key(|q| q.uid);
        }
    }
    if blueprint.shuffle_questions {
        rng.shuffle(&mut picked);
    }
    let items = picked
        .into_iter()
        .map(|q| {
            let mut option_order: Vec<usize> = (0..q.option_count).collect();
            let shuffles = matches!(q.qtype, QuestionType::Single | QuestionType::Multiple);
            if blueprint.shuffle_options && shuffles {
                rng.shuffle(&mut option_order);
            }
            if q.qtype == QuestionType::Fill {
                option_order.clear();
            }
            PaperItem {
                uid: q.uid,
                option_order,
            }
        })
        .collect();
    Ok(Paper { items })
}

#[cfg(test)]
#[path = "paper_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "paper_exclusion_tests.rs"]
mod exclusion_tests;

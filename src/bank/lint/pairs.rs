//! Pair rules within one bank: near-duplicate questions and give-aways. Both work from inverted indexes of
//! character bigrams, so only questions that share text are ever compared (no all-pairs loop over full texts).
//!
//! Similarities are cosines of bigram *sets* weighted by a smoothed inverse document frequency
//! `idf(g) = ln(1 + n / df(g))` over the bank (`n` questions, `df(g)` of them containing bigram `g`): shared rare
//! text counts, shared boilerplate (“《…决议》指出”, “下列说法正确的有”) counts little.

use std::collections::HashMap;

use super::text::{bigrams, distinctive, fact_text, key_texts, normalize};
use crate::bank::{Question, QuestionType};

/// One finding about two questions (indices into the bank's question list).
#[derive(Debug, Clone, PartialEq)]
pub struct PairFinding {
    /// The question whose stem gives the answer away, or the first of two near duplicates.
    pub a: usize,
    /// The question whose answer is given away, or the second near duplicate.
    pub b: usize,
    pub score: f64,
    /// For a give-away: the answer text found in `a`'s stem (or statement option).
    pub key: Option<String>,
    /// For a give-away: the text is in one of `a`'s options, not in its stem.
    pub in_option: bool,
}

/// Texts as sets of bigram ids, with the idf weights, norms and postings of the collection.
struct Index {
    sets: Vec<Vec<u32>>,
    /// `weight[g] = idf(g)^2`.
    weight: Vec<f64>,
    norm: Vec<f64>,
    postings: Vec<Vec<usize>>,
    ids: HashMap<[char; 2], u32>,
}

impl Index {
    fn new(texts: &[String]) -> Self {
        let mut ids: HashMap<[char; 2], u32> = HashMap::new();
        let sets: Vec<Vec<u32>> = (texts.iter())
            .map(|t| {
                let mut set: Vec<u32> = (bigrams(t).into_iter())
                    .map(|g| {
                        let next = ids.len() as u32;
                        *ids.entry(g).or_insert(next)
                    })
                    .collect();
                set.sort_unstable();
                set
            })
            .collect();
        let mut postings = vec![Vec::new(); ids.len()];
        for (i, set) in sets.iter().enumerate() {
            for &g in set {
                postings[g as usize].push(i);
            }
        }
        let n = texts.len() as f64;
        let weight: Vec<f64> = (postings.iter())
            .map(|p| (1.0 + n / p.len() as f64).ln().powi(2))
            .collect();
        let norm = (sets.iter())
            .map(|set| set.iter().map(|&g| weight[g as usize]).sum::<f64>().sqrt())
            .collect();
        Index {
            sets,
            weight,
            norm,
            postings,
            ids,
        }
    }

    /// Weighted cosine of two texts, leaving out the bigrams in `without` (sorted ids).
    fn cosine_without(&self, a: usize, b: usize, without: &[u32]) -> f64 {
        let keep = |g: &&u32| without.binary_search(g).is_err();
        let norm = |set: &[u32]| {
            (set.iter().filter(keep))
                .map(|&g| self.weight[g as usize])
                .sum::<f64>()
                .sqrt()
        };
        let (na, nb) = (norm(&self.sets[a]), norm(&self.sets[b]));
        if na == 0.0 || nb == 0.0 {
            return 0.0;
        }
        let shared: f64 = (self.sets[a].iter().filter(keep))
            .filter(|g| self.sets[b].binary_search(g).is_ok())
            .map(|&g| self.weight[g as usize])
            .sum();
        shared / (na * nb)
    }
}

/// The most stems an answer text may appear in and still count as distinctive: 1.5% of the bank's questions,
/// at least 5.
pub fn common_limit(questions: usize) -> usize {
    (questions * 3 / 200).max(5)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Two choice questions whose answers differ are parallel questions (“十八大于何时召开” / “十九大…”), not the same
/// fact, however alike their stems: the bigram Jaccard of their joined keys is below one half.
fn parallel_choices(a: &Question, b: &Question) -> bool {
    let choice = |q: &Question| matches!(q.qtype, QuestionType::Single | QuestionType::Multiple);
    if !(choice(a) && choice(b)) {
        return false;
    }
    let key = |q: &Question| bigrams(&normalize(&key_texts(q).concat()));
    let (ka, kb) = (key(a), key(b));
    let shared = ka.iter().filter(|g| kb.binary_search(g).is_ok()).count();
    let union = ka.len() + kb.len() - shared;
    union > 0 && (shared as f64) < 0.5 * union as f64
}

/// Pairs whose facts (stem plus answer, see [`fact_text`]) have a similarity of at least `threshold`, except
/// parallel choice questions. Ordered by the first question, then the second.
pub fn near_duplicates(questions: &[&Question], threshold: f64) -> Vec<PairFinding> {
    let facts: Vec<String> = questions.iter().map(|q| normalize(&fact_text(q))).collect();
    let index = Index::new(&facts);
    let mut found = Vec::new();
    let mut shared = vec![0.0f64; questions.len()];
    let mut touched: Vec<usize> = Vec::new();
    for a in 0..questions.len() {
        for &g in &index.sets[a] {
            let postings = &index.postings[g as usize];
            let after = postings.partition_point(|&b| b <= a);
            for &b in &postings[after..] {
                if shared[b] == 0.0 {
                    touched.push(b);
                }
                shared[b] += index.weight[g as usize];
            }
        }
        touched.sort_unstable();
        for &b in &touched {
            let score = shared[b] / (index.norm[a] * index.norm[b]);
            shared[b] = 0.0;
            if score >= threshold && !parallel_choices(questions[a], questions[b]) {
                found.push(PairFinding {
                    a,
                    b,
                    score: round3(score.min(1.0)),
                    key: None,
                    in_option: false,
                });
            }
        }
        touched.clear();
    }
    found
}

/// Options of at least this many characters (normalized) are statements, searched for give-aways like stems.
pub const STATEMENT_CHARS: usize = 8;

/// Give-aways: a distinctive answer text of question `b` ([`distinctive`]) appears in the stem of question `a`
/// or inside one of its statement options (an option that merely *is* that text is a parallel distractor),
/// and the two stems are about the same thing: their similarity without the answer's own bigrams (the
/// *context*) is at least `threshold`. An answer found in more stems than [`common_limit`] is a common word of
/// the bank (发展, 上海 in a Party-history bank), not a give-away. One finding per (a, b), with its best answer
/// text; ordered by `a`, `b`.
pub fn give_aways(questions: &[&Question], threshold: f64) -> Vec<PairFinding> {
    let stems: Vec<String> = questions.iter().map(|q| normalize(&q.stem)).collect();
    let index = Index::new(&stems);
    // Where an answer may be stated: the stem, and the options that are statements (at least
    // STATEMENT_CHARS once normalized). An option that is just the answer itself is a parallel question's
    // distractor, not a statement of it, and is not searched.
    let statements: Vec<Vec<String>> = questions
        .iter()
        .map(|q| {
            q.options
                .iter()
                .map(|o| normalize(o))
                .filter(|o| o.chars().count() >= STATEMENT_CHARS)
                .collect()
        })
        .collect();
    let searched: Vec<String> = (stems.iter().zip(&statements))
        .map(|(stem, options)| {
            let mut text = stem.clone();
            for option in options {
                text.push('\u{0}');
                text.push_str(option);
            }
            text
        })
        .collect();
    let search = Index::new(&searched);
    let states = |a: usize, key: &str| {
        stems[a].contains(key) || statements[a].iter().any(|o| o != key && o.contains(key))
    };
    let mut best: HashMap<(usize, usize), PairFinding> = HashMap::new();
    for (b, question) in questions.iter().enumerate() {
        let mut keys: Vec<(String, &str)> = (key_texts(question).into_iter())
            .map(|k| (normalize(k), k))
            .filter(|(key, _)| distinctive(key))
            .collect();
        keys.sort_unstable();
        keys.dedup_by(|x, y| x.0 == y.0);
        for (key, written) in &keys {
            let grams: Vec<[char; 2]> = bigrams(key);
            let Some(ids) = grams
                .iter()
                .map(|g| search.ids.get(g).copied())
                .collect::<Option<Vec<u32>>>()
            else {
                continue; // a bigram no stem or statement has: the key is stated nowhere
            };
            let rarest = ids.iter().min_by_key(|&&g| search.postings[g as usize].len());
            let Some(&rarest) = rarest else { continue };
            // The context leaves out the answer's own bigrams (ids of the stem index).
            let mut without: Vec<u32> = grams.iter().filter_map(|g| index.ids.get(g).copied()).collect();
            without.sort_unstable();
            let stating: Vec<usize> = (search.postings[rarest as usize].iter().copied())
                .filter(|&a| states(a, key.as_str()))
                .collect();
            if stating.len() > common_limit(questions.len()) {
                continue;
            }
            for a in stating.into_iter().filter(|&a| a != b) {
                let score = index.cosine_without(a, b, &without);
                if score < threshold {
                    continue;
                }
                let finding = PairFinding {
                    a,
                    b,
                    score: round3(score.min(1.0)),
                    key: Some((*written).to_string()),
                    in_option: !stems[a].contains(key.as_str()),
                };
                best.entry((a, b))
                    .and_modify(|f| {
                        if finding.score > f.score {
                            *f = finding.clone();
                        }
                    })
                    .or_insert(finding);
            }
        }
    }
    let mut found: Vec<PairFinding> = best.into_values().collect();
    found.sort_by_key(|f| (f.a, f.b));
    found
}

//! Chinese terms of a text: jieba's search-mode words, and the character bigrams of words of
//! three or more characters (so 计划生育 also meets 计生育 typed with a slip).

use std::sync::LazyLock;

use jieba_rs::Jieba;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Function words that carry no topic (虚词); matching on them is noise.
const STOP: &[&str] = &[
    "的", "了", "是", "我", "你", "他", "她", "它", "在", "有", "和", "与", "及", "等", "也", "就",
    "都", "要", "把", "被", "这", "那", "个", "吗", "呢", "啊", "吧", "呀", "么", "怎么", "什么",
    "谁", "哪", "哪里", "请问", "请", "你们", "我们", "他们", "一个", "一下", "想", "问", "找",
    "能", "会", "给", "对", "从", "到", "说", "去", "又", "还", "没", "不", "很", "让", "管", "里",
    "上", "下", "中", "为", "以", "或", "其", "之", "将", "并", "由", "该", "各", "可以",
];

/// Warms the segmenter's dictionary (≈ 100 ms once per process).
pub fn warm() {
    LazyLock::force(&JIEBA);
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Weight of a part of a word (a shorter dictionary word inside it, or a character pair):
/// it lets partial and mistyped words meet, but counts less than a whole word, so 出租车 does
/// not weigh as much as 出租 in 出租房屋 would.
pub const PART_WEIGHT: f64 = 0.5;

fn is_topic(word: &str) -> bool {
    !word.is_empty() && word.chars().any(is_word_char) && !STOP.contains(&word)
}

/// Weighted terms of `text`, in order, with repeats: each word jieba segments at weight 1,
/// then its parts at [`PART_WEIGHT`].
pub fn terms(text: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for token in JIEBA.cut(text, true) {
        let word = token.word.trim();
        if !is_topic(word) {
            continue;
        }
        out.push((word.to_owned(), 1.0));
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < 3 {
            continue;
        }
        let mut parts: Vec<String> = JIEBA
            .cut_for_search(word, true)
            .into_iter()
            .map(|t| t.word.trim().to_owned())
            .filter(|t| t != word && is_topic(t))
            .collect();
        for pair in chars.windows(2) {
            let pair: String = pair.iter().collect();
            if !parts.contains(&pair) && is_topic(&pair) {
                parts.push(pair);
            }
        }
        out.extend(parts.into_iter().map(|p| (p, PART_WEIGHT)));
    }
    out
}

/// The distinct words of `terms` (for highlighting).
pub fn words(terms: &[(String, f64)]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for (t, _) in terms {
        if !words.contains(t) {
            words.push(t.clone());
        }
    }
    words
}

/// Character ranges `[start, end)` where any of `needles` occurs in `text`, merged.
pub fn highlights(text: &str, needles: &[String]) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans = Vec::new();
    for needle in needles {
        let n: Vec<char> = needle.chars().collect();
        if n.is_empty() || n.len() > chars.len() {
            continue;
        }
        for start in 0..=chars.len() - n.len() {
            if chars[start..start + n.len()] == n[..] {
                spans.push((start, start + n.len()));
            }
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

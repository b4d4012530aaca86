//! Chinese terms of a text: jieba's search-mode words, and the character bigrams of words of
//! three or more characters (so 计划生育 also meets 计生育 typed with a slip).

use std::sync::LazyLock;

use foldhash::HashSetExt;
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

/// `STOP` sorted, for a binary search: every word and part of a complaint is tested.
static STOP_SORTED: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words = STOP.to_vec();
    words.sort_unstable();
    words
});

fn is_topic(word: &str) -> bool {
    !word.is_empty() && word.chars().any(is_word_char) && STOP_SORTED.binary_search(&word).is_err()
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
    let mut seen = foldhash::HashSet::with_capacity(terms.len());
    terms
        .iter()
        .filter(|(t, _)| seen.insert(t.as_str()))
        .map(|(t, _)| t.clone())
        .collect()
}

/// Character ranges `[start, end)` where any of `needles` occurs in `text`, merged
/// (overlapping occurrences included: 哈哈 marks all of 哈哈哈).
pub fn highlights(text: &str, needles: &[String]) -> Vec<(usize, usize)> {
    // Found and merged in bytes (a substring search, not a comparison at every character),
    // then counted in characters once.
    let mut spans = Vec::new();
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        let mut from = 0;
        while let Some(at) = text[from..].find(needle.as_str()) {
            let start = from + at;
            spans.push((start, start + needle.len()));
            // The next occurrence may overlap this one: search on from its second character.
            from = start + text[start..].chars().next().map_or(1, char::len_utf8);
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
    // Every offset is a character boundary and they increase, so one walk counts them all.
    let mut boundaries = text
        .char_indices()
        .map(|(at, _)| at)
        .chain([text.len()])
        .enumerate();
    let mut char_of = |byte: usize| {
        boundaries
            .by_ref()
            .find(|&(_, at)| at == byte)
            .map_or(0, |(chars, _)| chars)
    };
    merged
        .into_iter()
        .map(|(s, e)| (char_of(s), char_of(e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_topic__refuses_every_stop_word_and_keeps_the_rest() {
        for word in STOP {
            assert!(!is_topic(word), "{word} is a stop word");
        }
        for word in ["计划生育", "生育", "超生", "B超", "管理"] {
            assert!(is_topic(word), "{word} is a topic");
        }
        assert!(!is_topic(""));
        assert!(!is_topic("，。"));
    }

    #[test]
    fn words__keeps_each_term_once_in_first_order() {
        let terms = [
            ("生育", 1.0),
            ("登记", 1.0),
            ("生育", 0.5),
            ("服务", 0.5),
            ("登记", 1.0),
        ]
        .map(|(t, w)| (t.to_owned(), w));
        assert_eq!(words(&terms), ["生育", "登记", "服务"]);
    }

    #[test]
    fn highlights__marks_every_occurrence_in_characters_merged() {
        let needles = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        // Separate, adjacent and overlapping occurrences, counted in characters not bytes
        let text = "办理生育登记，生育服务证明；哈哈哈";
        assert_eq!(
            highlights(text, &needles(&["生育", "登记", "哈哈", "证明"])),
            [(2, 6), (7, 9), (11, 13), (14, 17)]
        );
        // Nothing found, an empty needle, a needle longer than the text
        assert!(highlights(text, &needles(&["", "计划生育服务证明书办理"])).is_empty());
        assert!(highlights("", &needles(&["生育"])).is_empty());
    }
}

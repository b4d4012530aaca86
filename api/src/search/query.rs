//! What a complaint text must be before it is looked up.

/// The longest complaint looked up, in characters: a hotline record's summary is a few
/// hundred; past this the text is a document, not a complaint.
pub const MAX_CHARS: usize = 2_000;

/// Why a text cannot be looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Blank,
    TooLong(usize),
    Control(char),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Blank => write!(f, "must not be empty or only white space"),
            Self::TooLong(chars) => {
                write!(f, "must be at most {MAX_CHARS} characters, got {chars}")
            }
            Self::Control(c) => write!(f, "must not contain control character U+{:04X}", *c as u32),
        }
    }
}

/// `text` trimmed, or why it cannot be looked up: blank, too long, or holding control
/// characters other than tab and line breaks.
pub fn check(text: &str) -> Result<&str, Problem> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Problem::Blank);
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(Problem::TooLong(chars));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(Problem::Control(c));
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check__refuses_blank_long_and_control_texts_and_keeps_the_rest() {
        for bad in ["", "  \n\t ", "两非\u{0}", "两\u{7}非"] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        assert!(check(&"字".repeat(MAX_CHARS + 1)).is_err());
        assert_eq!(
            check(&"字".repeat(MAX_CHARS)).map(str::len),
            Ok(MAX_CHARS * 3)
        );
        assert_eq!(check(" 捡到孩子\n怎么办 "), Ok("捡到孩子\n怎么办"));
    }
}

//! How many billed parts a text message takes, as Alibaba Cloud and Tencent Cloud document it
//! for mainland China: the length is the signature `【签名】` plus the text, every character
//! (Chinese, letter, digit, punctuation of either width, space) counting one; up to 70 characters
//! is one message, a longer one is split into parts of 67. International messages of GSM-7
//! characters only count 160 for one message and 153 per part.

/// Which counting rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Mainland China: 70 / 67 for any text.
    Domestic,
    /// International: 160 / 153 when every character is GSM-7 basic, else 70 / 67.
    International,
}

/// The length of one message and its billed parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Length {
    /// Characters counted (signature included).
    pub chars: usize,
    /// Billed parts.
    pub parts: usize,
    /// Characters that fit in one part of a concatenated message.
    pub per_part: usize,
}

/// Limits `(single, per part)` for `text` under `rule`.
fn limits(rule: Rule, text: &str) -> (usize, usize) {
    match rule {
        Rule::International if text.chars().all(is_gsm7_basic) => (160, 153),
        _ => (70, 67),
    }
}

/// Characters of the GSM 03.38 basic set that are in ASCII.
fn is_gsm7_basic(c: char) -> bool {
    c.is_ascii_alphanumeric() || " \n\r@$_!\"#%&'()*+,-./:;<=>?".contains(c)
}

/// The full text as the handset shows it: `【sign_name】body`.
pub fn with_sign(sign_name: &str, body: &str) -> String {
    format!("【{sign_name}】{body}")
}

/// The length of `body` sent with signature `sign_name` under `rule`.
pub fn length(rule: Rule, sign_name: &str, body: &str) -> Length {
    text_length(rule, &with_sign(sign_name, body))
}

/// The length of the complete `text` (signature already in it) under `rule`.
pub fn text_length(rule: Rule, text: &str) -> Length {
    let (single, per_part) = limits(rule, text);
    let chars = text.chars().count();
    let parts = if chars <= single {
        1
    } else {
        chars.div_ceil(per_part)
    };
    Length {
        chars,
        parts,
        per_part,
    }
}

/// `body` cut (with a closing `…`) so that, with its signature, it takes at most `max_parts`
/// parts; unchanged when it already fits.
pub fn fit(rule: Rule, sign_name: &str, body: &str, max_parts: usize) -> String {
    let max_parts = max_parts.max(1);
    if length(rule, sign_name, body).parts <= max_parts {
        return body.to_owned();
    }
    let sign_chars = with_sign(sign_name, "").chars().count();
    // The ellipsis is not GSM-7, so the cut text counts 70 / 67.
    let budget = if max_parts == 1 { 70 } else { 67 * max_parts };
    let keep = budget.saturating_sub(sign_chars + 1);
    let mut cut: String = body.chars().take(keep).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domestic_counts_every_character_with_the_signature() {
        // 【沈阳应急】 is 6 characters.
        let table = [
            (64, 70, 1),   // exactly 70: one message
            (65, 71, 2),   // 71: two parts of 67
            (128, 134, 2), // 134 = 2 x 67
            (129, 135, 3),
            (0, 6, 1),
        ];
        for (body_chars, chars, parts) in table {
            let body = "警".repeat(body_chars);
            let got = length(Rule::Domestic, "沈阳应急", &body);
            assert_eq!((got.chars, got.parts), (chars, parts), "{body_chars}");
        }
        // Letters, digits, full- and half-width punctuation and spaces count one each.
        assert_eq!(length(Rule::Domestic, "沈阳应急", "A1,，。 ").chars, 12);
        // ASCII text is still 70 / 67 at home.
        assert_eq!(length(Rule::Domestic, "S", &"a".repeat(68)).parts, 2);
    }

    #[test]
    fn international_gsm7_counts_160_and_153_else_70_and_67() {
        let table = [
            ("a", 160, 1),
            ("a", 161, 2),
            ("a", 306, 2),
            ("a", 307, 3),
            ("警", 70, 1),
            ("警", 71, 2),
        ];
        for (unit, count, parts) in table {
            let text = unit.repeat(count);
            assert_eq!(
                text_length(Rule::International, &text).parts,
                parts,
                "{unit} x {count}"
            );
        }
        // One character outside the GSM-7 basic set makes the whole text UCS-2.
        let mixed = format!("{}中", "a".repeat(100));
        assert_eq!(text_length(Rule::International, &mixed).parts, 2);
    }

    #[test]
    fn fit_cuts_to_the_allowed_parts() {
        let long = "警".repeat(300);
        let one = fit(Rule::Domestic, "沈阳应急", &long, 1);
        assert_eq!(length(Rule::Domestic, "沈阳应急", &one).parts, 1);
        assert_eq!(length(Rule::Domestic, "沈阳应急", &one).chars, 70);
        assert!(one.ends_with('…'));
        let two = fit(Rule::Domestic, "沈阳应急", &long, 2);
        assert_eq!(length(Rule::Domestic, "沈阳应急", &two).parts, 2);
        assert_eq!(length(Rule::Domestic, "沈阳应急", &two).chars, 134);
        assert_eq!(fit(Rule::Domestic, "沈阳应急", "短", 1), "短");
    }
}

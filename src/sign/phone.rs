//! Phone numbers as each provider wants them: Tencent Cloud SMS takes E.164 (`+8613711112222`);
//! Alibaba Cloud SMS and voice take a mainland number without country code (`13711112222`) and
//! an international one as country code plus number without `+` (`85200000000`). Contacts may
//! write either form, with spaces or dashes.

/// Digits of `number`, and whether it was written with a leading `+`.
fn digits(number: &str) -> (String, bool) {
    let trimmed = number.trim();
    let plus = trimmed.starts_with('+');
    let digits = trimmed.chars().filter(char::is_ascii_digit).collect();
    (digits, plus)
}

/// E.164 for Tencent: a bare 11-digit mainland mobile gets `+86`.
pub fn e164(number: &str) -> String {
    let (digits, plus) = digits(number);
    if plus {
        format!("+{digits}")
    } else if digits.len() == 11 && digits.starts_with('1') {
        format!("+86{digits}")
    } else {
        format!("+{digits}")
    }
}

/// Alibaba's form: mainland numbers without `86`, others with their country code and no `+`.
pub fn alibaba(number: &str) -> String {
    let (digits, plus) = digits(number);
    match digits.strip_prefix("86") {
        Some(national) if plus && national.len() == 11 => national.to_owned(),
        _ => digits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_per_provider() {
        let table = [
            ("13711112222", "+8613711112222", "13711112222"),
            ("+8613711112222", "+8613711112222", "13711112222"),
            ("+86 137-1111-2222", "+8613711112222", "13711112222"),
            ("+85200000000", "+85200000000", "85200000000"),
        ];
        for (written, tencent, ali) in table {
            assert_eq!(e164(written), tencent, "{written}");
            assert_eq!(alibaba(written), ali, "{written}");
        }
    }
}

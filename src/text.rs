//! Words about words: the hint for a name nobody defined ("did you mean `city_gas`?") and the
//! edit distance behind it. A leaf module with no dependency inside the crate, so every layer
//! (the compiler, the contact book, the workflow machine) can use it without importing another.

/// A hint for an unknown reference: the closest known name, or the list of known names.
pub fn suggest<'k>(wanted: &str, known: impl Iterator<Item = &'k str>, what: &str) -> String {
    let known: Vec<&str> = known.collect();
    let closest = known
        .iter()
        .map(|name| {
            (
                edit_distance(&wanted.to_lowercase(), &name.to_lowercase()),
                *name,
            )
        })
        .min();
    match closest {
        Some((distance, name)) if distance <= (wanted.chars().count() / 3).max(2) => {
            format!("did you mean `{name}`?")
        }
        _ if known.is_empty() => format!("no {what} is defined"),
        _ => {
            let mut names: Vec<&str> = known;
            names.sort_unstable();
            let shown: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
            let more = if names.len() > 8 { ", ..." } else { "" };
            format!("known {what}: {}{more}", shown.join(", "))
        }
    }
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_name_the_closest_or_list_known() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let known = ["city_gas", "bridges", "water_supply"];
        assert_eq!(
            suggest("city_gass", known.iter().copied(), "domains"),
            "did you mean `city_gas`?"
        );
        assert_eq!(
            suggest("metro", known.iter().copied(), "domains"),
            "known domains: `bridges`, `city_gas`, `water_supply`"
        );
    }
}

//! Static checks of a script's literals, run by `validate` (and every load) before a script goes
//! live: what the engine would otherwise only reject at run time, on the first reading. A
//! duration string given to `window`, `window_of` or `rate` must parse (`"20 min"` does not),
//! a level word must be one the verdict accepts (`"Yellow"` is not), and a metric named by a
//! literal in `window`, `window_of` or `latest` must exist. Only literals are checked: a value
//! computed at run time stays the runtime's to judge.

use super::window::{DURATION_HINT, parse_duration};

/// One static finding: 1-based line and column of the literal, the message and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Line of the literal's opening quote.
    pub line: usize,
    /// Column of the literal's opening quote.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// The level words a verdict accepts.
const LEVEL_WORDS: [&str; 5] = ["none", "blue", "yellow", "orange", "red"];

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Punct(char),
}

/// A token and where it starts.
type Located = (Token, usize, usize);

/// Splits `source` into identifiers, double-quoted strings and punctuation, skipping comments,
/// numbers, whitespace and back-quoted templates (their text is computed, not a literal).
fn tokens(source: &str) -> Vec<Located> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut column) = (0, 1, 1);
    let advance = |i: &mut usize, line: &mut usize, column: &mut usize| {
        if chars[*i] == '\n' {
            *line += 1;
            *column = 1;
        } else {
            *column += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                advance(&mut i, &mut line, &mut column);
            }
        } else if c == '/' && next == Some('*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                advance(&mut i, &mut line, &mut column);
            }
            for _ in 0..2 {
                if i < chars.len() {
                    advance(&mut i, &mut line, &mut column);
                }
            }
        } else if c == '"' || c == '`' {
            let (start_line, start_column) = (line, column);
            let mut text = String::new();
            advance(&mut i, &mut line, &mut column);
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    advance(&mut i, &mut line, &mut column);
                }
                text.push(chars[i]);
                advance(&mut i, &mut line, &mut column);
            }
            if i < chars.len() {
                advance(&mut i, &mut line, &mut column);
            }
            if c == '"' {
                out.push((Token::Str(text), start_line, start_column));
            } else {
                out.push((Token::Punct('`'), start_line, start_column));
            }
        } else if c.is_alphabetic() || c == '_' {
            let (start_line, start_column) = (line, column);
            let mut word = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                word.push(chars[i]);
                advance(&mut i, &mut line, &mut column);
            }
            out.push((Token::Ident(word), start_line, start_column));
        } else if c.is_ascii_digit() || c.is_whitespace() {
            advance(&mut i, &mut line, &mut column);
        } else {
            out.push((Token::Punct(c), line, column));
            advance(&mut i, &mut line, &mut column);
        }
    }
    out
}

/// The arguments of the call whose `(` is at `open`: each argument that is exactly one string
/// literal, as (index, text, line, column).
fn literal_args(tokens: &[Located], open: usize) -> Vec<(usize, &str, usize, usize)> {
    let mut args = Vec::new();
    let (mut depth, mut index, mut in_arg) = (0usize, 0usize, Vec::new());
    for (token, line, column) in &tokens[open..] {
        match token {
            Token::Punct('(' | '[' | '{') => {
                depth += 1;
                if depth > 1 {
                    in_arg.push(None);
                }
            }
            Token::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                in_arg.push(None);
            }
            Token::Punct(',') if depth == 1 => {
                if let [Some(found)] = in_arg.as_slice() {
                    args.push(*found);
                }
                in_arg.clear();
                index += 1;
            }
            Token::Str(text) if depth == 1 => {
                in_arg.push(Some((index, text.as_str(), *line, *column)));
            }
            _ => in_arg.push(None),
        }
    }
    if let [Some(found)] = in_arg.as_slice() {
        args.push(*found);
    }
    args
}

/// Checks the literals of `source` against the script API; `metrics` are the generation's
/// metric ids. Findings come in source order.
pub fn lint(source: &str, metrics: &[&str]) -> Vec<Finding> {
    let tokens = tokens(source);
    let mut findings = Vec::new();
    for (i, (token, line, column)) in tokens.iter().enumerate() {
        match token {
            Token::Ident(name) if tokens.get(i + 1).map(|t| &t.0) == Some(&Token::Punct('(')) => {
                // the argument positions of durations and metric names, per function
                let (durations, metric_at): (&[usize], Option<usize>) = match name.as_str() {
                    "window" => (&[1], Some(0)),
                    "window_of" => (&[2], Some(1)),
                    "latest" => (&[], Some(1)),
                    "rate" => (&[0], None),
                    _ => continue,
                };
                for (index, text, line, column) in literal_args(&tokens, i + 1) {
                    if durations.contains(&index) && parse_duration(text).is_none() {
                        findings.push(Finding {
                            line,
                            column,
                            message: format!("`{name}`: `\"{text}\"` is not a duration"),
                            hint: DURATION_HINT.to_owned(),
                        });
                    }
                    if metric_at == Some(index) && !metrics.contains(&text) {
                        findings.push(Finding {
                            line,
                            column,
                            message: format!("`{name}`: no metric `{text}`"),
                            hint: crate::text::suggest(text, metrics.iter().copied(), "metrics"),
                        });
                    }
                }
            }
            Token::Str(text) => {
                let after_level_key = i >= 2
                    && tokens[i - 1].0 == Token::Punct(':')
                    && tokens[i - 2].0 == Token::Ident("level".to_owned());
                let looks_like_level = LEVEL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(text));
                let is_level = LEVEL_WORDS.contains(&text.as_str());
                if !is_level && (after_level_key || looks_like_level) {
                    let hint = match LEVEL_WORDS.iter().find(|w| w.eq_ignore_ascii_case(text)) {
                        Some(word) => format!("write `\"{word}\"`: level words are lower case"),
                        None => {
                            "a level is one of `none`, `blue`, `yellow`, `orange`, `red`".to_owned()
                        }
                    };
                    findings.push(Finding {
                        line: *line,
                        column: *column,
                        message: format!("`\"{text}\"` is not a level word"),
                        hint,
                    });
                }
            }
            _ => {}
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: [&str; 2] = ["dr.h2s", "gas.ch4_adjacent"];

    /// Expected findings: line, column, message.
    type Expected<'a> = &'a [(usize, usize, &'a str)];

    fn messages(source: &str) -> Vec<(usize, usize, String)> {
        lint(source, &METRICS)
            .into_iter()
            .map(|f| (f.line, f.column, f.message))
            .collect()
    }

    #[test]
    fn literals_the_runtime_would_refuse_are_found_at_their_position() {
        let table: [(&str, Expected<'_>); 9] = [
            (r#"let w = window("dr.h2s", "20m");"#, &[]),
            (
                r#"let w = window("dr.h2s", "20 min");"#,
                &[(1, 26, r#"`window`: `"20 min"` is not a duration"#)],
            ),
            (
                r#"let w = window("dr.h2", "20m");"#,
                &[(1, 16, "`window`: no metric `dr.h2`")],
            ),
            (
                "let r = w.rate(\"1 min\");",
                &[(1, 16, r#"`rate`: `"1 min"` is not a duration"#)],
            ),
            (
                "let x = window_of(a, \"dr.h2s\", \"1h\");\nlatest(a, \"gas.ch4\")",
                &[(2, 11, "`latest`: no metric `gas.ch4`")],
            ),
            ("\"Yellow\"", &[(1, 1, r#"`"Yellow"` is not a level word"#)]),
            (
                "#{level: \"amber\", message: \"x\"}",
                &[(1, 10, r#"`"amber"` is not a level word"#)],
            ),
            // computed arguments, comments and templates are not literals
            (
                "// window(\"x\", \"20 min\")\nlet d = \"20\" + \"m\"; window(m, d); `${\"Red\"}`",
                &[],
            ),
            ("if value > 1.0 { \"red\" } else { \"none\" }", &[]),
        ];
        for (source, expected) in table {
            let expected: Vec<(usize, usize, String)> = expected
                .iter()
                .map(|(l, c, m)| (*l, *c, (*m).to_owned()))
                .collect();
            assert_eq!(messages(source), expected, "{source}");
        }
    }
}

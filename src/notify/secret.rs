//! Secrets of the delivery settings (webhook signing keys, SMTP and SMS gateway URLs with
//! credentials): the [`Secret`] newtype, whose `Debug` and `Display` print `***` so a secret cannot
//! reach a log line, an API answer or the audit by formatting, and the `env:NAME` indirection that
//! reads one from the environment.

use std::fmt;

/// A secret value. Only [`Secret::expose`] gives the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that must use it (a signature, a connection).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

/// Why a secret reference could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// `env:NAME` names a variable that is not set (or not UTF-8).
    #[error("environment variable `{0}` is not set")]
    MissingEnv(String),
    /// `env:` with no name.
    #[error("`env:` needs a variable name")]
    EmptyName,
}

/// Resolves a settings value: `env:NAME` reads the variable `NAME` through `lookup`; anything
/// else is the value itself.
pub fn resolve_with(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Secret, SecretError> {
    match text.strip_prefix("env:") {
        None => Ok(Secret::new(text)),
        Some("") => Err(SecretError::EmptyName),
        Some(name) => lookup(name)
            .map(Secret::new)
            .ok_or_else(|| SecretError::MissingEnv(name.to_owned())),
    }
}

/// [`resolve_with`] the process environment.
pub fn resolve(text: &str) -> Result<Secret, SecretError> {
    resolve_with(text, |name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_formats_its_value() {
        let secret = Secret::new("whsec_c2VjcmV0");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"***\"");
        assert_eq!(secret.expose(), "whsec_c2VjcmV0");
    }

    #[test]
    fn env_references_resolve_through_the_lookup() {
        let lookup = |name: &str| (name == "HOOK").then(|| "s3cret".to_owned());
        let table: [(&str, Result<&str, SecretError>); 4] = [
            ("env:HOOK", Ok("s3cret")),
            ("env:NOPE", Err(SecretError::MissingEnv("NOPE".into()))),
            ("env:", Err(SecretError::EmptyName)),
            ("literal", Ok("literal")),
        ];
        for (text, expected) in table {
            let got = resolve_with(text, lookup);
            assert_eq!(
                got.as_ref().map(Secret::expose).map_err(Clone::clone),
                expected,
                "{text}"
            );
        }
    }
}

//! Spec errors: where (file, line, column, key), what was expected, what was found, and a
//! did-you-mean when a name is close to a known one.

use std::fmt;

use crate::locate::{Document, line_column};

/// A problem in a spec, located in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The file (or `<builtin NAME>`).
    pub file: String,
    /// 1-based line; 0 when the problem has no place in the text (e.g. an unreadable file).
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Key path, e.g. `projections[2].target`; empty for the whole document.
    pub key: String,
    /// What was expected and what was found.
    pub message: String,
    /// A suggestion, e.g. "did you mean `a_plus`?".
    pub help: Option<String>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// A spec's text with its name, for turning key paths and spans into located errors.
pub struct Source<'a> {
    /// File name shown in errors.
    pub file: &'a str,
    /// The TOML text.
    pub text: &'a str,
    doc: Document<'a>,
}

impl<'a> Source<'a> {
    /// Index `text` for locating errors.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Source {
            file,
            text,
            doc: Document::new(text),
        }
    }

    /// An error at key `path`: `expected ..., found ...`.
    pub fn error(&self, path: &str, expected: impl fmt::Display, found: impl fmt::Display) -> SpecError {
        self.error_message(path, format!("expected {expected}, found {found}"))
    }

    /// An error at key `path` with a free message.
    pub fn error_message(&self, path: &str, message: impl Into<String>) -> SpecError {
        let (line, column) = match self.doc.span_of(path) {
            Some(span) => line_column(self.text, span.start),
            None => (0, 0),
        };
        SpecError {
            file: self.file.to_string(),
            line,
            column,
            key: path.to_string(),
            message: message.into(),
            help: None,
        }
    }

    /// An unknown name at `path`: lists what is known and suggests the closest.
    pub fn unknown_name(&self, path: &str, what: &str, found: &str, known: &[&str]) -> SpecError {
        let list = if known.is_empty() {
            "none are defined".to_string()
        } else {
            format!("one of {}", quote_list(known))
        };
        let mut e = self.error(path, format!("the name of {what} ({list})"), format!("`{found}`"));
        e.help = did_you_mean(found, known.iter().copied());
        e
    }

    /// A deserialization error from the `toml` crate, with its place and key path.
    pub fn from_toml(&self, err: &toml::de::Error) -> SpecError {
        let (line, column, key) = match err.span() {
            Some(span) => {
                let (l, c) = line_column(self.text, span.start);
                (l, c, self.doc.path_at(span.start))
            }
            None => (0, 0, String::new()),
        };
        let message = err.message().trim().to_string();
        SpecError {
            file: self.file.to_string(),
            line,
            column,
            key,
            help: suggestion_in_message(&message),
            message,
        }
    }
}

fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "did you mean `x`?" for the known name closest to `found`, if it is close enough.
pub fn did_you_mean<'k>(found: &str, known: impl IntoIterator<Item = &'k str>) -> Option<String> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(found, k), k))
        .filter(|&(score, _)| score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

/// serde says "unknown field `a_plu`, expected one of `a_plus`, `a_minus`" (or "unknown
/// variant"); suggest the closest expected name.
fn suggestion_in_message(message: &str) -> Option<String> {
    if !(message.starts_with("unknown field") || message.starts_with("unknown variant")) {
        return None;
    }
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (found, known) = quoted.split_first()?;
    did_you_mean(found, known.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_from_serde_messages() {
        let m = "unknown field `a_plu`, expected one of `a_plus`, `a_minus`, `tau_ms`";
        assert_eq!(
            suggestion_in_message(m).as_deref(),
            Some("did you mean `a_plus`?")
        );
        let m = "unknown variant `bernouli`, expected one of `all_to_all`, `bernoulli`";
        assert_eq!(
            suggestion_in_message(m).as_deref(),
            Some("did you mean `bernoulli`?")
        );
        assert_eq!(
            suggestion_in_message("unknown field `zzz`, expected `a_plus`"),
            None
        );
        assert_eq!(suggestion_in_message("invalid type"), None);
    }

    #[test]
    fn display_names_file_line_column_key() {
        let src = "[experiment]\nname = 3\n";
        let s = Source::new("x.toml", src);
        let e = s.error("experiment.name", "a string", "3");
        assert_eq!(
            e.to_string(),
            "x.toml:2:8: key `experiment.name`: expected a string, found 3"
        );
        let e = s.unknown_name("experiment.name", "a population", "exx", &["exc", "inh"]);
        assert_eq!(e.help.as_deref(), Some("did you mean `exc`?"));
    }
}

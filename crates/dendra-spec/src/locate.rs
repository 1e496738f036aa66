//! From key paths to places in the source and back: `projections[2].target` <-> line 14,
//! column 10. Uses the span-preserving parse of the `toml` crate.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Split `a.b[2].c` into segments.
pub fn split_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(Segment::Key(rest[..open].to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else { break };
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Segment::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// Join segments back into `a.b[2].c`.
pub fn join_path(segments: &[Segment]) -> String {
    let mut s = String::new();
    for seg in segments {
        match seg {
            Segment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// The span-indexed document.
pub struct Document<'a> {
    root: Option<toml::Spanned<DeTable<'a>>>,
}

impl<'a> Document<'a> {
    /// Parse `text` (a document that does not parse locates nothing).
    pub fn new(text: &'a str) -> Self {
        Document {
            root: DeTable::parse(text).ok(),
        }
    }

    /// Span of the deepest part of `path` present in the document: the value if it exists,
    /// else the nearest enclosing key or table.
    pub fn span_of(&self, path: &str) -> Option<Range<usize>> {
        let root = self.root.as_ref()?;
        let mut best: Option<Range<usize>> = None;
        let mut table: Option<&DeTable<'a>> = Some(root.get_ref());
        let mut value: Option<&toml::Spanned<DeValue<'a>>> = None;
        for seg in split_path(path) {
            let next = match (&seg, table, value) {
                (Segment::Key(k), Some(t), _) => t.get(k.as_str()).inspect(|_| {
                    if let Some((key, _)) = t.get_key_value(k.as_str()) {
                        best = Some(key.span());
                    }
                }),
                (Segment::Index(i), _, Some(v)) => v.get_ref().as_array().and_then(|a| a.get(*i)),
                _ => None,
            };
            let Some(next) = next else { break };
            best = Some(next.span());
            value = Some(next);
            table = next.get_ref().as_table();
        }
        best
    }

    /// The key path of the deepest value whose span holds `offset`.
    pub fn path_at(&self, offset: usize) -> String {
        let Some(root) = self.root.as_ref() else {
            return String::new();
        };
        let mut path = Vec::new();
        descend_table(root.get_ref(), offset, &mut path);
        join_path(&path)
    }
}

// Table headers (`[a]`, `[[b]]`) span only the header, so a table's children are searched even
// when its own span does not hold the offset.
fn descend_table(t: &DeTable<'_>, offset: usize, path: &mut Vec<Segment>) -> bool {
    for (k, v) in t.iter() {
        path.push(Segment::Key(k.get_ref().to_string()));
        let here = k.span().contains(&offset) || (v.span().start..=v.span().end).contains(&offset);
        if descend_value(v.get_ref(), offset, path) || here {
            return true;
        }
        path.pop();
    }
    false
}

fn descend_value(v: &DeValue<'_>, offset: usize, path: &mut Vec<Segment>) -> bool {
    if let Some(t) = v.as_table() {
        return descend_table(t, offset, path);
    }
    if let Some(a) = v.as_array() {
        for (i, item) in a.iter().enumerate() {
            path.push(Segment::Index(i));
            let s = item.span();
            if descend_value(item.get_ref(), offset, path) || (s.start..=s.end).contains(&offset) {
                return true;
            }
            path.pop();
        }
    }
    false
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut cut = offset;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &text[..cut];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "[experiment]\nname = \"x\"\n\n[[projections]]\nsource = \"a\"\n\n[[projections]]\nsource = \"b\"\ntarget = \"c\"\nweight = { kind = \"uniform\", lo = 1 }\n";

    #[test]
    fn paths_round_trip() {
        for p in ["a", "a.b[2].c", "x[0][1]", "projections[1].weight.lo"] {
            assert_eq!(join_path(&split_path(p)), p);
        }
    }

    #[test]
    fn spans_of_paths() {
        let d = Document::new(SRC);
        let at = |p: &str| line_column(SRC, d.span_of(p).unwrap().start);
        assert_eq!(at("experiment.name"), (2, 8));
        assert_eq!(at("projections[1].target"), (9, 10));
        assert_eq!(at("projections[1].weight.lo"), (10, 35));
        // A missing key points at the nearest enclosing part.
        assert_eq!(at("projections[1].receptor").0, 7);
    }

    #[test]
    fn paths_at_offsets() {
        let d = Document::new(SRC);
        let off = SRC.find("lo = 1").unwrap() + 5;
        assert_eq!(d.path_at(off), "projections[1].weight.lo");
        let off = SRC.find("\"b\"").unwrap();
        assert_eq!(d.path_at(off), "projections[1].source");
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncµd", 6), (2, 3));
        assert_eq!(line_column("ab\ncµd", 5), (2, 2));
        assert_eq!(line_column("", 10), (1, 1));
    }
}

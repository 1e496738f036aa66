//! No input, however malformed, panics or hangs the spec reader: property tests over random
//! text and over random edits of valid specs. Failures proptest finds are kept in
//! `proptest-regressions/` and replayed first; inputs that once broke something are listed in
//! `REGRESSIONS` below.

use std::time::{Duration, Instant};

use dendra_spec::Spec;
use proptest::prelude::*;

const EXAMPLES: [&str; 2] = [
    include_str!("../../../examples/cuba.toml"),
    include_str!("../../../examples/compartments.toml"),
];

/// Tokens that stress the grammar and the value checks.
const TOKENS: [&str; 28] = [
    "=",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "\"",
    "'",
    ",",
    "\n",
    "#",
    ".",
    "inf",
    "-inf",
    "nan",
    "-1",
    "0",
    "1e308",
    "4294967296",
    "true",
    "\"\"",
    "kind = \"x\"",
    "name = \"soma\"",
    "size = 0",
    "[[populations]]",
    "\\u0000",
    "🧠",
];

const REGRESSIONS: [&str; 8] = [
    "",
    "[experiment]",
    "[experiment]\nname = \"x\"\nduration_ms = nan",
    "[experiment]\nname = \"x\"\nduration_ms = 1.0\ndt_ms = 0.0",
    "[experiment]\nname = \"x\"\nduration_ms = 1.0\n[[populations]]\nname = \"a\"\nsize = 1\n",
    "[experiment]\nname = \"x\"\nbuiltin = \"cuba\"\n[[populations]]\nname = \"a\"\nsize = 1\nneuron = \"n\"",
    "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "[experiment]\nname = \"x\"\nduration_ms = 1.0\n[neurons.n]\ncompartments = [{ name = \"a\", role = \"basal\", parent = \"a\", length_um = 1.0 }]",
];

fn check(text: &str) {
    let start = Instant::now();
    if let Ok(spec) = Spec::parse("fuzz.toml", text)
        && let Err(e) = spec.plan()
    {
        // Errors render, and a located error points inside the text.
        let shown = e.to_string();
        assert!(!shown.is_empty());
        assert!(e.line <= text.lines().count() + 1, "{e}");
    }
    assert!(start.elapsed() < Duration::from_secs(5), "slow input: {text:?}");
}

#[test]
fn regressions() {
    for r in REGRESSIONS {
        check(r);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn edited_examples(
        which in 0usize..EXAMPLES.len(),
        edits in proptest::collection::vec((0usize..100_000, 0usize..40, 0usize..TOKENS.len() + 1), 1..6),
    ) {
        let mut text = EXAMPLES[which].to_string();
        for (at, del, tok) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + del).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let insert = TOKENS.get(tok).copied().unwrap_or("");
            text.replace_range(at..end, insert);
        }
        check(&text);
    }

    #[test]
    fn numbers_anywhere(which in 0usize..EXAMPLES.len(), line in 0usize..200, value in prop_oneof![
        Just("-1e400".to_string()), Just("nan".to_string()), Just("-0.0".to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")), any::<i64>().prop_map(|v| v.to_string()),
    ]) {
        // Replace the value of one `key = number` line.
        let lines: Vec<&str> = EXAMPLES[which].lines().collect();
        let mut out = Vec::new();
        let mut seen = 0;
        for l in &lines {
            let numeric = l.split_once(" = ").is_some_and(|(_, v)| v.trim().parse::<f64>().is_ok());
            if numeric {
                if seen == line % 40 {
                    let (k, _) = l.split_once(" = ").unwrap();
                    out.push(format!("{k} = {value}"));
                    seen += 1;
                    continue;
                }
                seen += 1;
            }
            out.push(l.to_string());
        }
        check(&out.join("\n"));
    }
}

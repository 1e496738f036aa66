//! `report.html`: one self-contained page (styles and figures inline, no external resource)
//! summarizing a run.

use std::path::Path;

use base64::Engine;
use serde_json::{Map, Value};

use crate::error::{IoError, IoResult};
use crate::figures::Figure;

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() => {
                if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
                    format!("{x:.4e}")
                } else {
                    format!("{}", (x * 1e4).round() / 1e4)
                }
            }
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Null => "n/a".into(),
        other => other.to_string(),
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}\
h1{margin-bottom:0.2em}.sub{color:#555;margin-top:0}table{border-collapse:collapse;margin:1em 0}\
td,th{border-bottom:1px solid #ddd;padding:4px 12px;text-align:left;font-variant-numeric:tabular-nums}\
th{background:#f4f4f4}figure{margin:1.5em 0}figure img{max-width:100%;border:1px solid #eee}\
figcaption{color:#444;font-size:0.95em}pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:0.85em}\
code{background:#f4f4f4;padding:0 3px}";

/// Build the page from the summary (`summary.json` content), the figures, the spec text and
/// the list of output files with their sizes.
pub fn html(
    summary: &Map<String, Value>,
    figures: &[Figure],
    spec: Option<&str>,
    files: &[(String, u64)],
) -> IoResult<String> {
    let get = |k: &str| summary.get(k).map(show).unwrap_or_default();
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    h.push_str(&format!(
        "<title>dendra: {}</title><style>{STYLE}</style></head><body>\n",
        escape(&get("experiment"))
    ));
    h.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"sub\">{}</p>\n",
        escape(&get("experiment")),
        escape(&get("description"))
    ));
    h.push_str("<h2>Run</h2>\n<table>");
    for k in [
        "dendra_version",
        "seed",
        "threads",
        "wall_s",
        "spec_hash",
        "started_utc",
    ] {
        if let Some(v) = summary.get(k) {
            h.push_str(&format!(
                "<tr><th>{}</th><td><code>{}</code></td></tr>",
                escape(k),
                escape(&show(v))
            ));
        }
    }
    h.push_str("</table>\n");
    if let Some(Value::Object(results)) = summary.get("results") {
        findings(&mut h, results);
        h.push_str("<h2>Results</h2>\n<table><tr><th>key</th><th>value</th></tr>");
        for (k, v) in results {
            h.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                escape(k),
                escape(&show(v))
            ));
        }
        h.push_str("</table>\n");
    }
    if !figures.is_empty() {
        h.push_str("<h2>Figures</h2>\n");
        for f in figures {
            let bytes = std::fs::read(&f.png).map_err(|e| IoError::at(&f.png, e))?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            h.push_str(&format!(
                "<figure id=\"fig-{}\"><img alt=\"{}\" src=\"data:image/png;base64,{b64}\"><figcaption>{} (files: <code>figures/{}.png</code>, <code>figures/{}.svg</code>)</figcaption></figure>\n",
                escape(&f.name),
                escape(&f.caption),
                escape(&f.caption),
                escape(&f.name),
                escape(&f.name)
            ));
        }
    }
    if !files.is_empty() {
        h.push_str("<h2>Files</h2>\n<table><tr><th>file</th><th>bytes</th></tr>");
        for (name, size) in files {
            h.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{size}</td></tr>",
                escape(name)
            ));
        }
        h.push_str("</table>\n<p>Tables are Parquet (read with <code>pandas.read_parquet</code>); columns are documented in dendra's README.</p>\n");
    }
    if let Some(spec) = spec {
        h.push_str(&format!(
            "<h2>Spec</h2>\n<details><summary>spec.toml</summary><pre>{}</pre></details>\n",
            escape(spec)
        ));
    }
    h.push_str("</body></html>\n");
    Ok(h)
}

/// For imaging studies (results with `governing_C` keys): one line per compartment with the
/// signal the analysis names, the truth when the run knows it, and the evidence.
fn findings(h: &mut String, results: &Map<String, Value>) {
    let compartments: Vec<&str> = results
        .keys()
        .filter_map(|k| k.strip_prefix("governing_"))
        .collect();
    if compartments.is_empty() {
        return;
    }
    let get = |k: String| results.get(&k).map(show).unwrap_or_else(|| "n/a".into());
    let with_truth = compartments
        .iter()
        .any(|c| results.contains_key(&format!("truth_{c}")));
    h.push_str("<h2>Findings</h2>\n<table><tr><th>compartment</th><th>enlargement follows</th>");
    if with_truth {
        h.push_str("<th>rule put there</th>");
    }
    h.push_str(
        "<th>local: coefficient [interval]</th><th>bAP</th><th>own rate</th><th>distant</th>\
         <th>why</th><th>macro-F1 vs shuffled (paper's model)</th><th>spines (analysed)</th></tr>",
    );
    for c in compartments {
        h.push_str(&format!(
            "<tr><td>{}</td><td><b>{}</b></td>",
            escape(c),
            escape(&get(format!("governing_{c}")))
        ));
        if with_truth {
            h.push_str(&format!("<td>{}</td>", escape(&get(format!("truth_{c}")))));
        }
        for f in ["local", "bap", "rate", "distant"] {
            h.push_str(&format!(
                "<td>{} [{}, {}]</td>",
                escape(&get(format!("verdict_{f}_coef_{c}"))),
                escape(&get(format!("verdict_{f}_lo_{c}"))),
                escape(&get(format!("verdict_{f}_hi_{c}")))
            ));
        }
        h.push_str(&format!(
            "<td>{}</td><td>{} vs {}</td><td>{} ({})</td></tr>",
            escape(&get(format!("verdict_reason_{c}"))),
            escape(&get(format!("macro_f1_{c}"))),
            escape(&get(format!("shuffled_macro_f1_{c}"))),
            escape(&get(format!("spines_{c}"))),
            escape(&get(format!("analysed_{c}")))
        ));
    }
    h.push_str("</table>\n");
}

/// Every regular file under `dir` (relative names, sorted) with its size, except hidden
/// temporaries.
pub fn list_files(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let hidden = e.file_name().to_string_lossy().starts_with('.');
            if p.is_dir() {
                stack.push(p);
            } else if !hidden && let Ok(meta) = e.metadata() {
                let rel = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
                out.push((rel, meta.len()));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_escapes_and_lists_results() {
        let mut s = Map::new();
        s.insert("experiment".into(), "a<b".into());
        let mut r = Map::new();
        r.insert("rate_hz".into(), 5.68912.into());
        s.insert("results".into(), Value::Object(r));
        let page = html(&s, &[], Some("x = \"<\""), &[("spikes.parquet".into(), 10)]).unwrap();
        assert!(page.contains("<h1>a&lt;b</h1>"));
        assert!(page.contains("<code>rate_hz</code></td><td>5.6891</td>"));
        assert!(page.contains("x = &quot;&lt;&quot;"));
        assert!(page.contains("spikes.parquet"));
        assert!(!page.contains("src=\"http"));
        assert!(!page.contains("Findings"));
    }

    #[test]
    fn imaging_results_get_a_findings_table() {
        let mut r = Map::new();
        for (k, v) in [
            ("governing_apical", Value::from("local")),
            ("truth_apical", "local".into()),
            ("coef_local_apical", 3.4.into()),
            ("coef_bap_apical", 0.5.into()),
            ("macro_f1_apical", 0.76.into()),
            ("shuffled_macro_f1_apical", 0.49.into()),
            ("spines_apical", 300.into()),
            ("analysed_apical", 280.into()),
            ("verdict_local_coef_apical", 2.5.into()),
            ("verdict_local_lo_apical", 1.5.into()),
            ("verdict_local_hi_apical", 3.5.into()),
            ("verdict_bap_coef_apical", 0.2.into()),
            ("verdict_bap_lo_apical", (-1.0).into()),
            ("verdict_bap_hi_apical", 1.4.into()),
            ("verdict_reason_apical", "local <above> 0".into()),
        ] {
            r.insert(k.into(), v);
        }
        let mut s = Map::new();
        s.insert("results".into(), Value::Object(r));
        let page = html(&s, &[], None, &[]).unwrap();
        assert!(page.contains("<h2>Findings</h2>"));
        assert!(
            page.contains(
                "<td>apical</td><td><b>local</b></td><td>local</td><td>2.5 [1.5, 3.5]</td>\
                 <td>0.2 [-1, 1.4]</td><td>n/a [n/a, n/a]</td><td>n/a [n/a, n/a]</td>\
                 <td>local &lt;above&gt; 0</td><td>0.76 vs 0.49</td><td>300 (280)</td>"
            ),
            "{page}"
        );
    }
}

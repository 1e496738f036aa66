//! The paper profile's event detection against the published code: on the shipped traces
//! (`data/paper_events.json`, made by `scripts/paper_event_fixtures.py` from the function in
//! github.com/wjakewright/Lab_Analyses with numpy 2.3 and scipy 1.17), dendra finds the same
//! active frames and the same thresholds to 1e-9, for the paper's spine and dendrite settings
//! and the function's defaults.

use dendra_analysis::paper_events::{PaperEventParams, detect};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let json: Value = serde_json::from_str(include_str!("data/paper_events.json")).expect("JSON");
    json["cases"].as_array().expect("cases").clone()
}

/// A case's trace (null: a missing sample) and frame rate.
fn trace(c: &Value) -> (Vec<f64>, f64) {
    let x = c["dff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    (x, c["rate_hz"].as_f64().unwrap())
}

fn params(c: &Value) -> PaperEventParams {
    let p = &c["params"];
    PaperEventParams {
        upper_sd: p["threshold"].as_f64().unwrap(),
        lower_sd: p["lower_threshold"].as_f64().unwrap(),
        floor_dff: p["lower_limit"].as_f64(),
        smooth_s: p["sec_smooth"].as_f64().unwrap(),
        smooth_order: p["filt_poly"].as_u64().unwrap() as usize,
        drop_first_event: true,
    }
}

#[test]
fn the_paper_profile_finds_what_the_published_code_finds() {
    let cases = cases();
    assert_eq!(cases.len(), 22);
    let mut events = 0;
    for (k, c) in cases.iter().enumerate() {
        let (x, rate) = trace(c);
        let got = detect(&x, rate, &params(c));
        let want: Vec<(u32, u32)> = c["active"]
            .as_array()
            .unwrap()
            .iter()
            .map(|iv| (iv[0].as_u64().unwrap() as u32, iv[1].as_u64().unwrap() as u32))
            .collect();
        let label = format!("case {k} ({}, {} Hz)", c["settings"], c["rate_hz"]);
        assert_eq!(got.train.intervals(), &want[..], "{label}");
        for (name, v) in [
            ("upper", got.upper),
            ("lower", got.lower),
            ("artifact", got.artifact),
        ] {
            let w = c[name].as_f64().unwrap();
            assert!(
                (v - w).abs() <= 1e-9 * (1.0 + w.abs()),
                "{label}: {name} {v} vs {w}"
            );
        }
        events += want.len();
    }
    assert!(events > 50, "{events}");
}

/// The published code drops each trace's first event (it indexes its list of events with a
/// boolean); with that off, dendra keeps it, and everything else is the same.
#[test]
fn without_the_first_event_drop_one_more_event_is_kept() {
    for c in cases().iter().take(6) {
        let (x, rate) = trace(c);
        let paper = detect(&x, rate, &params(c));
        let kept = detect(
            &x,
            rate,
            &PaperEventParams {
                drop_first_event: false,
                ..params(c)
            },
        );
        let (a, b) = (paper.train.intervals(), kept.train.intervals());
        assert!(
            b.len() == a.len() + 1 || (b.len() == a.len() && b[0].0 < a[0].0),
            "{a:?} vs {b:?}"
        );
        assert!(a.iter().all(|iv| b.contains(iv)), "{a:?} vs {b:?}");
    }
}

//! The paper profile's co-activity against the published code: on the shipped activity
//! (`data/paper_coactivity.json`, made by `scripts/paper_coactivity_fixtures.py` from the
//! functions in github.com/wjakewright/Lab_Analyses with numpy 2.3 and scipy 1.17: four cases of
//! one or two dendrites, 3000–40000 frames at 30 or 60 Hz, local radii 5, 10 and 20 µm), dendra
//! gives the same distance bins, near-minus-distant values, local co-activity, shuffled local
//! co-activity under the same rolls, significance, co-activity with the dendrite, event rates
//! and size classes, to 1e-9.

use dendra_analysis::paper_coactivity::{
    SessionSpine, bin_edges_um, binned, local_chance_with_shifts, near_minus_distant, normalized,
    rate_per_min,
};
use dendra_analysis::study::size_class;
use dendra_analysis::train::EventTrain;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let json: Value = serde_json::from_str(include_str!("data/paper_coactivity.json")).expect("JSON");
    json["cases"].as_array().expect("cases").clone()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

fn trains(v: &Value, frames: u32) -> Vec<EventTrain> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|iv| {
            let iv = iv
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32))
                .collect();
            EventTrain::new(frames, iv)
        })
        .collect()
}

/// Equal to 1e-9, NaN equal to NaN.
fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9
}

fn assert_all_close(what: &str, case: usize, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "case {case} {what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w),
            "case {case} {what}[{i}]: dendra {g}, published code {w}"
        );
    }
}

struct Case {
    frames: u32,
    rate_hz: f64,
    radius_um: f64,
    groupings: Vec<Vec<usize>>,
    positions: Vec<f64>,
    present: Vec<bool>,
    spines: Vec<EventTrain>,
    dendrites: Vec<EventTrain>,
}

fn case(c: &Value) -> Case {
    let frames = c["frames"].as_u64().unwrap() as u32;
    Case {
        frames,
        rate_hz: c["rate_hz"].as_f64().unwrap(),
        radius_um: c["radius_um"].as_f64().unwrap(),
        groupings: c["groupings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                g.as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_u64().unwrap() as usize)
                    .collect()
            })
            .collect(),
        positions: f64s(&c["positions_um"]),
        present: c["present"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect(),
        spines: trains(&c["spine_active"], frames),
        dendrites: trains(&c["dendrite_active"], frames),
    }
}

impl Case {
    /// The spines of dendrite `d`, with their indices.
    fn dendrite(&self, d: usize) -> (Vec<usize>, Vec<SessionSpine<'_>>) {
        let idx = self.groupings[d].clone();
        let spines = idx
            .iter()
            .map(|&i| SessionSpine {
                position_um: self.positions[i],
                present: self.present[i],
                train: &self.spines[i],
            })
            .collect();
        (idx, spines)
    }

    fn n(&self) -> usize {
        self.positions.len()
    }
}

#[test]
fn distance_bins_and_near_minus_distant_match_the_published_code() {
    for (k, c) in cases().iter().enumerate() {
        let cs = case(c);
        let edges = bin_edges_um(5.0, 40.0);
        assert_all_close("bin edges", k, &edges, &f64s(&c["bin_edges_um"]));
        let mut rows = vec![Vec::new(); cs.n()];
        let mut nmd = vec![f64::NAN; cs.n()];
        for d in 0..cs.groupings.len() {
            let (idx, spines) = cs.dendrite(d);
            for (row, &i) in binned(&spines, &edges).into_iter().zip(&idx) {
                nmd[i] = near_minus_distant(&row, &edges, cs.radius_um).unwrap();
                rows[i] = row;
            }
        }
        for (i, want) in c["binned"].as_array().unwrap().iter().enumerate() {
            assert_all_close(&format!("binned[{i}]"), k, &rows[i], &f64s(want));
        }
        assert_all_close("near_minus_distant", k, &nmd, &f64s(&c["near_minus_distant"]));
    }
}

#[test]
fn local_coactivity_its_chance_level_and_significance_match_the_published_code() {
    let mut defined = 0;
    let mut significant = 0;
    for (k, c) in cases().iter().enumerate() {
        let cs = case(c);
        let shifts: Vec<Vec<u32>> = c["shifts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|it| {
                it.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_u64().unwrap() as u32)
                    .collect()
            })
            .collect();
        let want_shuffled: Vec<Vec<f64>> = c["shuffled_local"].as_array().unwrap().iter().map(f64s).collect();
        let want_local = f64s(&c["local"]);
        let want_coactive: Vec<bool> = c["coactive"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect();
        let mut local = vec![f64::NAN; cs.n()];
        let mut shuffled = vec![vec![f64::NAN; cs.n()]; shifts.len()];
        for d in 0..cs.groupings.len() {
            let (idx, spines) = cs.dendrite(d);
            let its: Vec<Vec<u32>> = shifts
                .iter()
                .map(|it| idx.iter().map(|&i| it[i]).collect())
                .collect();
            let r = local_chance_with_shifts(&spines, cs.radius_um, 40.0, &its, 99.5);
            for (j, &i) in idx.iter().enumerate() {
                local[i] = r.real[j];
                for (t, row) in r.shuffled.iter().enumerate() {
                    shuffled[t][i] = row[j];
                }
                // The published code casts a NaN significance (a spine without partners) to
                // `True`; dendra reports such a spine as not significant.
                if r.real[j].is_nan() {
                    assert!(!r.significant[j]);
                } else {
                    defined += 1;
                    significant += usize::from(r.significant[j]);
                    assert_eq!(r.significant[j], want_coactive[i], "case {k} spine {i}");
                }
            }
        }
        assert_all_close("local", k, &local, &want_local);
        for (t, (g, w)) in shuffled.iter().zip(&want_shuffled).enumerate() {
            assert_all_close(&format!("shuffled[{t}]"), k, g, w);
        }
    }
    assert!(
        defined > 30 && significant > 0,
        "{defined} spines, {significant} significant"
    );
}

#[test]
fn dendrite_coactivity_rates_and_size_classes_match_the_published_code() {
    for (k, c) in cases().iter().enumerate() {
        let cs = case(c);
        let mut bap = vec![f64::NAN; cs.n()];
        for (d, g) in cs.groupings.iter().enumerate() {
            for &i in g {
                bap[i] = normalized(&cs.spines[i], &cs.dendrites[d]);
            }
        }
        assert_all_close("bap", k, &bap, &f64s(&c["bap"]));
        let rates: Vec<f64> = cs.spines.iter().map(|t| rate_per_min(t, cs.rate_hz)).collect();
        assert_all_close("rate_per_min", k, &rates, &f64s(&c["rate_per_min"]));
        assert_eq!(cs.frames, cs.spines[0].len());
        let (base, follow) = (f64s(&c["size_baseline"]), f64s(&c["size_followup"]));
        let stable: Vec<usize> = c["stable"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as usize)
            .collect();
        for (j, &i) in stable.iter().enumerate() {
            let class = size_class(follow[i] / base[i], 1.5, 0.75);
            assert_eq!(
                class == "enlarged",
                c["enlarged"][j].as_bool().unwrap(),
                "case {k} spine {i}"
            );
            assert_eq!(
                class == "shrunk",
                c["shrunk"][j].as_bool().unwrap(),
                "case {k} spine {i}"
            );
        }
    }
}

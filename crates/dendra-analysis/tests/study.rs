//! The whole analysis on synthetic recordings with a known answer: which signal drives
//! enlargement is set by construction, and the analysis must name it.

use dendra_analysis::study::Profile;
use dendra_analysis::{ImagingData, Spine, StudyParams, Trace, analyze};
use dendra_core::{Purpose, StreamKey};
use rand::RngExt;

const RATE: f64 = 30.0;
const FRAMES: usize = 3600;

/// A dF/F trace with unit transients at `onsets` (frames) and Gaussian-ish noise.
fn trace(onsets: &[usize], rng: &mut impl rand::Rng) -> Vec<f64> {
    let mut x: Vec<f64> = (0..FRAMES)
        .map(|_| 0.15 * (rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>() - 1.5))
        .collect();
    for &o in onsets {
        for k in 0..12 {
            if o + k < FRAMES {
                x[o + k] += (-(k as f64) / 3.0).exp();
            }
        }
    }
    x
}

fn events(rate_per_frame: f64, rng: &mut impl rand::Rng) -> Vec<usize> {
    (0..FRAMES - 12)
        .filter(|_| rng.random::<f64>() < rate_per_frame)
        .collect()
}

/// Spines of four kinds on each dendrite: clustered partners of a shared source (local high),
/// spines locked to the dendrite's events (bAP high), both, or neither. `enlarged(local, bap)`
/// says which grow.
fn dataset(seed: u64, enlarged: fn(bool, bool) -> bool) -> ImagingData {
    dataset_with(seed, enlarged, false)
}

/// As [`dataset`]; with `all_clustered`, every unit has three spines 2 µm apart (the spines of
/// a non-local unit have independent inputs), so that every spine has partners within 10 µm.
fn dataset_with(seed: u64, enlarged: fn(bool, bool) -> bool, all_clustered: bool) -> ImagingData {
    let mut rng = StreamKey::new(seed, Purpose::Task, 0, 0).rng();
    let mut d = ImagingData {
        rate_hz: RATE,
        ..ImagingData::default()
    };
    let mut id = 0;
    for dendrite in 0..12u32 {
        let baps = events(0.004, &mut rng);
        d.dendrite_traces.push(Trace {
            id: dendrite,
            session: 1,
            dff: trace(&baps, &mut rng),
        });
        let mut position = 2.0;
        for (local, bap) in [
            (true, false),
            (false, true),
            (true, true),
            (false, false),
            (false, true),
            (true, false),
        ] {
            let shared = events(0.004, &mut rng);
            let members = if local || all_clustered { 3 } else { 1 };
            for m in 0..members {
                let mut own = events(0.002, &mut rng);
                if local {
                    own.extend(shared.iter().filter(|_| rng.random::<f64>() < 0.8));
                }
                if bap {
                    own.extend(baps.iter().filter(|_| rng.random::<f64>() < 0.8));
                }
                own.sort_unstable();
                let grows = enlarged(local, bap);
                let base = 1.0 + 0.1 * rng.random::<f64>();
                d.spines.push(Spine {
                    id,
                    animal: format!("m{}", dendrite / 2),
                    group: "apical".into(),
                    condition: "control".into(),
                    dendrite,
                    compartment: "apical".into(),
                    position_um: position + 2.0 * m as f64,
                    size_baseline: base,
                    size_followup: base
                        * if grows {
                            1.6 + 0.3 * rng.random::<f64>()
                        } else {
                            0.8 + 0.4 * rng.random::<f64>()
                        },
                });
                d.spine_traces.push(Trace {
                    id,
                    session: 1,
                    dff: trace(&own, &mut rng),
                });
                id += 1;
            }
            position += 16.0;
        }
    }
    d.validate().unwrap();
    d
}

fn governing(d: &ImagingData) -> String {
    let s = analyze(d, &StudyParams::default());
    assert_eq!(s.compartments.len(), 1);
    s.compartments[0].governing.clone()
}

#[test]
fn local_coactivity_driven_enlargement_is_named_local() {
    assert_eq!(governing(&dataset(1, |local, _| local)), "local");
}

#[test]
fn bap_driven_enlargement_is_named_bap() {
    assert_eq!(governing(&dataset(2, |_, bap| bap)), "bap");
}

#[test]
fn enlargement_unrelated_to_either_is_never_named_a_rule() {
    // Enlargement by a coin flip independent of the spine's inputs.
    let mut d = dataset(3, |_, _| false);
    let mut rng = StreamKey::new(9, Purpose::Task, 1, 0).rng();
    for s in &mut d.spines {
        if rng.random::<f64>() < 0.4 {
            s.size_followup = s.size_baseline * 1.8;
        }
    }
    let named = governing(&d);
    assert!(named == "none" || named == "undetermined", "{named}");
}

#[test]
fn enlargement_driven_by_the_spines_own_rate_is_not_credited_to_co_activity() {
    // Neither co-activity matters: spines with many extra private events grow.
    let mut d = dataset(5, |_, _| false);
    let mut rng = StreamKey::new(11, Purpose::Task, 2, 0).rng();
    let busy: Vec<bool> = (0..d.spines.len()).map(|_| rng.random::<f64>() < 0.4).collect();
    for (k, t) in d.spine_traces.iter_mut().enumerate() {
        if busy[k] {
            for o in events(0.01, &mut rng) {
                for j in 0..12 {
                    t.dff[o + j] += (-(j as f64) / 3.0).exp();
                }
            }
            d.spines[k].size_followup = d.spines[k].size_baseline * 1.8;
        }
    }
    let s = analyze(&d, &StudyParams::default());
    let c = &s.compartments[0];
    assert_eq!(c.governing, "other", "{:#?}", c.verdict);
    assert!(c.verdict.reason.contains("rate"), "{}", c.verdict.reason);
}

#[test]
fn local_coactivity_falls_with_distance_and_stable_spines_only_count() {
    let mut d = dataset(4, |local, _| local);
    d.spines[0].size_followup = f64::NAN; // lost
    let s = analyze(&d, &StudyParams::default());
    assert_eq!(s.spines.len(), d.spines.len() - 1);
    let near = s.distance.iter().find(|b| b.distance_um == 2.5).unwrap();
    let far = s.distance.iter().find(|b| b.distance_um == 17.5).unwrap();
    assert!(near.coactivity > far.coactivity + 0.2, "{near:?} {far:?}");
}

fn paper() -> StudyParams {
    StudyParams {
        profile: Profile::Paper,
        ..StudyParams::default()
    }
}

#[test]
fn the_paper_profile_names_the_driving_signal_too() {
    for (seed, rule, want) in [
        (1, (|local, _| local) as fn(bool, bool) -> bool, "local"),
        (2, |_, bap| bap, "bap"),
    ] {
        let s = analyze(&dataset_with(seed, rule, true), &paper());
        assert_eq!(s.compartments[0].governing, want, "{:?}", s.compartments[0]);
    }
}

#[test]
fn the_paper_profile_leaves_spines_without_partners_out_and_reports_sessions() {
    let d = dataset(4, |local, _| local);
    let s = analyze(&d, &paper());
    // Singles sit 16 um from anyone: no local co-activity, left out of the comparisons.
    let singles = s.spines.iter().filter(|f| f.local.is_nan()).count();
    assert_eq!(singles, 12 * 3);
    let c = &s.compartments[0];
    assert_eq!((c.spines, c.analysed), (d.spines.len(), d.spines.len() - singles));
    // One session: per-session features equal the spine's.
    assert_eq!(s.sessions.len(), d.spines.len());
    for f in &s.spines {
        let t = s.sessions.iter().find(|t| t.spine == f.spine).unwrap();
        assert!(t.local.total_cmp(&f.local).is_eq() && t.bap == f.bap);
    }
    // Clustered partners are co-active beyond chance; bins are per-spine means in (lo, hi].
    let clustered: Vec<_> = s.spines.iter().filter(|f| f.local.is_finite()).collect();
    let significant = clustered.iter().filter(|f| f.local_significant == 1.0).count();
    assert!(
        significant * 2 > clustered.len(),
        "{significant} of {}",
        clustered.len()
    );
    let near = s.distance.iter().find(|b| b.distance_um == 2.5).unwrap();
    let far = s.distance.iter().find(|b| b.distance_um == 17.5).unwrap();
    assert!(near.coactivity > far.coactivity + 0.2, "{near:?} {far:?}");
}

#[test]
fn the_paper_profile_needs_radii_that_divide_the_binned_range() {
    for (radius, ok) in [
        (10.0, true),
        (20.0, true),
        (5.0, true),
        (15.0, false),
        (12.5, false),
    ] {
        let p = StudyParams {
            radius_um: radius,
            ..paper()
        };
        assert_eq!(p.validate().is_ok(), ok, "{radius}");
        let e = p.validate().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(ok || e.contains("radius_um"), "{e}");
    }
}

//! Figures of an imaging study, like the paper's: co-activity against distance per
//! compartment, spine size-change distributions, predictor weights per compartment, Kir against
//! control, learning curves, and an example field of view with its traces and detected events.

use std::collections::BTreeMap;
use std::path::Path;

use dendra_analysis::events::{EventParams, detect};
use dendra_analysis::{ImagingData, Study};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{IoError, IoResult};
use crate::figures::{COLOURS, DrawResult, Figure, err, font, legend, render};

fn axes_range(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = (hi - lo).max(1e-9);
    (lo - pad * span, hi + pad * span)
}

/// Mean normalized co-activity of spine pairs against their distance.
fn distance<DB: DrawingBackend>(s: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let (_, hi) = axes_range(s.distance.iter().map(|d| d.coactivity), 0.1);
    let max_x = s.distance.iter().map(|d| d.distance_um).fold(5.0, f64::max) + 2.5;
    let mut chart = ChartBuilder::on(root)
        .caption("Co-activity vs distance between spines", font(18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..max_x, 0f64..hi.max(0.05))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("distance between spines (µm)")
        .y_desc("normalized co-activity")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    let mut series: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for d in &s.distance {
        if d.coactivity.is_finite() {
            series
                .entry((d.compartment.clone(), d.condition.clone()))
                .or_default()
                .push((d.distance_um, d.coactivity));
        }
    }
    for (k, ((c, cond), pts)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
            .map_err(err)?
            .label(format!("{c} ({cond})"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))
            .map_err(err)?;
    }
    legend(&mut chart)
}

/// Histograms of follow-up / baseline size per compartment (control), with the class thresholds.
fn size_change<DB: DrawingBackend>(s: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let bins = 30;
    let (lo, hi) = (0.0f64, 3.0f64);
    let width = (hi - lo) / bins as f64;
    let mut groups: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for f in s.spines.iter().filter(|f| f.condition == "control") {
        groups.entry(f.compartment.clone()).or_default().push(f.ratio);
    }
    let hist: Vec<(String, Vec<f64>)> = groups
        .into_iter()
        .map(|(c, v)| {
            let mut h = vec![0.0; bins];
            for r in &v {
                let b = ((r.clamp(lo, hi - 1e-9) - lo) / width) as usize;
                h[b] += 1.0 / v.len() as f64;
            }
            (c, h)
        })
        .collect();
    let top = hist.iter().flat_map(|h| h.1.iter().copied()).fold(0.05, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption("Spine size change (control; stable spines)", font(18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("follow-up / baseline size")
        .y_desc("fraction of spines")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    for (k, (c, h)) in hist.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let pts: Vec<(f64, f64)> = h
            .iter()
            .enumerate()
            .flat_map(|(b, &v)| [(lo + b as f64 * width, v), (lo + (b + 1) as f64 * width, v)])
            .collect();
        chart
            .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
            .map_err(err)?
            .label(c.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    for x in [0.75, 1.5] {
        chart
            .draw_series(LineSeries::new(
                [(x, 0.0), (x, top)],
                BLACK.mix(0.4).stroke_width(1),
            ))
            .map_err(err)?;
    }
    legend(&mut chart)
}

/// Bars: standardized coefficients of local and bAP co-activity per compartment.
fn predictors<DB: DrawingBackend>(s: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let comps = &s.compartments;
    let (lo, hi) = axes_range(comps.iter().flat_map(|c| c.coef_candidates).chain([0.0]), 0.15);
    let mut chart = ChartBuilder::on(root)
        .caption(
            "What predicts enlargement (logistic regression, standardized)",
            font(18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..(comps.len() as f64 * 3.0).max(3.0), lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("coefficient")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    for (k, name) in ["local co-activity", "bAP co-activity"].iter().enumerate() {
        let colour = COLOURS[k];
        chart
            .draw_series(comps.iter().enumerate().map(|(i, c)| {
                let x0 = i as f64 * 3.0 + 0.5 + k as f64;
                Rectangle::new([(x0, 0.0), (x0 + 0.9, c.coef_candidates[k])], colour.filled())
            }))
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    for (i, c) in comps.iter().enumerate() {
        let label = format!(
            "{} → {}  (F1 {:.2} vs {:.2})",
            c.compartment, c.governing, c.macro_f1, c.shuffled_macro_f1
        );
        chart
            .draw_series(std::iter::once(Text::new(
                label,
                (i as f64 * 3.0 + 0.3, lo + 0.05 * (hi - lo)),
                font(13),
            )))
            .map_err(err)?;
    }
    legend(&mut chart)
}

/// Bars: fraction of enlarged spines per compartment, control against each manipulation.
fn manipulations<DB: DrawingBackend>(s: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let m = &s.manipulations;
    let top = m
        .iter()
        .flat_map(|x| [x.frac_enlarged, x.control_frac_enlarged])
        .fold(0.05, f64::max)
        * 1.2;
    let mut chart = ChartBuilder::on(root)
        .caption("Enlarged spines: control vs manipulation", font(18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..(m.len() as f64 * 3.0).max(3.0), 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc("fraction enlarged")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    for (k, name) in ["control", "manipulated"].iter().enumerate() {
        let colour = COLOURS[k];
        chart
            .draw_series(m.iter().enumerate().map(|(i, x)| {
                let v = if k == 0 {
                    x.control_frac_enlarged
                } else {
                    x.frac_enlarged
                };
                let x0 = i as f64 * 3.0 + 0.5 + k as f64;
                Rectangle::new([(x0, 0.0), (x0 + 0.9, v)], colour.filled())
            }))
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    for (i, x) in m.iter().enumerate() {
        let label = format!("{} {} (p {:.1e})", x.compartment, x.condition, x.p);
        chart
            .draw_series(std::iter::once(Text::new(
                label,
                (i as f64 * 3.0 + 0.3, top * 0.95),
                font(13),
            )))
            .map_err(err)?;
    }
    legend(&mut chart)
}

/// Learning curves: success, reaction time and stereotypy per session.
fn learning<DB: DrawingBackend>(s: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let b = &s.behaviour;
    let last = b.iter().map(|x| f64::from(x.session)).fold(1.0, f64::max);
    let rt_max = b
        .iter()
        .map(|x| x.reaction_s)
        .filter(|v| v.is_finite())
        .fold(0.1, f64::max);
    let mut chart = ChartBuilder::on(root)
        .caption(
            "Learning: success, stereotypy and reaction time per session",
            font(18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.5f64..last + 0.5, 0f64..1.05)
        .map_err(err)?
        .set_secondary_coord(0.5f64..last + 0.5, 0f64..rt_max * 1.1);
    chart
        .configure_mesh()
        .x_desc("session")
        .y_desc("success rate, movement correlation")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    chart
        .configure_secondary_axes()
        .y_desc("reaction time (s)")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    let series = |f: fn(&dendra_analysis::study::SessionBehaviour) -> f64| {
        b.iter()
            .map(|x| (f64::from(x.session), f(x)))
            .filter(|p| p.1.is_finite())
            .collect::<Vec<_>>()
    };
    for (k, (name, pts)) in [
        ("success rate", series(|x| x.success)),
        ("movement stereotypy", series(|x| x.stereotypy)),
    ]
    .into_iter()
    .enumerate()
    {
        let colour = COLOURS[k];
        chart
            .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    let colour = COLOURS[2];
    chart
        .draw_secondary_series(LineSeries::new(series(|x| x.reaction_s), colour.stroke_width(2)))
        .map_err(err)?
        .label("reaction time (right axis)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
    chart
        .configure_series_labels()
        .label_font(font(13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::MiddleRight)
        .draw()
        .map_err(err)
}

/// An example field of view: the first dendrite's calcium and up to eight spines' dF/F over
/// the first 20 s of its last imaged session (after learning), with detected events shaded.
fn field_of_view<DB: DrawingBackend>(d: &ImagingData, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let Some(first) = d.dendrite_traces.first() else {
        return Ok(());
    };
    let Some(dend) = d
        .dendrite_traces
        .iter()
        .filter(|t| t.id == first.id)
        .max_by_key(|t| t.session)
    else {
        return Ok(());
    };
    let mut spines: Vec<&dendra_analysis::Spine> =
        d.spines.iter().filter(|s| s.dendrite == dend.id).collect();
    spines.sort_by(|a, b| a.position_um.total_cmp(&b.position_um));
    spines.truncate(8);
    let frames = ((20.0 * d.rate_hz) as usize).min(dend.dff.len());
    let mut rows: Vec<(String, &[f64])> = vec![(format!("dendrite {} Ca", dend.id), &dend.dff[..frames])];
    for s in &spines {
        if let Some(t) = d
            .spine_traces
            .iter()
            .find(|t| t.id == s.id && t.session == dend.session)
        {
            rows.push((
                format!("spine {} @ {:.0} µm", s.id, s.position_um),
                &t.dff[..frames.min(t.dff.len())],
            ));
        }
    }
    let gap = 3.0;
    let t_end = frames as f64 / d.rate_hz;
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "Example field of view (session {}): dF/F and detected events",
                dend.session
            ),
            font(18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(20)
        .build_cartesian_2d(0f64..t_end, -1.5f64..gap * rows.len() as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("time (s)")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    let params = EventParams::default();
    for (k, (name, y)) in rows.iter().enumerate() {
        let base = gap * (rows.len() - 1 - k) as f64;
        let colour = if k == 0 { COLOURS[1] } else { COLOURS[0] };
        let (events, _) = detect(y, d.rate_hz, &params);
        chart
            .draw_series(events.intervals().iter().map(|&(a, b)| {
                Rectangle::new(
                    [
                        (f64::from(a) / d.rate_hz, base - 1.0),
                        (f64::from(b) / d.rate_hz, base + 2.0),
                    ],
                    COLOURS[4].mix(0.25).filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                y.iter()
                    .enumerate()
                    .map(|(f, v)| (f as f64 / d.rate_hz, base + v.clamp(-1.5, 2.5))),
                colour.stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                name.clone(),
                (0.2, base + 1.6),
                font(12),
            )))
            .map_err(err)?;
    }
    Ok(())
}

/// Draw the study's figures into `dir`.
pub fn draw_study(study: &Study, data: &ImagingData, dir: &Path) -> IoResult<Vec<Figure>> {
    std::fs::create_dir_all(dir).map_err(|e| IoError::at(dir, e))?;
    let mut out = Vec::new();
    macro_rules! fig {
        ($src:expr, $name:expr, $caption:expr, $draw:ident) => {
            out.push(render(dir, $name, $caption, &|a| $draw($src, a), &|a| {
                $draw($src, a)
            })?)
        };
    }
    fig!(
        study,
        "learning",
        "Behaviour across sessions (mean over animals): success rate, movement stereotypy (correlation with the session's mean movement) and reaction time.",
        learning
    );
    fig!(
        study,
        "coactivity_distance",
        "Mean normalized co-activity of spine pairs on one dendrite in 5 µm distance bins, per compartment and condition.",
        distance
    );
    fig!(
        study,
        "size_change",
        "Distribution of follow-up / baseline spine size (stable control spines); lines at the shrunk (0.75) and enlarged (1.5) thresholds.",
        size_change
    );
    fig!(
        study,
        "predictors",
        "Standardized coefficients of local and bAP co-activity in a logistic model of enlargement, per compartment; the governing signal and the cross-validated macro-F1 against shuffled labels.",
        predictors
    );
    if !study.manipulations.is_empty() {
        fig!(
            study,
            "manipulation",
            "Fraction of enlarged spines in control and under each manipulation (e.g. Kir), per compartment, with two-proportion p-values.",
            manipulations
        );
    }
    fig!(
        data,
        "field_of_view",
        "An example field of view: dendritic calcium (orange) and spine glutamate dF/F (blue) with detected events shaded.",
        field_of_view
    );
    Ok(out)
}

//! Figures of a run (PNG and SVG) drawn with plotters and a font embedded in the binary, so
//! rendering never depends on the fonts of the machine: a raster plot, population rates, final
//! weight histograms, sampled traces and weights over time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Once;

use base64::Engine;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{IoError, IoResult};
use crate::outdir::write_atomic;
use crate::tables::Tables;

/// The embedded font: DejaVu Sans, subset to Latin, Greek and common symbols (licence in
/// `assets/DejaVuSans-LICENSE.txt`).
pub const FONT_TTF: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");
/// The family name figures use.
const FAMILY: &str = "DejaVu Sans";

static FONT: Once = Once::new();

fn register() {
    FONT.call_once(|| {
        // The bytes are a valid TrueType font checked by a test; a failure would only lose text.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_TTF);
    });
}

/// Colours for series, in order (colour-blind-safe Okabe-Ito palette).
pub const COLOURS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// Size of every figure in pixels.
const SIZE: (u32, u32) = (900, 560);
/// Most neurons per population shown in the raster.
const RASTER_NEURONS: u32 = 200;

/// A figure written to disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Short name (`raster`, `rates`, ...), also the file stem.
    pub name: String,
    /// One-line caption.
    pub caption: String,
    /// The PNG file.
    pub png: PathBuf,
    /// The SVG file.
    pub svg: PathBuf,
}

pub(crate) type DrawResult = Result<(), String>;

pub(crate) fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Draw `f` into `dir/NAME.png` and `dir/NAME.svg` (font embedded in the SVG).
pub(crate) fn render(
    dir: &Path,
    name: &str,
    caption: &str,
    f: &dyn Fn(&DrawingArea<BitMapBackend, Shift>) -> DrawResult,
    g: &dyn Fn(&DrawingArea<SVGBackend, Shift>) -> DrawResult,
) -> IoResult<Figure> {
    register();
    let fail = |message: String| IoError::Figure {
        name: name.to_string(),
        message,
    };
    let png = dir.join(format!("{name}.png"));
    let mut rgb = vec![0u8; 3 * SIZE.0 as usize * SIZE.1 as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(err(e)))?;
        f(&root).map_err(&fail)?;
        root.present().map_err(|e| fail(err(e)))?;
    }
    write_atomic(&png, &encode_png(&rgb, SIZE).map_err(|e| fail(err(e)))?)?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(err(e)))?;
        g(&root).map_err(&fail)?;
        root.present().map_err(|e| fail(err(e)))?;
    }
    let svg = dir.join(format!("{name}.svg"));
    write_atomic(&svg, embed_font(&text).as_bytes())?;
    Ok(Figure {
        name: name.to_string(),
        caption: caption.to_string(),
        png,
        svg,
    })
}

/// An 8-bit RGB image of `size` (width, height) as PNG bytes.
fn encode_png(rgb: &[u8], size: (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// Put the font into the SVG as a data URI so that viewers need no installed font.
fn embed_font(svg: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(FONT_TTF);
    let style = format!(
        "<defs><style>@font-face {{ font-family: '{FAMILY}'; src: url(data:font/ttf;base64,{b64}) format('truetype'); }}</style></defs>"
    );
    match svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1))
    {
        Some(at) => format!("{}{}{}", &svg[..at], style, &svg[at..]),
        None => svg.to_string(),
    }
}

pub(crate) fn font(size: u32) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), f64::from(size), FontStyle::Normal)
}

/// Raster: spike times of up to 200 neurons per recorded population, stacked.
fn raster<DB: DrawingBackend>(t: &Tables, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let t_end_s = t.duration_ms.max(1e-9) / 1000.0;
    let pops: Vec<(&str, u32)> = t
        .populations
        .iter()
        .filter(|(n, _)| t.spikes.population.iter().any(|p| p == n))
        .map(|(n, s)| (n.as_str(), (*s).min(RASTER_NEURONS)))
        .collect();
    let mut offset = BTreeMap::new();
    let mut rows = 0u32;
    for (n, shown) in &pops {
        offset.insert(*n, rows);
        rows += shown;
    }
    let mut chart = ChartBuilder::on(root)
        .caption("Spike raster", font(20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..t_end_s, 0f64..f64::from(rows.max(1)))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("neuron (stacked by population)")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(font(13))
        .axis_desc_style(font(14))
        .disable_mesh()
        .draw()
        .map_err(err)?;
    for (k, (name, shown)) in pops.iter().enumerate() {
        let c = COLOURS[k % COLOURS.len()];
        let base = offset[name];
        let pts = (0..t.spikes.t_ms.len())
            .filter(|&i| t.spikes.population[i] == *name && t.spikes.neuron[i] < *shown)
            .map(|i| {
                (
                    t.spikes.t_ms[i] / 1000.0,
                    f64::from(base + t.spikes.neuron[i]) + 0.5,
                )
            });
        chart
            .draw_series(pts.map(|p| Circle::new(p, 1, c.filled())))
            .map_err(err)?
            .label(format!("{name} (first {shown})"))
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
    }
    legend(&mut chart)
}

pub(crate) fn legend<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> DrawResult
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    legend_at(chart, SeriesLabelPosition::UpperRight)
}

/// The series legend at `position`.
pub(crate) fn legend_at<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> DrawResult
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .label_font(font(13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(position)
        .draw()
        .map_err(err)
}

/// Population rate in time bins (Hz per neuron).
fn rates<DB: DrawingBackend>(t: &Tables, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let dur = t.duration_ms.max(1e-9);
    let bins = ((dur / 10.0).round() as usize).clamp(1, 200);
    let bin_ms = dur / bins as f64;
    let mut series = Vec::new();
    for (name, size) in &t.populations {
        let mut counts = vec![0f64; bins];
        let mut any = false;
        for i in 0..t.spikes.t_ms.len() {
            if &t.spikes.population[i] == name {
                any = true;
                let b = ((t.spikes.t_ms[i] / bin_ms) as usize).min(bins - 1);
                counts[b] += 1.0;
            }
        }
        if any {
            let scale = 1000.0 / bin_ms / f64::from((*size).max(1));
            series.push((
                name.clone(),
                counts.iter().map(|c| c * scale).collect::<Vec<f64>>(),
            ));
        }
    }
    let y_max = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Population rates ({bin_ms:.1} ms bins)"), font(20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0f64..dur / 1000.0, 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("rate per neuron (Hz)")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    for (k, (name, r)) in series.iter().enumerate() {
        let c = COLOURS[k % COLOURS.len()];
        let pts = r
            .iter()
            .enumerate()
            .map(|(b, &v)| ((b as f64 + 0.5) * bin_ms / 1000.0, v));
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(2)))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    legend(&mut chart)
}

/// Final weights of each projection (alive synapses), one histogram panel per projection.
fn weight_histograms<DB: DrawingBackend>(t: &Tables, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let shown: Vec<&crate::synapse_table::FinalWeights> = t
        .final_weights
        .iter()
        .filter(|f| !f.weights.is_empty())
        .take(4)
        .collect();
    let grid = if shown.len() > 2 {
        (2, 2)
    } else {
        (shown.len().max(1), 1)
    };
    let panels = root.split_evenly(grid);
    for (k, (fin, area)) in shown.iter().zip(panels.iter()).enumerate() {
        let name = &fin.projection;
        let w: Vec<f64> = fin.weights.iter().map(|&x| f64::from(x)).collect();
        let (lo, hi) = w.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
        let (lo, hi) = if w.is_empty() {
            (0.0, 1.0)
        } else if hi - lo < 1e-12 {
            (lo - 0.5 * lo.abs().max(1.0), hi + 0.5 * hi.abs().max(1.0))
        } else {
            (lo, hi)
        };
        let bins = 40usize;
        let width = (hi - lo) / bins as f64;
        let mut counts = vec![0u32; bins];
        for &x in &w {
            counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
        }
        let top = f64::from(counts.iter().copied().max().unwrap_or(1).max(1)) * 1.1;
        let c = COLOURS[k % COLOURS.len()];
        let mut chart = ChartBuilder::on(area)
            .caption(format!("Final weights: {name} ({} synapses)", w.len()), font(16))
            .margin(8)
            .x_label_area_size(35)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0f64..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("weight (receptor unit)")
            .y_desc("synapses")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_labels(6)
            .label_style(font(12))
            .axis_desc_style(font(13))
            .disable_mesh()
            .draw()
            .map_err(err)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(b, &n)| {
                let x0 = lo + b as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, f64::from(n))], c.mix(0.8).filled())
            }))
            .map_err(err)?;
    }
    Ok(())
}

/// Up to eight sampled traces, one panel per signal kind.
fn traces<DB: DrawingBackend>(t: &Tables, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let tr = &t.traces;
    let mut keys: Vec<(String, String, u32, String)> = Vec::new();
    for i in 0..tr.t_ms.len() {
        let key = (
            tr.signal[i].clone(),
            tr.population[i].clone(),
            tr.neuron[i],
            tr.compartment[i].clone(),
        );
        if !keys.contains(&key) {
            if keys.len() == 8 {
                continue;
            }
            keys.push(key);
        }
    }
    let mut signals: Vec<&str> = Vec::new();
    for k in &keys {
        if !signals.contains(&k.0.as_str()) {
            signals.push(&k.0);
        }
    }
    let panels = root.split_evenly((signals.len().max(1), 1));
    for (signal, area) in signals.iter().zip(panels.iter()) {
        let mine: Vec<&(String, String, u32, String)> = keys.iter().filter(|k| k.0 == *signal).collect();
        let rows = |k: &(String, String, u32, String)| {
            (0..tr.t_ms.len())
                .filter(|&i| {
                    tr.signal[i] == k.0
                        && tr.population[i] == k.1
                        && tr.neuron[i] == k.2
                        && tr.compartment[i] == k.3
                })
                .map(|i| (tr.t_ms[i] / 1000.0, tr.value[i]))
                .filter(|p| p.1.is_finite())
                .collect::<Vec<_>>()
        };
        let data: Vec<Vec<(f64, f64)>> = mine.iter().map(|k| rows(k)).collect();
        let (lo, hi) = data
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        } else if lo.is_finite() {
            (lo - 1.0, lo + 1.0)
        } else {
            (0.0, 1.0)
        };
        let mut chart = ChartBuilder::on(area)
            .caption(signal.replace('_', " "), font(16))
            .margin(8)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..t.duration_ms.max(1e-9) / 1000.0, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .label_style(font(12))
            .axis_desc_style(font(13))
            .draw()
            .map_err(err)?;
        for (j, (k, pts)) in mine.iter().zip(data).enumerate() {
            let c = COLOURS[j % COLOURS.len()];
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(1)))
                .map_err(err)?
                .label(format!("{} #{} {}", k.1, k.2, k.3))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
        }
        legend(&mut chart)?;
    }
    Ok(())
}

/// Mean weight over time per recorded projection, with the 10-90 % band.
fn weights_over_time<DB: DrawingBackend>(t: &Tables, root: &DrawingArea<DB, Shift>) -> DrawResult {
    let w = &t.weights;
    let mut by: BTreeMap<(String, u64), Vec<f64>> = BTreeMap::new();
    for i in 0..w.t_ms.len() {
        by.entry((w.projection[i].clone(), w.t_ms[i].to_bits()))
            .or_default()
            .push(w.weight[i]);
    }
    let mut series: BTreeMap<String, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
    for ((p, bits), mut v) in by {
        v.sort_by(f64::total_cmp);
        let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        series
            .entry(p)
            .or_default()
            .push((f64::from_bits(bits) / 1000.0, mean, q(0.1), q(0.9)));
    }
    for s in series.values_mut() {
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let (lo, hi) = series
        .values()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.2), b.max(p.3))
        });
    let (lo, hi) = if lo.is_finite() && hi > lo {
        (lo, hi + 0.05 * (hi - lo))
    } else {
        (0.0, 1.0)
    };
    let mut chart = ChartBuilder::on(root)
        .caption("Weights over time (mean, 10-90 % band)", font(20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..t.duration_ms.max(1e-9) / 1000.0, lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("weight")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .draw()
        .map_err(err)?;
    band_lines(&mut chart, series.iter(), 0.2)?;
    legend(&mut chart)
}

/// One line per series through `(x, mean)` over a band from `low` to `high` filled with the
/// line's colour at `band_alpha`; each series is `(name, [(x, mean, low, high)])`, labelled for
/// the legend.
pub(crate) fn band_lines<'n, 'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    series: impl Iterator<Item = (&'n String, &'n Vec<(f64, f64, f64, f64)>)>,
    band_alpha: f64,
) -> DrawResult {
    for (k, (name, pts)) in series.enumerate() {
        let c = COLOURS[k % COLOURS.len()];
        let band: Vec<(f64, f64)> = pts
            .iter()
            .map(|p| (p.0, p.3))
            .chain(pts.iter().rev().map(|p| (p.0, p.2)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, c.mix(band_alpha))))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), c.stroke_width(2)))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
    }
    Ok(())
}

/// [`render`] with one drawing function `draw(tables, area)` for both back ends.
macro_rules! figure {
    ($dir:expr, $t:expr, $name:expr, $caption:expr, $draw:ident) => {
        render($dir, $name, $caption, &|a| $draw($t, a), &|a| $draw($t, a))
    };
}

/// Draw every figure the tables have data for into `dir` (created if needed).
pub fn draw_all(t: &Tables, dir: &Path) -> IoResult<Vec<Figure>> {
    std::fs::create_dir_all(dir).map_err(|e| IoError::at(dir, e))?;
    let mut out = Vec::new();
    if !t.spikes.t_ms.is_empty() {
        let caption = "Spike raster of the recorded populations (at most 200 neurons each).";
        out.push(figure!(dir, t, "raster", caption, raster)?);
        let caption = "Population firing rate per neuron over time.";
        out.push(figure!(dir, t, "rates", caption, rates)?);
    }
    if t.final_weights.iter().any(|f| !f.weights.is_empty()) {
        let caption = "Histograms of the final weights of each projection (first four).";
        out.push(figure!(dir, t, "weights", caption, weight_histograms)?);
    }
    if !t.traces.t_ms.is_empty() {
        let caption = "Sampled signals (first eight series).";
        out.push(figure!(dir, t, "traces", caption, traces)?);
    }
    if !t.weights.t_ms.is_empty() {
        let caption = "Recorded weights over time: mean and 10-90 % band per projection.";
        out.push(figure!(dir, t, "weights_time", caption, weights_over_time)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_loads() {
        assert!(plotters::style::register_font("dendra-test", FontStyle::Normal, FONT_TTF).is_ok());
    }

    #[test]
    fn svg_gets_the_font_inline() {
        let s = embed_font("<svg width=\"1\">x</svg>");
        assert!(s.starts_with("<svg width=\"1\"><defs><style>@font-face"));
        assert!(s.ends_with(">x</svg>"));
    }
}

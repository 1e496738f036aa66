//! The command line: exit codes, messages, outputs, and refusal to overwrite.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dendra(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dendra"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh scratch directory for one test, removed when the test ends.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("dendra-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn list_names_every_builtin() {
    let (code, out, _) = dendra(&["list"]);
    assert_eq!(code, 0);
    for name in [
        "cuba",
        "song2000",
        "urbanczik2014",
        "multirule",
        "izhikevich2007",
        "compartments",
        "wright2025",
        "digits",
        "mnist",
        "fmnist",
        "continual",
    ] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
}

#[test]
fn show_prints_a_spec_that_checks_and_runs() {
    let dir = scratch("show");
    let (code, spec, _) = dendra(&["show", "cuba"]);
    assert_eq!(code, 0);
    assert!(spec.contains("[experiment]"));
    let file = dir.join("my.toml");
    std::fs::write(
        &file,
        spec.replace("size = 3200", "size = 320")
            .replace("size = 800", "size = 80"),
    )
    .unwrap();
    let (code, out, err) = dendra(&["check", s(&file)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok") && out.contains("320"), "{out}");
    let out_dir = dir.join("out");
    let (code, out, err) = dendra(&[
        "run",
        s(&file),
        "--out",
        s(&out_dir),
        "--duration-ms",
        "100",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.trim_start().starts_with('{') && out.contains("\"rate_exc_hz\""),
        "{out}"
    );
    for f in [
        "summary.json",
        "spikes.parquet",
        "synapses.parquet",
        "spec.toml",
        "report.html",
        "figures/raster.png",
        "figures/raster.svg",
    ] {
        assert!(out_dir.join(f).is_file(), "{f} missing");
    }
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).unwrap();
    for key in [
        "\"spec_hash\"",
        "\"seed\"",
        "\"dendra_version\"",
        "\"wall_s\"",
        "\"results\"",
    ] {
        assert!(summary.contains(key), "{key} missing: {summary}");
    }
    // Nothing half-written or staged is left next to the outputs.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `dendra run cuba` for 20 ms into `out`, with `extra` arguments.
fn short_cuba(out: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["run", "cuba", "--out", s(out), "--duration-ms", "20", "-q"];
    args.extend_from_slice(extra);
    dendra(&args)
}

#[test]
fn existing_outputs_are_kept_without_force_and_replaced_with_it() {
    let dir = scratch("force");
    let out = dir.join("out");
    let run = |extra: &[&str]| short_cuba(&out, extra);
    let (code, _, err) = run(&[]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(out.join("stale.txt"), "from before").unwrap();
    let (code, _, err) = run(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("stale.txt")).unwrap(),
        "from before"
    );
    // --force replaces only what dendra wrote: a file the user added blocks it.
    let (code, _, err) = run(&["--force"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`stale.txt` was not written by dendra"), "{err}");
    assert!(out.join("stale.txt").exists());
    std::fs::remove_file(out.join("stale.txt")).unwrap();
    let (code, _, err) = run(&["--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("summary.json").exists() && out.join("manifest.json").exists());
    // A user's directory that happens to hold a summary.json is never replaced, even with
    // --force, and the refusal comes before the simulation.
    let home = dir.join("home");
    for (name, text) in [
        (".ssh/id_ed25519", "key"),
        ("docs/thesis.tex", "thesis"),
        ("summary.json", "{}"),
    ] {
        std::fs::create_dir_all(home.join(name).parent().unwrap()).unwrap();
        std::fs::write(home.join(name), text).unwrap();
    }
    let (code, _, err) = dendra(&[
        "run",
        "cuba",
        "--out",
        s(&home),
        "--duration-ms",
        "1e7",
        "--force",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("manifest.json") && err.contains("nothing was deleted"),
        "{err}"
    );
    for (name, text) in [(".ssh/id_ed25519", "key"), ("docs/thesis.tex", "thesis")] {
        assert_eq!(std::fs::read_to_string(home.join(name)).unwrap(), text);
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "nothing left next to them"
    );
    // The report can be rebuilt from the saved files.
    std::fs::remove_file(out.join("report.html")).unwrap();
    std::fs::remove_dir_all(out.join("figures")).unwrap();
    let (code, _, err) = dendra(&["report", s(&out)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("report.html").exists() && out.join("figures/raster.png").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_with_2_and_says_why() {
    let dir = scratch("bad");
    let out = dir.join("o");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[experiment]\nname = \"x\"\nduration_ms = 10.0\nsed = 3\n").unwrap();
    let o = s(&out);
    for args in [
        &["run", "nosuch", "--out", o][..],
        &["run", "cuba", "--out", o, "--duration-ms", "-5"],
        &["run", "cuba", "--out", o, "--duration-ms", "nan"],
        &["run", "cuba", "--out", o, "--duration-ms", "1e300"],
        &["run", "urbanczik2014", "--out", o, "--duration-ms", "1e300"],
        &["run", "izhikevich2007", "--out", o, "--duration-ms", "1e300"],
        &["run", "multirule", "--out", o, "--duration-ms", "1e300"],
        &["run", s(&bad), "--out", o],
        &["check", s(&bad)],
        &["check", "/nonexistent.toml"],
        &["show", "nosuch"],
        &["report", s(&dir)],
    ] {
        let (code, _, err) = dendra(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("error"), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote outputs");
    }
    let (_, _, err) = dendra(&["check", s(&bad)]);
    assert!(
        err.contains("bad.toml:4:1") && err.contains("did you mean `seed`?"),
        "{err}"
    );
    let (_, _, err) = dendra(&["run", "cuab", "--out", o]);
    assert!(err.contains("did you mean `cuba`?"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Tools the output checks need; CI installs them (`DENDRA_REQUIRE_TOOLS=1` makes their
/// absence a failure rather than a skip).
fn tool_or_skip(name: &str, probe: &[&str]) -> bool {
    let ok = Command::new(name)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("DENDRA_REQUIRE_TOOLS").is_none(),
            "{name} is required (DENDRA_REQUIRE_TOOLS is set) but not usable"
        );
        eprintln!("skipping: {name} not available");
    }
    ok
}

/// A scratch directory holding the outputs of a short run of the `compartments` example (every
/// kind of table and figure).
fn compartments_outputs(name: &str) -> (Scratch, PathBuf) {
    let dir = scratch(name);
    let out = dir.join("out");
    let (code, _, err) = dendra(&[
        "run",
        "compartments",
        "--out",
        s(&out),
        "--duration-ms",
        "600",
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    (dir, out)
}

#[test]
fn pandas_reads_every_table_with_no_extra_steps() {
    if !tool_or_skip("python3", &["-c", "import pandas, pyarrow"]) {
        return;
    }
    let (dir, out) = compartments_outputs("pandas");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/check_outputs.py");
    let o = Command::new("python3").args([script, s(&out)]).output().unwrap();
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_report_renders_in_headless_chromium() {
    if !tool_or_skip("chromium", &["--version"]) {
        return;
    }
    let (dir, out) = compartments_outputs("chromium");
    let shot = dir.join("shot.png");
    let profile = dir.join("profile");
    let o = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", s(&profile)),
            &format!("--screenshot={}", s(&shot)),
            "--window-size=1000,2400",
            &format!("file://{}", s(&out.join("report.html"))),
        ])
        .output()
        .unwrap();
    assert!(
        shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A rendered page with figures is far from blank: its PNG is large.
    let bytes = std::fs::metadata(&shot).unwrap().len();
    assert!(bytes > 50_000, "screenshot only {bytes} bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn report_on_damaged_outputs_is_bad_input_not_a_crash() {
    let dir = scratch("damaged");
    let out = dir.join("out");
    let (code, _, err) = dendra(&["run", "cuba", "--out", s(&out), "--duration-ms", "20", "-q"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(out.join("spikes.parquet"), b"not parquet").unwrap();
    let (code, _, err) = dendra(&["report", s(&out)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("spikes.parquet"), "{err}");
    assert!(
        !err.contains("writing"),
        "a read failure is not called a write failure: {err}"
    );
    std::fs::write(out.join("summary.json"), b"{ truncated").unwrap();
    let (code, _, err) = dendra(&["report", s(&out)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("summary.json"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A small `wright2025` run (one animal per group, three sessions) and its output directory.
fn small_study(name: &str) -> (Scratch, PathBuf) {
    let dir = scratch(name);
    let (code, spec, _) = dendra(&["show", "wright2025"]);
    assert_eq!(code, 0);
    let small = spec
        .replace("apical_animals = 10", "apical_animals = 1")
        .replace("basal_animals = 12", "basal_animals = 1")
        .replace("apical_kir_animals = 7", "apical_kir_animals = 1")
        .replace("basal_kir_animals = 5", "basal_kir_animals = 1")
        .replace("sessions = 14", "sessions = 3")
        .replace(
            "imaged_sessions = [1, 2, 3, 6, 7, 8, 11, 12, 13]",
            "imaged_sessions = [1, 3]",
        );
    let file = dir.join("small.toml");
    std::fs::write(&file, small).unwrap();
    let out = dir.join("study");
    let (code, _, err) = dendra(&["run", s(&file), "--out", s(&out), "-q"]);
    assert_eq!(code, 0, "{err}");
    (dir, out)
}

#[test]
fn a_study_writes_recordings_that_analyze_reads_back() {
    let (dir, out) = small_study("study");
    for f in [
        "summary.json",
        "analysis.json",
        "spine_features.parquet",
        "report.html",
        "imaging/spines.parquet",
        "imaging/spine_traces.parquet",
        "imaging/dendrite_traces.parquet",
        "imaging/trials.parquet",
        "imaging/soma_traces.parquet",
        "settings.json",
        "figures/learning.png",
        "figures/field_of_view.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let ana = dir.join("ana");
    let (code, stdout, err) = dendra(&["analyze", s(&out), "--out", s(&ana), "--json"]);
    assert_eq!(code, 0, "{err}");
    let results: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(results["spines_apical"].as_f64().unwrap() > 0.0, "{results}");
    assert!(results["governing_basal"].is_string());
    assert!(ana.join("analysis.json").is_file() && ana.join("figures/predictors.png").is_file());
    assert!(
        !ana.join("imaging").exists(),
        "analyze must not copy the input data"
    );
    // The paper profile, chosen by the settings file, writes per-session features.
    let settings = dir.join("paper.toml");
    std::fs::write(
        &settings,
        "profile = \"paper\"\n[paper]\nchance_iterations = 20\n",
    )
    .unwrap();
    let paper = dir.join("paper");
    let (code, stdout, err) = dendra(&[
        "analyze",
        s(&out),
        "--out",
        s(&paper),
        "--settings",
        s(&settings),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        r["analysed_apical"].as_f64() <= r["spines_apical"].as_f64(),
        "{r}"
    );
    assert!(paper.join("session_features.parquet").is_file());
    let saved = std::fs::read_to_string(paper.join("settings.json")).unwrap();
    assert!(saved.contains("\"profile\": \"paper\""), "{saved}");
    std::fs::write(&settings, "profile = \"papers\"\n").unwrap();
    let (code, _, err) = dendra(&[
        "analyze",
        s(&out),
        "--out",
        s(&dir.join("bad")),
        "--settings",
        s(&settings),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("paper.toml") && err.contains("profile"), "{err}");
    // The report of both rebuilds from the saved files.
    for d in [&out, &ana, &paper] {
        std::fs::remove_file(d.join("report.html")).unwrap();
        let (code, _, err) = dendra(&["report", s(d)]);
        assert_eq!(code, 0, "{err}");
        assert!(d.join("report.html").is_file());
    }
    if tool_or_skip("python3", &["-c", "import pandas, pyarrow"]) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/check_outputs.py");
        let o = Command::new("python3").args([script, s(&out)]).output().unwrap();
        assert!(
            o.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A minimal data set in CSV: one dendrite with three spines, two sessions of 600 frames at
/// 30 Hz, events every 2 s on spines 1 and 2 together, then `edit` applied to the files.
fn csv_data(dir: &Path, edit: impl Fn(&str, String) -> String) {
    let rate = 30.0;
    let mut spines = String::from(
        "spine,animal,group,condition,dendrite,compartment,position_um,size_baseline,size_followup\n",
    );
    for (k, pos, base, follow) in [(1, 5.0, 1.0, "1.8"), (2, 8.0, 1.0, "1.7"), (3, 30.0, 1.0, "")] {
        spines.push_str(&format!("{k},m1,apical,control,7,apical,{pos},{base},{follow}\n"));
    }
    let trace = |id: u32, session: u32, with_events: bool| {
        let mut s = String::new();
        for f in 0..600u32 {
            let t = f64::from(f) / rate;
            let phase = (t + 0.01 * f64::from(id)) % 2.0;
            let event = if with_events && phase < 0.3 {
                1.5 * (-phase / 0.1).exp()
            } else {
                0.0
            };
            let noise = 0.05 * ((f64::from(f) * 12.9898 + f64::from(id) * 78.233).sin() * 43_758.545).fract();
            s.push_str(&format!("{id},{session},{t:.6},{:.5}\n", event + noise));
        }
        s
    };
    let mut st = String::from("spine,session,t_s,dff\n");
    let mut dt = String::from("dendrite,session,t_s,dff\n");
    for session in [1, 2] {
        for id in [1, 2, 3] {
            st.push_str(&trace(id, session, id != 3));
        }
        dt.push_str(&trace(7, session, true));
    }
    let trials = "animal,session,trial,cue_s,press_s,rewarded\nm1,1,1,0.5,0.9,true\nm1,1,2,5.5,,false\nm1,2,1,0.5,0.7,1\n";
    for (name, text) in [
        ("spines", spines),
        ("spine_traces", st),
        ("dendrite_traces", dt),
        ("trials", trials.to_string()),
    ] {
        std::fs::write(dir.join(format!("{name}.csv")), edit(name, text)).unwrap();
    }
}

#[test]
fn analyze_reads_csv_and_rejects_bad_data_with_file_row_and_column() {
    let dir = scratch("csv");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    csv_data(&data, |_, t| t);
    let (code, _, err) = dendra(&[
        "analyze",
        s(&data.join("spines.csv")),
        "--out",
        s(&dir.join("ok")),
        "-q",
    ]);
    assert_eq!(code, 0, "{err}");
    /// A file edit: `(table name, text) -> new text`.
    type Edit = Box<dyn Fn(&str, String) -> String>;
    let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
        (
            "missing column",
            Box::new(|n, t| {
                if n == "spines" {
                    t.replace("position_um", "pos")
                } else {
                    t
                }
            }),
            vec!["spines.csv", "position_um"],
        ),
        (
            "not a number",
            Box::new(|n, t| {
                if n == "spine_traces" {
                    t.replacen("1,1,0.000000,", "1,1,0.000000,abc", 1)
                } else {
                    t
                }
            }),
            vec!["spine_traces.csv", "row 1 (line 2)", "dff", "abc"],
        ),
        (
            "NaN dF/F",
            Box::new(|n, t| {
                if n == "dendrite_traces" {
                    t.replacen("7,1,0.033333,", "7,1,0.033333,NaN", 1)
                        .replacen("NaN0", "NaN", 1)
                } else {
                    t
                }
            }),
            vec!["dendrite_traces", "dff", "NaN"],
        ),
        (
            "unequal lengths",
            Box::new(|n, t| {
                if n == "spine_traces" {
                    t.lines()
                        .filter(|l| !l.starts_with("2,1,19.9"))
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    t
                }
            }),
            vec!["spine_traces", "frames", "spine 2"],
        ),
        (
            "times in ms",
            Box::new(|n, t| {
                if n == "spine_traces" {
                    t.lines()
                        .enumerate()
                        .map(|(i, l)| {
                            if i == 0 {
                                return l.to_string();
                            }
                            let mut c: Vec<String> = l.split(',').map(str::to_string).collect();
                            c[2] = format!("{}", c[2].parse::<f64>().unwrap() * 1000.0);
                            c.join(",")
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    t
                }
            }),
            vec!["spine_traces.csv", "t_s", "ms"],
        ),
        (
            "position in nm",
            Box::new(|n, t| {
                if n == "spines" {
                    t.replace(",30,1,", ",30000,1,")
                } else {
                    t
                }
            }),
            vec!["spines.csv", "position_um", "30000"],
        ),
        (
            "unknown spine",
            Box::new(|n, t| {
                if n == "spine_traces" {
                    t.replace("\n3,", "\n4,")
                } else {
                    t
                }
            }),
            vec!["spine_traces", "spine", "4"],
        ),
        (
            "no trials",
            Box::new(|n, t| {
                if n == "trials" {
                    t.lines().next().unwrap_or_default().to_string()
                } else {
                    t
                }
            }),
            vec!["trials.csv", "no rows"],
        ),
        (
            "dF/F beyond any fraction",
            Box::new(|n, t| {
                if n == "spine_traces" {
                    t.replacen("1,1,0.000000,", "1,1,0.000000,1e155", 1)
                        .replacen("1e1550", "1e155", 1)
                } else {
                    t
                }
            }),
            vec!["spine_traces", "dff", "1e155"],
        ),
    ];
    for (what, edit, needles) in cases {
        let bad = dir.join(what.replace([' ', '/'], "_"));
        std::fs::create_dir_all(&bad).unwrap();
        csv_data(&bad, &edit);
        let out = dir.join(format!("out_{}", what.replace([' ', '/'], "_")));
        let (code, _, err) = dendra(&["analyze", s(&bad), "--out", s(&out)]);
        assert_eq!(code, 2, "{what}: {err}");
        for n in needles {
            assert!(err.contains(n), "{what}: `{n}` not in: {err}");
        }
        assert!(!out.exists(), "{what}: output left behind");
    }
    // A table given twice (Parquet and CSV) is ambiguous.
    let twice = dir.join("twice");
    std::fs::create_dir_all(&twice).unwrap();
    csv_data(&twice, |_, t| t);
    std::fs::write(twice.join("trials.parquet"), b"PAR1").unwrap();
    let (code, _, err) = dendra(&["analyze", s(&twice), "--out", s(&dir.join("out_twice"))]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("two versions of table `trials`"), "{err}");
    let (code, _, err) = dendra(&[
        "analyze",
        s(&dir.join("nothing-here")),
        "--out",
        s(&dir.join("x")),
    ]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A small learning benchmark writes its curves, figure, summary and report, and `report`
/// redraws them from what it wrote.
#[test]
fn a_learning_benchmark_writes_curves_figure_and_report() {
    let dir = scratch("learning");
    let (_, spec, _) = dendra(&["show", "digits"]);
    let small = spec
        .replace("seeds = 5", "seeds = 2")
        .replace("epochs = 30", "epochs = 2")
        .replace("hidden = [256]", "hidden = [32]")
        .replace("ablations = [\"basal_off\", \"apical_off\", \"distal_off\", \"lesion_apical\", \"lesion_distal\"]", "ablations = [\"apical_off\"]");
    let file = dir.join("small.toml");
    std::fs::write(&file, small).unwrap();
    let out = dir.join("out");
    let (code, stdout, err) = dendra(&["run", s(&file), "--out", s(&out), "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("multi_rule_accuracy_mean"), "{stdout}");
    for f in [
        "summary.json",
        "spec.toml",
        "learning_curves.parquet",
        "figures/learning_curves.png",
        "figures/learning_curves.svg",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let curves = dendra_io::learning_io::read_curves(&out.join("learning_curves.parquet")).unwrap();
    // 6 learners (5 variants + 1 ablation) x 2 seeds x 2 epochs.
    assert_eq!(curves.points.len(), 24);
    assert!(
        curves
            .points
            .iter()
            .all(|p| (0.0..=1.0).contains(&p.test_accuracy))
    );
    std::fs::remove_file(out.join("report.html")).unwrap();
    let (code, _, err) = dendra(&["report", s(&out)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read_to_string(out.join("report.html"))
            .unwrap()
            .contains("learning_curves")
    );
    // Missing MNIST data is the user's to fix: exit 2 with the way to get it.
    if std::env::var_os("DENDRA_DATA").is_none() {
        let (code, _, err) = dendra(&["run", "mnist", "--out", s(&dir.join("mn"))]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("fetch_mnist.py"), "{err}");
    }
}

#[test]
fn what_killed_runs_left_is_recovered_and_never_reported_on() {
    let dir = scratch("killed");
    let out = dir.join("out");
    let run = |extra: &[&str]| short_cuba(&out, extra);
    let (code, _, err) = run(&[]);
    assert_eq!(code, 0, "{err}");
    // A run killed while writing leaves a staging directory; one killed inside --force, between
    // its renames, leaves the old output set aside (here under the name older versions used).
    let partial = dir.join(".out.partial-999999");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("summary.json"), "{}").unwrap();
    let (code, _, err) = dendra(&["report", s(&partial)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("staging directory"), "{err}");
    std::fs::rename(&out, dir.join(".out.old")).unwrap();
    let (code, _, err) = run(&["--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("restored") && err.contains("removed"), "{err}");
    let (code, _, err) = run(&["--force"]);
    assert_eq!(code, 0, "{err}");
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["out"]);
    // The report of a complete output is rebuilt and stays replaceable.
    let (code, _, err) = dendra(&["report", s(&out)]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&["--force"]);
    assert_eq!(code, 0, "{err}");
}

/// `dendra ARGS`, killed (and the test failed) if it runs longer than `limit_s`.
fn dendra_within(args: &[&str], limit_s: u64) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dendra"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code().unwrap_or(-1), err);
        }
        if start.elapsed().as_secs() > limit_s {
            let _ = child.kill();
            panic!("dendra {args:?} still running after {limit_s} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn specs_that_are_not_regular_files_are_refused_at_once() {
    let (code, err) = dendra_within(&["check", "/dev/zero"], 20);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("regular file"), "{err}");
    let dir = scratch("fifo");
    let fifo = dir.join("spec.toml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        for args in [vec!["check", s(&fifo)], vec!["run", s(&fifo), "--out", "unused"]] {
            let (code, err) = dendra_within(&args, 20);
            assert_eq!(code, 2, "{err}");
            assert!(err.contains("regular file"), "{err}");
        }
    }
}

#[test]
fn a_network_too_large_for_memory_is_refused_before_it_allocates() {
    let dir = scratch("memory");
    let (_, cuba, _) = dendra(&["show", "cuba"]);
    // A delay of 1000 s: an input ring of 10^7 steps per neuron (some 600 GiB).
    let spec = dir.join("long_delay.toml");
    std::fs::write(&spec, cuba.replacen("delay_ms = 0.1", "delay_ms = 1e6", 1)).unwrap();
    let (code, _, err) = dendra_with_limit(&["run", s(&spec), "--out", s(&dir.join("o"))]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("long_delay.toml:") && err.contains("projections[0].delay_ms"),
        "{err}"
    );
    assert!(err.contains("GiB"), "{err}");
    assert!(!dir.join("o").exists());
    // The limit can be set: CUBA itself (about 10^6 synapses) does not fit in 1 MiB.
    let (code, _, err) = dendra(&[
        "run",
        "cuba",
        "--out",
        s(&dir.join("o")),
        "--max-memory-gib",
        "0.001",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("projections[") && err.contains("synapses"), "{err}");
    // `check` says how much a spec needs.
    let (code, out, _) = dendra(&["check", s(&spec)]);
    assert_eq!(code, 0);
    assert!(out.contains("memory") && out.contains("GiB"), "{out}");
}

/// Recorded spikes cannot outgrow the memory: a run that records more than fit in what the
/// network leaves of `--max-memory-gib` stops with exit 2 at `recording.spikes`, and writes
/// nothing.
#[test]
fn recorded_spikes_stop_at_the_memory_limit() {
    let dir = scratch("spike_limit");
    // 2000 sources at 1 kHz for 1 s: 2e6 recorded spikes, more than the 10^6 (the least the
    // limit allows) that fit in 1 MiB.
    let spec = dir.join("loud.toml");
    std::fs::write(
        &spec,
        "[experiment]\nname = \"loud\"\nduration_ms = 1000.0\n\n[[populations]]\nname = \"in\"\nsize = 2000\nsource = { kind = \"poisson\", rate_hz = 1000.0 }\n\n[recording]\nspikes = [\"in\"]\n",
    )
    .unwrap();
    let run = |gib: &str| {
        dendra(&[
            "run",
            s(&spec),
            "--out",
            s(&dir.join("o")),
            "--max-memory-gib",
            gib,
        ])
    };
    let (code, _, err) = run("0.001");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("recording.spikes") && err.contains("--max-memory-gib"),
        "{err}"
    );
    assert!(!dir.join("o").exists());
    // With room for them, the same run records them all.
    let (code, _, err) = run("2");
    assert_eq!(code, 0, "{err}");
}

/// `dendra ARGS` with a memory limit that every machine has (so that the test does not
/// depend on the machine's free memory).
fn dendra_with_limit(args: &[&str]) -> (i32, String, String) {
    let mut a = args.to_vec();
    a.extend(["--max-memory-gib", "16"]);
    dendra(&a)
}

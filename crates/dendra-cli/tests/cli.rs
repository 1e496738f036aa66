//! The command line: exit codes and messages for good and bad input.

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

#[test]
fn list_names_every_builtin() {
    let (code, out, _) = dendra(&["list"]);
    assert_eq!(code, 0);
    for name in ["cuba", "song2000", "urbanczik2014", "multirule", "izhikevich2007"] {
        assert!(out.contains(name), "{name} missing from:\n{out}");
    }
}

#[test]
fn short_run_prints_a_json_summary() {
    let (code, out, _) = dendra(&["run", "cuba", "--duration-ms", "50", "--json", "--threads", "2"]);
    assert_eq!(code, 0);
    assert!(
        out.trim_start().starts_with('{') && out.contains("\"rate_mean_hz\""),
        "{out}"
    );
}

#[test]
fn bad_input_exits_with_2_and_says_why() {
    for args in [
        &["run", "nosuch"][..],
        &["run", "cuba", "--duration-ms", "-5"],
        &["run", "cuba", "--duration-ms", "nan"],
        &["run", "cuba", "--duration-ms", "1e300"],
        &["run", "urbanczik2014", "--duration-ms", "1e300"],
        &["run", "izhikevich2007", "--duration-ms", "1e300"],
        &["run", "multirule", "--duration-ms", "1e300"],
        &["run", "cuba", "--threads", "0"],
    ] {
        let (code, _, err) = dendra(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("error"), "{args:?}: {err}");
    }
}

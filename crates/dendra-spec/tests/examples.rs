//! Every file under `examples/` parses and builds.

use dendra_spec::Spec;

#[test]
fn every_example_builds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let spec = Spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
            spec.plan().unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 2, "found {n} examples");
}

use super::*;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dendra-io-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A finished output at `target` with the given files.
fn output(target: &Path, files: &[(&str, &str)]) {
    let s = Staging::new(target, true).unwrap();
    for (name, content) in files {
        let p = s.path().join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        write_atomic(&p, content.as_bytes()).unwrap();
    }
    s.commit().unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn nonempty_targets_need_force_and_are_replaced_whole() {
    let root = scratch("outdir");
    let target = root.join("out");
    output(&target, &[("summary.json", "{}"), ("old.txt", "old")]);
    let e = Staging::new(&target, false).unwrap_err();
    assert!(e.to_string().contains("--force"), "{e}");
    assert_eq!(fs::read_to_string(target.join("old.txt")).unwrap(), "old");
    let s = Staging::new(&target, true).unwrap();
    write_atomic(&s.path().join("new.txt"), b"new").unwrap();
    // Until commit, the old outputs are untouched.
    assert!(target.join("old.txt").exists());
    s.commit().unwrap();
    assert!(!target.join("old.txt").exists());
    assert_eq!(fs::read_to_string(target.join("new.txt")).unwrap(), "new");
    assert_eq!(names(&root), ["out"], "no aside, staging or lock left");
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn force_never_touches_a_directory_dendra_did_not_write() {
    // A user's home that happens to hold a summary.json.
    let root = scratch("home");
    let home = root.join("home");
    fs::create_dir_all(home.join(".ssh")).unwrap();
    fs::create_dir_all(home.join("docs")).unwrap();
    fs::write(home.join(".ssh/id_ed25519"), "key").unwrap();
    fs::write(home.join("docs/thesis.tex"), "thesis").unwrap();
    fs::write(home.join("summary.json"), "{}").unwrap();
    let e = Staging::new(&home, true).unwrap_err().to_string();
    assert!(
        e.contains("no manifest.json") && e.contains("nothing was deleted"),
        "{e}"
    );
    // A forged manifest that lists some files but not others does not help either.
    fs::write(
        home.join("manifest.json"),
        r#"{"format": "dendra-output-manifest/1", "dendra_version": "0", "files": []}"#,
    )
    .unwrap();
    let e = Staging::new(&home, true).unwrap_err().to_string();
    assert!(e.contains("`summary.json` was not written by dendra"), "{e}");
    assert_eq!(
        fs::read_to_string(home.join("docs/thesis.tex")).unwrap(),
        "thesis"
    );
    assert_eq!(fs::read_to_string(home.join(".ssh/id_ed25519")).unwrap(), "key");
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn an_output_the_user_added_to_or_edited_is_not_replaced() {
    let root = scratch("edited");
    let target = root.join("out");
    output(&target, &[("summary.json", "{}"), ("figures/a.svg", "<svg/>")]);
    fs::write(target.join("figures/notes.txt"), "mine").unwrap();
    let e = Staging::new(&target, true).unwrap_err().to_string();
    assert!(e.contains("figures/notes.txt"), "{e}");
    fs::remove_file(target.join("figures/notes.txt")).unwrap();
    fs::write(target.join("summary.json"), "{\"edited\": 1}").unwrap();
    let e = Staging::new(&target, true).unwrap_err().to_string();
    assert!(e.contains("`summary.json` was changed"), "{e}");
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_target_filled_during_the_run_keeps_both() {
    let root = scratch("filled");
    let target = root.join("out");
    let s = Staging::new(&target, true).unwrap();
    write_atomic(&s.path().join("summary.json"), b"{}").unwrap();
    fs::create_dir_all(&target).unwrap();
    fs::write(target.join("theirs.txt"), "theirs").unwrap();
    let e = s.commit().unwrap_err().to_string();
    assert!(e.contains("the new outputs are in"), "{e}");
    let kept = names(&root);
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(kept[1].starts_with("out.new-"), "{kept:?}");
    assert!(root.join(&kept[1]).join("manifest.json").is_file());
    assert_eq!(fs::read_to_string(target.join("theirs.txt")).unwrap(), "theirs");
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_failed_run_leaves_no_target_and_no_staging() {
    let root = scratch("fail");
    let target = root.join("out");
    {
        let s = Staging::new(&target, false).unwrap();
        write_atomic(&s.path().join("x"), b"1").unwrap();
    }
    assert!(!target.exists());
    assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn empty_existing_directory_is_fine_and_files_are_refused() {
    let root = scratch("empty");
    let target = root.join("out");
    fs::create_dir_all(&target).unwrap();
    Staging::new(&target, false).unwrap().commit().unwrap();
    let file = root.join("file");
    fs::write(&file, "x").unwrap();
    assert!(Staging::new(&file, true).is_err());
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn stale_staging_of_killed_runs_is_removed_on_start() {
    let root = scratch("stale");
    let target = root.join("out");
    // What a run killed while writing leaves (old and new naming).
    for stale in [".out.partial-4242", ".out.partial-4243-18c0ffee"] {
        fs::create_dir_all(root.join(stale)).unwrap();
        fs::write(root.join(stale).join("summary.json"), "{}").unwrap();
    }
    fs::create_dir_all(root.join(".other.partial-1")).unwrap();
    let s = Staging::new(&target, false).unwrap();
    assert_eq!(s.notes().len(), 2, "{:?}", s.notes());
    s.commit().unwrap();
    assert_eq!(names(&root), [".other.partial-1", "out"]);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_force_killed_between_its_renames_is_recovered() {
    let root = scratch("killed");
    let target = root.join("out");
    output(&target, &[("summary.json", "{\"run\": 1}")]);
    // Killed after moving the old output aside, before the new one landed: the old one is
    // restored, and the next --force works.
    fs::rename(&target, root.join(".out.replaced-77-abc")).unwrap();
    fs::create_dir_all(root.join(".out.partial-77-abc")).unwrap();
    let s = Staging::new(&target, true).unwrap();
    assert!(
        s.notes().iter().any(|n| n.contains("restored")),
        "{:?}",
        s.notes()
    );
    assert_eq!(
        fs::read_to_string(target.join("summary.json")).unwrap(),
        "{\"run\": 1}"
    );
    write_atomic(&s.path().join("summary.json"), b"{\"run\": 2}").unwrap();
    s.commit().unwrap();
    // Killed after the new one landed, before the old one was deleted: the old one goes.
    output(&root.join("scratch"), &[("summary.json", "{\"run\": 0}")]);
    fs::rename(root.join("scratch"), root.join(".out.replaced-78-abd")).unwrap();
    let s = Staging::new(&target, true).unwrap();
    assert!(s.notes().iter().any(|n| n.contains("removed")), "{:?}", s.notes());
    s.commit().unwrap();
    assert_eq!(names(&root), ["out"]);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn two_writers_of_one_directory_do_not_mix() {
    let root = scratch("two");
    let target = root.join("out");
    let a = Staging::new(&target, false).unwrap();
    let e = Staging::new(&target, true).unwrap_err().to_string();
    assert!(e.contains("another dendra process"), "{e}");
    a.commit().unwrap();
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn updating_needs_a_complete_output_and_lists_what_it_wrote() {
    let root = scratch("update");
    let target = root.join("out");
    fs::create_dir_all(root.join(".out.partial-9")).unwrap();
    fs::write(root.join(".out.partial-9/summary.json"), "{}").unwrap();
    let e = Updating::open(&root.join(".out.partial-9"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("staging directory"), "{e}");
    fs::create_dir_all(&target).unwrap();
    fs::write(target.join("summary.json"), "{}").unwrap();
    let e = Updating::open(&target).unwrap_err().to_string();
    assert!(e.contains("no manifest.json"), "{e}");
    fs::remove_dir_all(&target).unwrap();
    output(&target, &[("summary.json", "{}")]);
    let u = Updating::open(&target).unwrap();
    write_atomic(&u.path().join("report.html"), b"<html>").unwrap();
    u.finish().unwrap();
    assert!(manifest::verify(&target).is_ok());
    fs::remove_dir_all(&root).unwrap();
}

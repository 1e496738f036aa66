//! The manifest of an output directory: `manifest.json`, written last into every directory that
//! dendra fills, lists each file it wrote with its size and SHA-256.
//!
//! It is what makes a directory *provably* dendra's: `--force` replaces a directory only when
//! every file in it is listed in its manifest with the same size and digest (nothing added,
//! nothing edited), and removing an old output deletes exactly the files that were checked
//! against it, never a whole tree.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{IoError, IoResult};
use crate::outdir::write_atomic;

/// File name of the manifest inside an output directory.
pub const MANIFEST: &str = "manifest.json";

/// The value of the manifest's `format` key.
const FORMAT: &str = "dendra-output-manifest/1";

/// The largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// At most this many problems are named in a refusal (the rest are counted).
const SHOWN_PROBLEMS: usize = 6;

/// One file that dendra wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Path relative to the output directory, components separated by `/`.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
}

/// What `manifest.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `dendra-output-manifest/1`.
    pub format: String,
    /// Version of the dendra that wrote the directory.
    pub dendra_version: String,
    /// Every file dendra wrote there, sorted by path (the manifest itself excluded).
    pub files: Vec<Entry>,
}

/// A file found on disk: its relative name, full path, size and modification time.
#[derive(Debug, Clone)]
pub struct Found {
    /// Relative path with `/` separators.
    pub rel: String,
    /// Full path.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time, where the platform gives one.
    pub modified: Option<SystemTime>,
}

/// The regular files under `dir` (not the manifest), and the entries that are neither regular
/// files nor directories (links, sockets, ...), which no dendra output holds.
pub fn walk(dir: &Path) -> IoResult<(Vec<Found>, Vec<String>)> {
    let mut files = Vec::new();
    let mut odd = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).map_err(|e| IoError::at(&d, e))? {
            let e = e.map_err(|e| IoError::at(&d, e))?;
            let path = e.path();
            let meta = fs::symlink_metadata(&path).map_err(|e| IoError::at(&path, e))?;
            let rel = relative(dir, &path);
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                if rel != MANIFEST {
                    files.push(Found {
                        rel,
                        path,
                        bytes: meta.len(),
                        modified: meta.modified().ok(),
                    });
                }
            } else {
                odd.push(rel);
            }
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    odd.sort();
    Ok((files, odd))
}

fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// SHA-256 of a file's content, lower-case hex.
pub fn sha256_file(path: &Path) -> IoResult<String> {
    let mut f = fs::File::open(path).map_err(|e| IoError::at(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| IoError::at(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

impl Manifest {
    /// The manifest of everything now under `dir` (used on a staging directory that only
    /// dendra has written to).
    pub fn of_dir(dir: &Path) -> IoResult<Manifest> {
        let (files, odd) = walk(dir)?;
        if let Some(o) = odd.first() {
            return Err(IoError::Refused(format!(
                "{}: `{o}` is not a regular file; an output directory holds only files",
                dir.display()
            )));
        }
        let files = files
            .iter()
            .map(|f| {
                Ok(Entry {
                    path: f.rel.clone(),
                    bytes: f.bytes,
                    sha256: sha256_file(&f.path)?,
                })
            })
            .collect::<IoResult<Vec<_>>>()?;
        Ok(Manifest {
            format: FORMAT.into(),
            dendra_version: env!("CARGO_PKG_VERSION").into(),
            files,
        })
    }

    /// Write `dir/manifest.json` (atomically).
    pub fn write(&self, dir: &Path) -> IoResult<()> {
        let text = serde_json::to_string_pretty(self).expect("a manifest serialises");
        write_atomic(&dir.join(MANIFEST), text.as_bytes())
    }

    /// Read `dir/manifest.json`: `Ok(None)` when there is none, an error when it is not one.
    pub fn read(dir: &Path) -> IoResult<Option<Manifest>> {
        let path = dir.join(MANIFEST);
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(IoError::at(&path, e)),
        };
        // Not a link to a file elsewhere; the size cap is the reader's.
        if !meta.is_file() {
            return Err(IoError::format(
                &path,
                "not a dendra manifest (not a regular file)",
            ));
        }
        let text = crate::error::read_input_text(&path, MAX_MANIFEST_BYTES)?;
        let m: Manifest = serde_json::from_str(&text)
            .map_err(|e| IoError::format(&path, format!("not a dendra manifest: {e}")))?;
        if m.format != FORMAT {
            return Err(IoError::format(
                &path,
                format!(
                    "not a dendra manifest: format `{}`, expected `{FORMAT}`",
                    m.format
                ),
            ));
        }
        Ok(Some(m))
    }

    fn by_path(&self) -> BTreeMap<&str, &Entry> {
        self.files.iter().map(|e| (e.path.as_str(), e)).collect()
    }
}

/// A directory checked against its manifest: every file in it is one that dendra wrote and
/// has not changed since.
#[derive(Debug)]
pub struct Verified {
    /// The directory.
    pub dir: PathBuf,
    /// Its files, each matching its manifest entry.
    pub files: Vec<Found>,
}

/// Check that every file under `dir` is listed in its manifest with the same size and SHA-256.
/// The error lists what does not match (a missing manifest, files dendra did not write, files
/// changed since), as a sentence for the user.
pub fn verify(dir: &Path) -> IoResult<Verified> {
    let manifest = match Manifest::read(dir) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(IoError::Refused(format!(
                "{} holds no {MANIFEST}: it is not a complete output of this version of dendra",
                dir.display()
            )));
        }
        Err(e) => return Err(IoError::Refused(e.to_string())),
    };
    let listed = manifest.by_path();
    let (files, odd) = walk(dir)?;
    let mut problems: Vec<String> = odd
        .iter()
        .map(|o| format!("`{o}` is not a regular file"))
        .collect();
    for f in &files {
        match listed.get(f.rel.as_str()) {
            None => problems.push(format!("`{}` was not written by dendra", f.rel)),
            Some(e) if e.bytes != f.bytes || e.sha256 != sha256_file(&f.path)? => {
                problems.push(format!("`{}` was changed after dendra wrote it", f.rel))
            }
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        return Ok(Verified {
            dir: dir.to_path_buf(),
            files,
        });
    }
    let more = problems.len().saturating_sub(SHOWN_PROBLEMS);
    problems.truncate(SHOWN_PROBLEMS);
    let mut list = problems.join("; ");
    if more > 0 {
        list.push_str(&format!("; and {more} more"));
    }
    Err(IoError::Refused(format!("{}: {list}", dir.display())))
}

impl Verified {
    /// Delete the checked files, the manifest, and then the directories left empty. Anything
    /// that appeared since the check stays (and so does its directory); returns whether `dir`
    /// itself is gone.
    pub fn remove(self) -> IoResult<bool> {
        for f in &self.files {
            match fs::remove_file(&f.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(IoError::at(&f.path, e)),
            }
        }
        let manifest = self.dir.join(MANIFEST);
        let _ = fs::remove_file(&manifest);
        Ok(remove_empty_dirs(&self.dir))
    }
}

/// Remove `dir` and its subdirectories where they are empty (deepest first); whether `dir` is
/// gone.
fn remove_empty_dirs(dir: &Path) -> bool {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&e.path());
            }
        }
    }
    fs::remove_dir(dir).is_ok()
}

/// What an output directory held before an update in place (`dendra report`): used to tell
/// the files the update wrote from files the user put there.
#[derive(Debug)]
pub struct Snapshot {
    manifest: Manifest,
    before: BTreeMap<String, (u64, Option<SystemTime>)>,
}

impl Snapshot {
    /// Read the manifest of `dir` (required: a directory without one is not a complete output)
    /// and note every file's size and time.
    pub fn take(dir: &Path) -> IoResult<Snapshot> {
        let manifest = Manifest::read(dir)?.ok_or_else(|| {
            IoError::Refused(format!(
                "{} holds no {MANIFEST}: not a complete output directory of dendra (an \
                 interrupted run, or one written by another program or an older dendra)",
                dir.display()
            ))
        })?;
        let before = walk(dir)?
            .0
            .into_iter()
            .map(|f| (f.rel, (f.bytes, f.modified)))
            .collect();
        Ok(Snapshot { manifest, before })
    }

    /// Rewrite the manifest after an update: listed files keep their entry (re-hashed where
    /// they changed), files that are new or changed since the snapshot are added, and files the
    /// user put there and the update did not touch stay unlisted.
    pub fn refresh(self, dir: &Path) -> IoResult<()> {
        let listed: BTreeMap<String, Entry> = self
            .manifest
            .files
            .into_iter()
            .map(|e| (e.path.clone(), e))
            .collect();
        let mut files = Vec::new();
        for f in walk(dir)?.0 {
            let touched = self.before.get(&f.rel) != Some(&(f.bytes, f.modified));
            match (listed.get(&f.rel), touched) {
                (Some(e), false) => files.push(e.clone()),
                (_, true) => files.push(Entry {
                    sha256: sha256_file(&f.path)?,
                    path: f.rel,
                    bytes: f.bytes,
                }),
                (None, false) => {}
            }
        }
        Manifest {
            format: FORMAT.into(),
            dendra_version: env!("CARGO_PKG_VERSION").into(),
            files,
        }
        .write(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dendra-manifest-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("figures")).unwrap();
        fs::write(d.join("summary.json"), "{}").unwrap();
        fs::write(d.join("figures/a.png"), "png").unwrap();
        d
    }

    #[test]
    fn a_directory_checks_against_its_own_manifest() {
        let d = scratch("own");
        Manifest::of_dir(&d).unwrap().write(&d).unwrap();
        let v = verify(&d).unwrap();
        assert_eq!(v.files.len(), 2);
        assert!(v.remove().unwrap());
        assert!(!d.exists());
    }

    #[test]
    fn added_or_edited_files_and_a_missing_manifest_are_named() {
        let d = scratch("added");
        let e = verify(&d).unwrap_err().to_string();
        assert!(e.contains("no manifest.json"), "{e}");
        Manifest::of_dir(&d).unwrap().write(&d).unwrap();
        fs::write(d.join("thesis.tex"), "mine").unwrap();
        fs::write(d.join("figures/a.png"), "PNG").unwrap();
        let e = verify(&d).unwrap_err().to_string();
        assert!(e.contains("`thesis.tex` was not written by dendra"), "{e}");
        assert!(e.contains("`figures/a.png` was changed"), "{e}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn removal_spares_what_appeared_after_the_check() {
        let d = scratch("race");
        Manifest::of_dir(&d).unwrap().write(&d).unwrap();
        let v = verify(&d).unwrap();
        fs::write(d.join("figures/late.txt"), "mine").unwrap();
        assert!(!v.remove().unwrap());
        assert_eq!(fs::read_to_string(d.join("figures/late.txt")).unwrap(), "mine");
        assert!(!d.join("summary.json").exists());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn refresh_lists_what_an_update_wrote_and_not_what_the_user_added() {
        let d = scratch("refresh");
        Manifest::of_dir(&d).unwrap().write(&d).unwrap();
        fs::write(d.join("notes.md"), "mine").unwrap();
        let snap = Snapshot::take(&d).unwrap();
        fs::write(d.join("report.html"), "<html>").unwrap();
        fs::write(d.join("figures/a.png"), "new png").unwrap();
        snap.refresh(&d).unwrap();
        let m = Manifest::read(&d).unwrap().unwrap();
        let paths: Vec<&str> = m.files.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["figures/a.png", "report.html", "summary.json"]);
        assert_eq!(m.files[0].bytes, 7);
        let e = verify(&d).unwrap_err().to_string();
        assert!(e.contains("notes.md") && !e.contains("a.png"), "{e}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_foreign_manifest_is_not_trusted() {
        let d = scratch("foreign");
        fs::write(d.join(MANIFEST), r#"{"files": []}"#).unwrap();
        assert!(Manifest::read(&d).is_err());
        assert!(verify(&d).is_err());
        fs::remove_dir_all(&d).unwrap();
    }
}

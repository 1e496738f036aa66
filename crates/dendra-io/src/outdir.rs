//! Crash-safe output directories.
//!
//! A run takes the lock of its output `DIR` ([`DirLock`]), writes into a staging directory next
//! to it (`.DIR.partial-NONCE`), lists every file it wrote in a manifest written last
//! ([`crate::manifest`]), and only then renames the staging directory to `DIR`. An existing
//! non-empty `DIR` is refused before anything runs unless the caller forces *and* `DIR` is
//! provably an earlier output: every file in it listed in its manifest, unchanged. It is then
//! set aside under a unique name (`.DIR.replaced-NONCE`), the new output renamed in, and the
//! old files deleted one by one as listed (never a whole tree).
//!
//! A killed process leaves at most a staging or set-aside directory; the next writer of the
//! same `DIR` (holding the lock, so they are known to be stale) removes the staging directory
//! and either restores the set-aside output (when the new one never landed) or deletes it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{IoError, IoResult};
use crate::lock::DirLock;
use crate::manifest::{self, Manifest};

/// A staging directory that becomes `target` on [`Staging::commit`].
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    parent: PathBuf,
    name: String,
    nonce: String,
    staging: PathBuf,
    force: bool,
    committed: bool,
    notes: Vec<String>,
    _lock: DirLock,
}

/// Whether `dir` exists and holds anything.
pub fn is_nonempty_dir(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

/// The parent directory and the file name of an output target (`--out .` is the current
/// directory by its real name).
fn split_target(target: &Path) -> IoResult<(PathBuf, String)> {
    let full = if target.exists() {
        fs::canonicalize(target).map_err(|e| IoError::at(target, e))?
    } else {
        target.to_path_buf()
    };
    let Some(name) = full.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(IoError::Refused(format!(
            "{}: not a directory name dendra can write to; name a directory, e.g. --out results",
            target.display()
        )));
    };
    let parent = match full.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name))
}

/// A name part that no other writer of the same directory uses (process id and clock).
fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos:x}", std::process::id())
}

impl Staging {
    /// Check that `target` may be written (absent, empty, or `force` and an unchanged earlier
    /// output of dendra), recover what killed writers of it left, and create the staging
    /// directory. Call it before the run, so that a refusal costs nothing.
    pub fn new(target: &Path, force: bool) -> IoResult<Staging> {
        if target.exists() && !target.is_dir() {
            return Err(IoError::Refused(format!(
                "{} exists and is not a directory",
                target.display()
            )));
        }
        let (parent, name) = split_target(target)?;
        fs::create_dir_all(&parent).map_err(|e| IoError::at(&parent, e))?;
        let lock = DirLock::acquire(&parent, &name)?;
        let notes = recover(&parent, &name, target)?;
        check_replaceable(target, force)?;
        let nonce = nonce();
        let staging = parent.join(format!(".{name}.partial-{nonce}"));
        fs::create_dir(&staging).map_err(|e| IoError::at(&staging, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            parent,
            name,
            nonce,
            staging,
            force,
            committed: false,
            notes,
            _lock: lock,
        })
    }

    /// Where files are written until [`Staging::commit`].
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The final directory.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// What was recovered from interrupted writers of the same directory (one sentence each),
    /// for the caller to report.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Write the manifest and move the finished outputs into place. If `target` was filled by
    /// someone else during the run (or changed so that it can no longer be replaced), the new
    /// outputs are kept under a visible name that the error gives.
    pub fn commit(mut self) -> IoResult<PathBuf> {
        Manifest::of_dir(&self.staging)?.write(&self.staging)?;
        let old = match check_replaceable(&self.target, self.force) {
            Ok(old) => old,
            Err(e) => {
                let kept = self.parent.join(format!("{}.new-{}", self.name, self.nonce));
                fs::rename(&self.staging, &kept).map_err(|e| IoError::at(&kept, e))?;
                self.committed = true;
                return Err(IoError::Refused(format!(
                    "{e} (it changed during the run); the new outputs are in {}",
                    kept.display()
                )));
            }
        };
        if let Some(old) = old {
            let aside = self
                .parent
                .join(format!(".{}.replaced-{}", self.name, self.nonce));
            fs::rename(&self.target, &aside).map_err(|e| IoError::at(&self.target, e))?;
            fs::rename(&self.staging, &self.target).map_err(|e| IoError::at(&self.target, e))?;
            self.committed = true;
            let old = manifest::Verified {
                dir: aside.clone(),
                files: rebase(old.files, &self.target, &aside),
            };
            if !old.remove()? {
                self.notes.push(format!(
                    "{} holds files that appeared while the old output was replaced; left there",
                    aside.display()
                ));
            }
        } else {
            if self.target.is_dir() {
                // Empty: removing it fails, and nothing is lost, if something appears now.
                fs::remove_dir(&self.target).map_err(|e| IoError::at(&self.target, e))?;
            }
            fs::rename(&self.staging, &self.target).map_err(|e| IoError::at(&self.target, e))?;
            self.committed = true;
        }
        Ok(self.target.clone())
    }
}

/// The files of a verified directory, found again under the name it was renamed to.
fn rebase(files: Vec<manifest::Found>, from: &Path, to: &Path) -> Vec<manifest::Found> {
    files
        .into_iter()
        .map(|mut f| {
            if let Ok(rel) = f.path.strip_prefix(from) {
                f.path = to.join(rel);
            }
            f
        })
        .collect()
}

/// Refuse a non-empty `target` unless `force` and it is provably an unchanged dendra output;
/// that output's checked files, if there is one to replace.
fn check_replaceable(target: &Path, force: bool) -> IoResult<Option<manifest::Verified>> {
    if !is_nonempty_dir(target) {
        return Ok(None);
    }
    if !force {
        return Err(IoError::Refused(format!(
            "{} exists and is not empty; choose another --out, or pass --force to replace an \
             earlier output of dendra",
            target.display()
        )));
    }
    manifest::verify(target).map(Some).map_err(|e| {
        IoError::Refused(format!(
            "--force replaces only a directory that dendra wrote and nobody changed since, and \
             {e}; nothing was deleted; choose another --out"
        ))
    })
}

/// Clean up after killed writers of `parent/name` (the caller holds its lock, so every staging
/// or set-aside directory of it is stale): staging directories are removed; a set-aside old
/// output is restored if the new one never landed, else deleted file by file as its manifest
/// lists. Returns one sentence per action.
fn recover(parent: &Path, name: &str, target: &Path) -> IoResult<Vec<String>> {
    let mut notes = Vec::new();
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(notes);
    };
    let mut stale: Vec<(PathBuf, String)> = entries
        .flatten()
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            let kind = file.strip_prefix(&prefix)?.to_string();
            e.file_type().ok()?.is_dir().then_some((e.path(), kind))
        })
        .collect();
    stale.sort();
    for (path, kind) in stale {
        if kind.starts_with("partial-") {
            fs::remove_dir_all(&path).map_err(|e| IoError::at(&path, e))?;
            notes.push(format!(
                "removed {}, the unfinished outputs of an interrupted run",
                path.display()
            ));
        } else if kind.starts_with("replaced-") || kind == "old" {
            if !target.exists() {
                fs::rename(&path, target).map_err(|e| IoError::at(&path, e))?;
                notes.push(format!(
                    "restored {} from {}: an interrupted --force had set it aside",
                    target.display(),
                    path.display()
                ));
            } else {
                match manifest::verify(&path) {
                    Ok(v) => {
                        v.remove()?;
                        notes.push(format!(
                            "removed {}, an output replaced by an interrupted --force",
                            path.display()
                        ));
                    }
                    Err(e) => notes.push(format!("left {} as it is: {e}", path.display())),
                }
            }
        }
    }
    Ok(notes)
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader never sees a half-written file under the final name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> IoResult<()> {
    let tmp = temp_name(path);
    fs::write(&tmp, bytes).map_err(|e| IoError::at(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| IoError::at(path, e))
}

/// The temporary name used for `path` while it is written.
pub fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// An output directory being updated in place (`dendra report`): locked, checked to be a
/// complete output, and its manifest refreshed with what the update wrote.
#[derive(Debug)]
pub struct Updating {
    dir: PathBuf,
    snapshot: manifest::Snapshot,
    _lock: DirLock,
}

impl Updating {
    /// Lock `dir` and check that it is a complete output of dendra (a manifest; not a staging
    /// directory of a run in progress or killed).
    pub fn open(dir: &Path) -> IoResult<Updating> {
        if !dir.is_dir() {
            return Err(IoError::Refused(format!("{} is not a directory", dir.display())));
        }
        let (parent, name) = split_target(dir)?;
        if name.starts_with('.') && name.contains(".partial-") {
            return Err(IoError::Refused(format!(
                "{} is the staging directory of an unfinished run, not an output",
                dir.display()
            )));
        }
        let lock = DirLock::acquire(&parent, &name)?;
        let snapshot = manifest::Snapshot::take(dir)?;
        Ok(Updating {
            dir: dir.to_path_buf(),
            snapshot,
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Record what the update wrote in the manifest.
    pub fn finish(self) -> IoResult<()> {
        self.snapshot.refresh(&self.dir)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // A run that failed cleanly leaves nothing behind; a killed process never gets here,
        // and the next writer of the same directory removes its staging directory.
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests;

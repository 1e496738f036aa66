//! Crash-safe output directories.
//!
//! A run writes into a staging directory next to the target (`DIR.partial-PID`), and only when
//! every file is complete is the staging directory renamed to `DIR`. An interrupted run leaves
//! the staging directory (whose name says it is incomplete) and never a half-written `DIR`. An
//! existing non-empty `DIR` is refused unless the caller forces and `DIR` is an earlier output
//! (it holds `summary.json`); then it is replaced as a whole (moved aside, the new one renamed
//! in, the old one removed), so no stale file from an earlier run survives next to new ones, and
//! no directory that dendra did not write is ever deleted.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{IoError, IoResult};

/// The file that marks a directory as an earlier output of dendra (written last by a run).
pub const MARKER: &str = "summary.json";

/// A staging directory that becomes `target` on [`Staging::commit`].
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    force: bool,
    committed: bool,
}

/// Whether `dir` exists and holds anything.
pub fn is_nonempty_dir(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

impl Staging {
    /// Check that `target` may be written (absent, empty, or `force`) and create the staging
    /// directory.
    pub fn new(target: &Path, force: bool) -> IoResult<Staging> {
        if target.exists() && !target.is_dir() {
            return Err(IoError::Refused(format!(
                "{} exists and is not a directory",
                target.display()
            )));
        }
        if is_nonempty_dir(target) {
            if !force {
                return Err(IoError::Refused(format!(
                    "{} exists and is not empty; choose another --out or pass --force to replace it",
                    target.display()
                )));
            }
            if !target.join(MARKER).is_file() {
                return Err(IoError::Refused(format!(
                    "{} is not empty and holds no {MARKER}: it is not an earlier output of dendra, and \
                     --force replaces only those; choose another --out",
                    target.display()
                )));
            }
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dendra-out".into());
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| IoError::at(&parent, e))?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| IoError::at(&staging, e))?;
        }
        fs::create_dir_all(&staging).map_err(|e| IoError::at(&staging, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            staging,
            force,
            committed: false,
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

    /// Move the finished outputs into place.
    pub fn commit(mut self) -> IoResult<PathBuf> {
        if self.target.exists() {
            if is_nonempty_dir(&self.target) && !self.force {
                return Err(IoError::Refused(format!(
                    "{} was filled by someone else during the run; outputs left in {}",
                    self.target.display(),
                    self.staging.display()
                )));
            }
            let aside = self.staging.with_extension("old");
            fs::rename(&self.target, &aside).map_err(|e| IoError::at(&self.target, e))?;
            fs::rename(&self.staging, &self.target).map_err(|e| IoError::at(&self.target, e))?;
            fs::remove_dir_all(&aside).map_err(|e| IoError::at(&aside, e))?;
        } else {
            fs::rename(&self.staging, &self.target).map_err(|e| IoError::at(&self.target, e))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // A run that failed cleanly leaves nothing behind; a killed process never gets here, and
        // its staging directory keeps its `partial` name.
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dendra-io-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn nonempty_targets_need_force_and_are_replaced_whole() {
        let root = scratch("outdir");
        let target = root.join("out");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("old.txt"), "old").unwrap();
        // Not an earlier output: refused even with force.
        let e = Staging::new(&target, true).unwrap_err();
        assert!(e.to_string().contains(MARKER), "{e}");
        fs::write(target.join(MARKER), "{}").unwrap();
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
}

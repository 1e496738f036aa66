//! One writer per output directory: an exclusive lock on a file next to it
//! (`.NAME.dendra-lock`), held for as long as a run or an update writes there. While it is held,
//! any staging or set-aside directory of that output left by a killed process is known to be
//! stale and can be recovered.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{IoError, IoResult};

/// An exclusive lock on writing output directory `NAME` in its parent; released (and its file
/// removed) when dropped.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
    _file: File,
}

impl DirLock {
    /// Take the lock of output `name` in `parent`, or refuse when another process holds it.
    pub fn acquire(parent: &Path, name: &str) -> IoResult<DirLock> {
        let path = parent.join(format!(".{name}.dendra-lock"));
        // A holder removes the file before it lets go; a process that opened the old file just
        // before may then hold a lock on a removed file, so check that the path is still ours.
        for _ in 0..16 {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| IoError::at(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(IoError::Refused(format!(
                        "another dendra process is writing {} (it holds {}); wait for it or \
                         choose another --out",
                        parent.join(name).display(),
                        path.display()
                    )));
                }
                Err(TryLockError::Error(e)) => return Err(IoError::at(&path, e)),
            }
            if same_file(&file, &path) {
                return Ok(DirLock { path, _file: file });
            }
        }
        Err(IoError::Refused(format!(
            "could not take the lock {}: it keeps being replaced",
            path.display()
        )))
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Removed while still held (see `acquire`); where a platform cannot tell files apart
        // the file stays, which is harmless.
        if cfg!(unix) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_until_the_first_lets_go() {
        let d = std::env::temp_dir().join(format!("dendra-lock-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        let a = DirLock::acquire(&d, "out").unwrap();
        let e = DirLock::acquire(&d, "out").unwrap_err().to_string();
        assert!(e.contains("another dendra process"), "{e}");
        assert!(DirLock::acquire(&d, "other").is_ok());
        drop(a);
        let _b = DirLock::acquire(&d, "out").unwrap();
        drop(_b);
        assert_eq!(fs::read_dir(&d).unwrap().count(), 0, "lock files are removed");
        fs::remove_dir_all(&d).unwrap();
    }
}

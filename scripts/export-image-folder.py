#!/usr/bin/env python3
"""Exports images of an IDX dataset (e.g. Fashion-MNIST) as PNG files, to try the own-data path on real images:
an unlabeled pile plus a label CSV, and the same images as class folders.

usage: scripts/export-image-folder.py IMAGES.idx3-ubyte[.gz] LABELS.idx1-ubyte[.gz] OUT [--count N]
writes OUT/pile/NNNNN.png (unlabeled: images in the folder itself), OUT/labels.csv (path,label) and
OUT/classes/<label>/NNNNN.png
"""
import argparse, gzip, os, struct, zlib

def read_idx(path):
    data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]

def png(path, w, h, pixels):
    raw = b"".join(b"\x00" + pixels[y * w:(y + 1) * w] for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

p = argparse.ArgumentParser()
p.add_argument("images"); p.add_argument("labels"); p.add_argument("out"); p.add_argument("--count", type=int)
a = p.parse_args()
(n, h, w), pixels = read_idx(a.images)
_, labels = read_idx(a.labels)
n = min(n, a.count or n)
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "labels.csv"), "w") as csv:
    csv.write("path,label\n")
    for i in range(n):
        img = pixels[i * h * w:(i + 1) * h * w]
        rel = f"{i:05d}.png"
        png(os.path.join(a.out, "pile", rel), w, h, img)
        png(os.path.join(a.out, "classes", f"class{labels[i]}", f"{i:05d}.png"), w, h, img)
        csv.write(f"{rel},class{labels[i]}\n")
print(f"wrote {n} images to {a.out}/pile, {a.out}/classes and {a.out}/labels.csv")

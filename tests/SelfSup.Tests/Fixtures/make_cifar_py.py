"""Writes a tiny CIFAR-10 'python version' folder (2 images per batch) for CifarPickleReaderTests.
Run with a Python that has numpy: /usr/bin/python3 make_cifar_py.py. Pixel value of image k, byte j: (k * 7 + j) % 256;
labels: batch b holds [b, b + 1] (test: [9, 0]). Protocol 2 with Python 3 (bytes go through _codecs.encode)."""
import os, pickle
import numpy as np

out = os.path.join(os.path.dirname(__file__), "cifar-py")
os.makedirs(out, exist_ok=True)
names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def batch(first, labels):
    data = np.array([[((first + k) * 7 + j) % 256 for j in range(3072)] for k in range(len(labels))], dtype=np.uint8)
    return {b"batch_label": b"tiny", b"labels": labels, b"data": data, b"filenames": [b"x.png"] * len(labels)}


for b in range(1, 6):
    with open(os.path.join(out, f"data_batch_{b}"), "wb") as f:
        pickle.dump(batch(2 * (b - 1), [b, b + 1]), f, protocol=2)
with open(os.path.join(out, "test_batch"), "wb") as f:
    pickle.dump(batch(100, [9, 0]), f, protocol=2)
with open(os.path.join(out, "batches.meta"), "wb") as f:
    pickle.dump({b"label_names": [n.encode() for n in names], b"num_vis": 3072}, f, protocol=2)

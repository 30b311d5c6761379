"""Round trip of ResNet-18 weights between SelfSup and torchvision (Debian python3-torch, python3-torchvision).

torchvision's resnet18 with the CIFAR stem (He et al. 2016; SimCLR's CIFAR variant): conv1 a 3x3 stride-1 conv
without bias, maxpool and fc replaced by Identity, so the output is the global average of layer4, [B, 512].
torchvision's ResNet fixes the base width at 64, so only width 64 is compared.

Run: /usr/bin/python3 torchvision_interop.py DIR
DIR holds what the C# test wrote: inputs.npy [B, 3, 32, 32] float32 and SelfSup's exports ours.safetensors and
ours.pt. The script writes into DIR:
  (a) ours.safetensors.npy, ours.pt.npy: torchvision's embeddings of the inputs after load_state_dict(strict=True)
      of each export;
  (b) torchvision.pt (torch.save of the state dict) and torchvision.safetensors of a seeded torchvision ResNet-18
      with random BN statistics, and torchvision.npy: its embeddings of the inputs.
Everything runs in eval mode (BN uses its running statistics). Debian has no python3-safetensors, so the few lines
below read and write the format from its specification (8-byte little-endian header length, JSON header of dtype,
shape and data_offsets per tensor, then the raw little-endian data).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "F16": np.float16}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        out[key] = torch.from_numpy(array.copy())
    return out


def write_safetensors(path, state):
    header, chunks, offset = {}, [], 0
    for key, tensor in state.items():
        array = np.ascontiguousarray(tensor.detach().cpu().numpy()).reshape(tuple(tensor.shape))  # keeps 0-dim scalars 0-dim
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": NAMES[array.dtype.type], "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    blob = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for raw in chunks:
            f.write(raw)


def cifar_resnet18():
    model = torchvision.models.resnet18()
    model.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = torch.nn.Identity()
    model.fc = torch.nn.Identity()
    return model.eval()


def embed(model, x):
    with torch.no_grad():
        return model(x).numpy().astype(np.float32)


def main(folder):
    torch.set_num_threads(1)
    x = torch.from_numpy(np.load(os.path.join(folder, "inputs.npy")))

    # (a) SelfSup's exports load strictly into torchvision.
    for name in ("ours.safetensors", "ours.pt"):
        path = os.path.join(folder, name)
        state = read_safetensors(path) if name.endswith(".safetensors") else torch.load(path)
        model = cifar_resnet18()
        model.load_state_dict(state, strict=True)
        np.save(os.path.join(folder, name + ".npy"), embed(model, x))

    # (b) A seeded torchvision ResNet-18 with BN statistics and affine parameters away from their defaults.
    torch.manual_seed(11)
    model = cifar_resnet18()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.num_batches_tracked.fill_(5)
    state = model.state_dict()
    torch.save(state, os.path.join(folder, "torchvision.pt"))
    write_safetensors(os.path.join(folder, "torchvision.safetensors"), state)
    np.save(os.path.join(folder, "torchvision.npy"), embed(model, x))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: torchvision_interop.py DIR")
    main(sys.argv[1])

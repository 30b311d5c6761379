#!/usr/bin/python3
"""An independent reader of TensorBoard event files, written from the formats' specifications (standard library only).

Usage: tfrecord_reader.py PATH...   (an event file, or a folder whose events.out.tfevents.* files are read in name order)

Prints one JSON object:
  {"files": [{"path", "records", "file_version"}],
   "scalars": {tag: [[step, value], ...]},          # simple_value summaries, in file order
   "images": [{"tag", "step", "width", "height", "png_width", "png_height", "bytes"}]}
and exits 1 with a message naming the file and byte offset at the first record that breaks the format.

TFRecord framing (TensorFlow's record_writer): each record is
  uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)
with CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) masked as ((crc >> 15) | (crc << 17)) + 0xa282ead8.

Protocol buffer wire format: a message is a sequence of (key varint = field << 3 | wire type, value), wire types
0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. The messages (tensorboard/compat/proto):
  Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; ... }
  Summary { repeated Value value = 1; }
  Value   { string tag = 1; float simple_value = 2; Image image = 4; ... }
  Image   { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
"""
import json
import os
import struct
import sys


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class FormatError(Exception):
    pass


def read_varint(buf, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise FormatError("varint runs past the end of its message")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise FormatError("varint longer than 10 bytes")


def fields(buf):
    """Yields (field number, wire type, value): an int for varints, bytes for the other wire types."""
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise FormatError(f"field {number}: unsupported wire type {wire}")
        if pos > len(buf):
            raise FormatError(f"field {number} runs past the end of its message")
        yield number, wire, value


def signed64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise FormatError("image is not a PNG")
    return struct.unpack(">II", data[16:24])


def decode_image(buf):
    image = {"width": 0, "height": 0, "bytes": 0}
    for number, wire, value in fields(buf):
        if number == 1 and wire == 0:
            image["height"] = value
        elif number == 2 and wire == 0:
            image["width"] = value
        elif number == 4 and wire == 2:
            image["png_width"], image["png_height"] = png_size(value)
            image["bytes"] = len(value)
    return image


def decode_event(buf, out, file_info):
    step, summary = 0, None
    for number, wire, value in fields(buf):
        if number == 2 and wire == 0:
            step = signed64(value)
        elif number == 3 and wire == 2:
            file_info["file_version"] = value.decode("utf-8")
        elif number == 5 and wire == 2:
            summary = value
    if summary is None:
        return
    for number, wire, value in fields(summary):
        if number != 1 or wire != 2:
            continue
        tag, scalar, image = None, None, None
        for n, w, v in fields(value):
            if n == 1 and w == 2:
                tag = v.decode("utf-8")
            elif n == 2 and w == 5:
                scalar = struct.unpack("<f", v)[0]
            elif n == 4 and w == 2:
                image = decode_image(v)
        if scalar is not None:
            out["scalars"].setdefault(tag, []).append([step, scalar])
        if image is not None:
            out["images"].append(dict(tag=tag, step=step, **image))


def read_file(path, out):
    info = {"path": path, "records": 0, "file_version": None}
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        where = f"{path}: record {info['records'] + 1} at byte {pos}"
        if pos + 12 > len(data):
            raise FormatError(f"{where}: header cut short")
        length_bytes = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked_crc(length_bytes) != length_crc:
            raise FormatError(f"{where}: length CRC {length_crc:#010x} != {masked_crc(length_bytes):#010x}")
        end = pos + 12 + length + 4
        if end > len(data):
            raise FormatError(f"{where}: data of {length} bytes cut short")
        payload = data[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", data[end - 4:end])
        if masked_crc(payload) != data_crc:
            raise FormatError(f"{where}: data CRC {data_crc:#010x} != {masked_crc(payload):#010x}")
        try:
            decode_event(payload, out, info)
        except FormatError as e:
            raise FormatError(f"{where}: {e}") from None
        info["records"] += 1
        pos = end
    out["files"].append(info)


def main(paths):
    # The check value of CRC-32C (RFC 3720, B.4): the reader's own CRC must be right before it judges a file.
    assert crc32c(b"123456789") == 0xE3069283
    out = {"files": [], "scalars": {}, "images": []}
    for path in paths:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.startswith("events.out.tfevents."))
            files = [os.path.join(path, n) for n in names]
        else:
            files = [path]
        for file in files:
            read_file(file, out)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    try:
        main(sys.argv[1:])
    except FormatError as e:
        print(f"tfrecord_reader: {e}", file=sys.stderr)
        sys.exit(1)

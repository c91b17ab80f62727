#!/usr/bin/env python3
"""Writes a generated asset tree for the `depot inspect` report test: 5,000 assets.

  lvl0.bundle .. lvl3.bundle     one bundle per level at the top, each listing its level's
                                 images and common/common.bundle
  lvl<L>/img/p<NNNN>.png         1,150 tiny PNGs per level (1..16 x 1..8 pixels, RGBA)
  common/common.bundle           the images every level shares
  common/c<NNNN>.png             394 shared PNGs
  lvl3/img/missing.png           listed by lvl3.bundle but never written (one failed asset)

Every 100th level image has the same pixels as common/c0000.png, so its file bytes are
equal: 4 x 12 duplicates of one content. Top-level folders: lvl0..lvl3 and common (5).
Usage: make_tree.py DIR   (standard library only; the output is deterministic)
"""
import json
import os
import struct
import sys
import zlib

LEVELS, PER_LEVEL, COMMON = 4, 1150, 394


def png(path, w, h, seed):
    px = bytearray((seed * 7 + x * 13 + y * 29 + c * 53) % 256
                   for y in range(h) for x in range(w) for c in range(4))
    px[0:2] = bytes((seed % 256, seed // 256))  # the seed itself: different seeds differ
    rows = b"".join(b"\0" + bytes(px[y * w * 4:(y + 1) * w * 4]) for y in range(h))

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def size(seed):
    return 1 + seed % 16, 1 + (seed // 16) % 8


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "common"), exist_ok=True)
    common = []
    for j in range(COMMON):
        key = "common/c%04d.png" % j
        png(os.path.join(out, key), *size(j), j)
        common.append(key)
    with open(os.path.join(out, "common/common.bundle"), "w") as f:
        json.dump({"assets": common}, f)
    for lvl in range(LEVELS):
        os.makedirs(os.path.join(out, "lvl%d/img" % lvl), exist_ok=True)
        keys = ["common/common.bundle"]
        for j in range(PER_LEVEL):
            key = "lvl%d/img/p%04d.png" % (lvl, j)
            seed = 0 if j % 100 == 0 else 1000 + lvl * PER_LEVEL + j
            png(os.path.join(out, key), *size(seed), seed)
            keys.append(key)
        if lvl == LEVELS - 1:
            keys.append("lvl%d/img/missing.png" % lvl)
        with open(os.path.join(out, "lvl%d.bundle" % lvl), "w") as f:
            json.dump({"assets": keys}, f)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""make_ktx2.py — writes the KTX 2.0 files depot's tests parse (run once; the output is
committed). Layout from the Khronos KTX 2.0 specification: identifier, header, index,
level index, a data format descriptor, then the levels (smallest first, each aligned to
16 bytes). Texel bytes follow formulas that tests/load/test_ktx2.c repeats. zstd levels
are compressed with the `zstd` command (Debian package zstd); nothing else is needed.

The data format descriptor holds only the basic block's header (no sample information):
depot does not read it, and these files exist to test depot's container checks."""
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
IDENT = bytes([0xAB, 0x4B, 0x54, 0x58, 0x20, 0x32, 0x30, 0xBB, 0x0D, 0x0A, 0x1A, 0x0A])

# vkFormat: (block width, block height, block bytes)
FORMATS = {37: (1, 1, 4), 131: (4, 4, 8), 137: (4, 4, 16), 145: (4, 4, 16), 0: (1, 1, 1)}


def texel(level, layer, face, x, y):
    """RGBA8 texel formula (also in test_ktx2.c)."""
    return bytes([(x * 16 + level * 50) & 255, (y * 16 + face * 40) & 255,
                  (layer * 60 + 100) & 255, 255 - level])


def block(level, layer, face, bx, by, nbytes):
    """Bytes of one compressed block: a counter pattern the test repeats."""
    seed = level * 31 + layer * 17 + face * 7 + bx * 3 + by * 5
    return bytes([(seed + i * 13) & 255 for i in range(nbytes)])


def level_bytes(fmt, w, h, layers, faces, level):
    bw, bh, nb = FORMATS[fmt]
    lw, lh = max(1, w >> level), max(1, h >> level)
    out = bytearray()
    for layer in range(layers):
        for face in range(faces):
            for by in range((lh + bh - 1) // bh):
                for bx in range((lw + bw - 1) // bw):
                    if fmt == 37:
                        out += texel(level, layer, face, bx, by)
                    else:
                        out += block(level, layer, face, bx, by, nb)
    return bytes(out)


def zstd(data):
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def dfd(fmt):
    bw, bh, nb = FORMATS[fmt]
    model = 1  # RGBSDA
    dims = bytes([bw - 1, bh - 1, 0, 0])
    basic = struct.pack("<IHH", 0, 2, 24) + bytes([model, 1, 1, 0]) + dims + bytes([nb, 0, 0, 0, 0, 0, 0, 0])
    return struct.pack("<I", 4 + len(basic)) + basic


def ktx2(fmt, w, h, levels, layer_count=0, faces=1, scheme=0, levels_data=None, depth=0):
    layers = max(1, layer_count)
    stored = max(1, levels)
    raw = levels_data or [level_bytes(fmt, w, h, layers, faces, i) for i in range(stored)]
    packed = [zstd(r) if scheme == 2 else r for r in raw]
    head_len = 12 + 36 + 32 + 24 * stored
    d = dfd(fmt)
    dfd_off = head_len
    pos = dfd_off + len(d)
    offsets = [0] * stored
    body = bytearray()
    for i in reversed(range(stored)):  # smallest level first in the file
        pad = (-(pos + len(body))) % 16
        body += bytes(pad)
        offsets[i] = pos + len(body)
        body += packed[i]
    out = bytearray(IDENT)
    out += struct.pack("<9I", fmt, 1, w, h, depth, layer_count, faces, levels, scheme)
    out += struct.pack("<IIIIQQ", dfd_off, len(d), 0, 0, 0, 0)
    for i in range(stored):
        out += struct.pack("<QQQ", offsets[i], len(packed[i]), len(raw[i]))
    out += d
    out += body
    return bytes(out)


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def patch_level(data, level, offset=None, length=None, raw=None):
    """A copy with one level-index field replaced."""
    b = bytearray(data)
    at = 12 + 36 + 32 + 24 * level
    o, n, r = struct.unpack_from("<QQQ", b, at)
    struct.pack_into("<QQQ", b, at, o if offset is None else offset,
                     n if length is None else length, r if raw is None else raw)
    return bytes(b)


def main():
    rgba = ktx2(37, 8, 8, 4)
    put("ktx2_rgba8_mips_8x8.ktx2", rgba)
    put("ktx2_bc1_mips_8x8.ktx2", ktx2(131, 8, 8, 4))
    put("ktx2_bc3_8x8.ktx2", ktx2(137, 8, 8, 1))
    put("ktx2_bc7_4x4.ktx2", ktx2(145, 4, 4, 1))
    put("ktx2_cube_rgba8_4x4.ktx2", ktx2(37, 4, 4, 1, faces=6))
    put("ktx2_array_rgba8_4x4x3.ktx2", ktx2(37, 4, 4, 2, layer_count=3))
    put("ktx2_zstd_rgba8_mips_8x8.ktx2", ktx2(37, 8, 8, 4, scheme=2))
    put("ktx2_bc1_odd_6x5.ktx2", ktx2(131, 6, 5, 3))
    # Refused as unsupported: Basis Universal (BasisLZ; UASTC is VK_FORMAT_UNDEFINED).
    put("ktx2_basislz.ktx2", ktx2(0, 8, 8, 1, scheme=1, levels_data=[bytes(64)]))
    put("ktx2_uastc.ktx2", ktx2(0, 8, 8, 1, levels_data=[bytes(64)]))
    # Hostile: each is rgba8_mips with one field made wrong.
    put("ktx2_level_past_end.ktx2", patch_level(rgba, 0, offset=len(rgba) - 8))
    put("ktx2_level_offset_huge.ktx2", patch_level(rgba, 1, offset=(1 << 64) - 16))
    put("ktx2_level_wrong_size.ktx2", patch_level(rgba, 2, length=12, raw=12))
    put("ktx2_truncated.ktx2", rgba[: len(rgba) - 40])
    huge = bytearray(rgba)
    struct.pack_into("<II", huge, 12 + 8, 1 << 20, 1 << 20)
    put("ktx2_huge_dimensions.ktx2", bytes(huge))
    many = bytearray(rgba)
    struct.pack_into("<I", many, 12 + 28, 9)  # 9 levels for an 8x8 texture
    put("ktx2_too_many_levels.ktx2", bytes(many))


if __name__ == "__main__":
    main()

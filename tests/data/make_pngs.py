#!/usr/bin/env python3
"""make_pngs.py — writes the small PNG files depot's tests decode (run once; the output is
committed). Every pixel value comes from a formula that the tests repeat, so a test can
check each decoded RGBA8 byte exactly. Needs only the standard library (zlib, struct)."""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SIG = b"\x89PNG\r\n\x1a\n"


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def ihdr(w, h, depth, ctype, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))


def pack_row(samples, depth):
    """Packs one row of samples (already in channel order) at the given bit depth."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def raw_image(rows, depth):
    """Filter type 0 for every row (each row is a list of samples)."""
    return b"".join(b"\x00" + pack_row(r, depth) for r in rows)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def raw_adam7(pixels, w, h, depth):
    """pixels[y][x] is a tuple of samples; returns the concatenated passes."""
    out = b""
    for x0, y0, dx, dy in ADAM7:
        xs = list(range(x0, w, dx))
        ys = list(range(y0, h, dy))
        if not xs or not ys:
            continue
        for y in ys:
            out += b"\x00" + pack_row([s for x in xs for s in pixels[y][x]], depth)
    return out


def png(w, h, depth, ctype, raw, extra=b"", interlace=0):
    return (SIG + ihdr(w, h, depth, ctype, interlace) + extra +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    # rgba_4x4.png: RGBA 8-bit; pixel (x, y) = (x*60, y*60, (x+y)*30, 255-x*16-y*32).
    rgba = [[(x * 60, y * 60, (x + y) * 30, 255 - x * 16 - y * 32) for x in range(4)] for y in range(4)]
    rgba_png = png(4, 4, 8, 6, raw_image([[s for p in r for s in p] for r in rgba], 8))
    write("rgba_4x4.png", rgba_png)

    # rgb_3x2.png: RGB 8-bit; pixel (x, y) = (x*100, y*200, 50+x+y), alpha 255 after decode.
    rows = [[s for x in range(3) for s in (x * 100, y * 200, 50 + x + y)] for y in range(2)]
    write("rgb_3x2.png", png(3, 2, 8, 2, raw_image(rows, 8)))

    # palette_trns_4x2.png: 2-bit palette red, green, blue, white; tRNS alphas 0, 128, 255
    # (white has no entry, so 255); index (x, y) = (x+y) % 4.
    plte = chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]))
    trns = chunk(b"tRNS", bytes([0, 128, 255]))
    rows = [[(x + y) % 4 for x in range(4)] for y in range(2)]
    write("palette_trns_4x2.png", png(4, 2, 2, 3, raw_image(rows, 2), plte + trns))

    # grey_5x3.png: grey 8-bit; value (x, y) = x*50 + y*10.
    rows = [[x * 50 + y * 10 for x in range(5)] for y in range(3)]
    write("grey_5x3.png", png(5, 3, 8, 0, raw_image(rows, 8)))

    # grey_alpha_2x2.png: grey+alpha 8-bit; (x, y) = grey 100+x*50, alpha 60+y*100.
    rows = [[s for x in range(2) for s in (100 + x * 50, 60 + y * 100)] for y in range(2)]
    write("grey_alpha_2x2.png", png(2, 2, 8, 4, raw_image(rows, 8)))

    # grey_1bit_10x2.png: grey 1-bit; pixel (x, y) is white when (x+y) is odd (255 or 0).
    rows = [[(x + y) & 1 for x in range(10)] for y in range(2)]
    write("grey_1bit_10x2.png", png(10, 2, 1, 0, raw_image(rows, 1)))

    # rgba16_3x3.png: RGBA 16-bit; each sample is (hi << 8) | 0x7F with hi = (x*80+y*20,
    # y*90+5, 200-x*30, 255-x*40-y*40); the decoder keeps the high byte.
    rows = []
    for y in range(3):
        r = []
        for x in range(3):
            for hi in (x * 80 + y * 20, y * 90 + 5, 200 - x * 30, 255 - x * 40 - y * 40):
                r.append((hi << 8) | 0x7F)
        rows.append(r)
    write("rgba16_3x3.png", png(3, 3, 16, 6, raw_image(rows, 16)))

    # interlaced_9x9.png: Adam7 RGBA 8-bit; pixel (x, y) = (x*28, y*28, (x*9+y)*3, 255-x-y).
    pix = [[(x * 28, y * 28, (x * 9 + y) * 3, 255 - x - y) for x in range(9)] for y in range(9)]
    write("interlaced_9x9.png", png(9, 9, 8, 6, raw_adam7(pix, 9, 9, 8), interlace=1))

    # corrupt_crc.png: rgba_4x4.png with bytes of the IDAT data flipped and the CRC left as
    # it was (the chunk's CRC check fails).
    idat = rgba_png.index(b"IDAT")
    bad = bytearray(rgba_png)
    for i in range(idat + 6, idat + 12):
        bad[i] ^= 0xFF
    write("corrupt_crc.png", bytes(bad))

    # corrupt_zlib.png: rgba_4x4.png whose IDAT holds a broken zlib stream with a correct
    # CRC (the inflate fails: the zlib header's check bits are wrong and the data flipped).
    raw = raw_image([[s for p in r for s in p] for r in rgba], 8)
    z = bytearray(zlib.compress(raw, 9))
    z[1] ^= 0x01
    for i in range(4, len(z) - 4):
        z[i] ^= 0x5A
    write("corrupt_zlib.png", SIG + ihdr(4, 4, 8, 6) + chunk(b"IDAT", bytes(z)) + chunk(b"IEND", b""))

    # truncated.png: the first half of rgba_4x4.png (cut inside IDAT).
    write("truncated.png", rgba_png[: len(rgba_png) // 2])

    # oversized_20000x20000.png: a valid-looking RGBA PNG whose IHDR claims 20000x20000
    # (over 16384 a side); its IDAT holds one row only. Must fail without allocating.
    write("oversized_20000x20000.png",
          png(20000, 20000, 8, 6, b"\x00" + bytes(20000 * 4)))

    # oversized_9000x9000.png: each side is within 16384, but 81M pixels exceed 2^26.
    write("oversized_9000x9000.png", png(9000, 9000, 8, 6, b"\x00" + bytes(9000 * 4)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates the example assets of `depot demo` (small PNGs, sprites, bundles).

Run from anywhere: python3 examples/assets/make_assets.py. Only the standard library
(zlib, struct). The output is committed; rerunning gives the same bytes.

Layout:
  img/            images (a sprite sheet, backgrounds, tiles, UI, icons)
  sprites/        sprite files: {"image": "img/x.png", "rect": [x, y, w, h]}
  ui.bundle       the UI every scene shows (shared by all scenes)
  scene1..3.bundle  three scenes; they share the hero sheet, the UI and some icons
  edits/          edited versions of files that `depot demo` hot-swaps in
  broken/         a bundle with a missing file, a corrupt PNG and a cycle (for `depot inspect`)
"""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def png(path, w, h, pixel):
    """Writes an RGBA8 PNG; pixel(x, y) returns (r, g, b, a)."""
    raw = bytearray()
    for y in range(h):
        raw.append(0)
        for x in range(w):
            raw.extend(pixel(x, y))

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(bytes(raw), 9))
    data += chunk(b"IEND", b"")
    write(path, data)


def write(path, data):
    full = os.path.join(HERE, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(full, "wb") as f:
        f.write(data)


def jsonfile(path, obj):
    write(path, json.dumps(obj, indent=2) + "\n")


def gradient(c0, c1, h):
    def px(x, y):
        t = y / max(1, h - 1)
        return tuple(int(c0[i] + (c1[i] - c0[i]) * t) for i in range(3)) + (255,)
    return px


def checker(a, b, size):
    def px(x, y):
        return (a if ((x // size) + (y // size)) % 2 == 0 else b) + (255,)
    return px


def disc(color, bg=(0, 0, 0, 0), w=16):
    r = w / 2 - 1

    def px(x, y):
        dx, dy = x - w / 2 + 0.5, y - w / 2 + 0.5
        return color + (255,) if dx * dx + dy * dy <= r * r else bg
    return px


def sheet(x, y):
    # A 64x32 sprite sheet: four 16x16 characters on the top row, four frames below.
    colors = [(230, 80, 60), (80, 200, 90), (90, 110, 230), (200, 90, 200)]
    cx, cy = x % 16, y % 16
    c = colors[(x // 16) % 4]
    if y >= 16:
        c = tuple(min(255, v + 40) for v in c)
    inside = 3 <= cx <= 12 and 2 <= cy <= 14
    eye = cy == 6 and cx in (5, 10)
    if eye:
        return (255, 255, 255, 255)
    return c + (255,) if inside else (0, 0, 0, 0)


def ui(x, y):
    # 32x32: a heart (top left), a button (top right), a coin bar (bottom).
    if y < 16 and x < 16:
        return disc((220, 40, 60))(x, y)
    if y < 16:
        return (70, 70, 90, 255) if 2 <= y <= 13 else (0, 0, 0, 0)
    return (240, 200, 40, 255) if (x + y) % 4 else (180, 140, 20, 255)


def ui_night(x, y):
    r, g, b, a = ui(x, y)
    return (b, g // 2, r, a)


def main():
    png("img/hero_sheet.png", 64, 32, sheet)
    png("img/boss.png", 32, 32, disc((120, 30, 160), (0, 0, 0, 0), 32))
    png("img/forest_bg.png", 64, 48, gradient((120, 200, 255), (30, 120, 40), 48))
    png("img/cave_bg.png", 64, 48, gradient((40, 40, 60), (10, 10, 20), 48))
    png("img/sky_bg.png", 64, 48, gradient((250, 150, 80), (60, 20, 90), 48))
    png("img/tiles_forest.png", 32, 32, checker((60, 140, 50), (90, 170, 70), 8))
    png("img/tiles_cave.png", 32, 32, checker((90, 80, 70), (60, 55, 50), 8))
    png("img/ui.png", 32, 32, ui)
    png("edits/ui.png", 32, 32, ui_night)
    for name, color in [("coin", (250, 210, 40)), ("gem", (60, 220, 230)),
                        ("key", (200, 200, 210)), ("potion", (230, 60, 140))]:
        png("img/icons/%s.png" % name, 16, 16, disc(color))

    for i, name in enumerate(["hero", "slime", "bat", "ghost"]):
        jsonfile("sprites/%s.sprite" % name, {"image": "img/hero_sheet.png",
                                              "rect": [i * 16, 0, 16, 16]})
    jsonfile("sprites/hero_walk.sprite", {"image": "img/hero_sheet.png", "rect": [0, 16, 16, 16]})
    jsonfile("sprites/boss.sprite", {"image": "img/boss.png", "rect": [0, 0, 32, 32]})
    jsonfile("sprites/heart.sprite", {"image": "img/ui.png", "rect": [0, 0, 16, 16]})
    jsonfile("sprites/button.sprite", {"image": "img/ui.png", "rect": [16, 0, 16, 16]})
    jsonfile("sprites/coinbar.sprite", {"image": "img/ui.png", "rect": [0, 16, 32, 16]})

    jsonfile("ui.bundle", {"assets": ["sprites/heart.sprite", "sprites/button.sprite",
                                      "sprites/coinbar.sprite"]})
    jsonfile("scene1.bundle", {"assets": [
        "ui.bundle", "img/forest_bg.png", "img/tiles_forest.png", "sprites/hero.sprite",
        "sprites/hero_walk.sprite", "sprites/slime.sprite", "img/icons/coin.png",
        "img/icons/gem.png"]})
    jsonfile("scene2.bundle", {"assets": [
        "ui.bundle", "img/cave_bg.png", "img/tiles_cave.png", "sprites/hero.sprite",
        "sprites/hero_walk.sprite", "sprites/bat.sprite", "img/icons/coin.png",
        "img/icons/key.png"]})
    jsonfile("scene3.bundle", {"assets": [
        "ui.bundle", "img/sky_bg.png", "sprites/hero.sprite", "sprites/ghost.sprite",
        "sprites/boss.sprite", "img/icons/gem.png", "img/icons/potion.png"]})

    # broken/: what `depot inspect` finds in a damaged project.
    jsonfile("broken/level.bundle", {"assets": [
        "ui.bundle", "broken/missing.png", "broken/corrupt.png", "broken/loop_a.bundle"]})
    write("broken/corrupt.png", b"\x89PNG\r\n\x1a\nthis is not a png")
    jsonfile("broken/loop_a.bundle", {"assets": ["broken/loop_b.bundle", "img/icons/coin.png"]})
    jsonfile("broken/loop_b.bundle", {"assets": ["broken/loop_a.bundle"]})


if __name__ == "__main__":
    main()

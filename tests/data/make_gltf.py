#!/usr/bin/env python3
"""Writes the glTF 2.0 test files (tests/data/gltf_*) and the fuzz seeds (fuzz/corpus/gltf/).

Every file is built here from scratch: a one-triangle mesh (3 VEC3 float positions, 3
unsigned-short indices) in a 44-byte buffer, stored as a data: URI, as an external .bin
file or as a .glb BIN chunk; materials and textures use rgba_4x4.png from this folder.
The broken variants change one thing each. Run from anywhere: python3 make_gltf.py
"""
import base64
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "gltf")

POSITIONS = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
INDICES = struct.pack("<3H", 0, 1, 2) + b"\0\0"  # padded to 4 bytes
BUFFER = POSITIONS + INDICES  # 36 + 8 = 44 bytes


def scene(buffer_uri, meshes=1, shared_texture=False):
    """A scene: `meshes` meshes over one buffer, each with its own material; every
    material's base colour uses texture 0 (shared_texture) or its own texture, and every
    texture shows the same image file, so the image is one asset either way."""
    doc = {
        "asset": {"version": "2.0", "generator": "depot tests/data/make_gltf.py"},
        "buffers": [{"byteLength": len(BUFFER)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": 36, "byteStride": 12},
            {"buffer": 0, "byteOffset": 36, "byteLength": 6},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
             "min": [0, 0, 0], "max": [1, 1, 0]},
            {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"},
        ],
        "images": [{"uri": "rgba_4x4.png"}],
        "samplers": [{"magFilter": 9728, "minFilter": 9728}],
        "textures": [], "materials": [], "meshes": [], "nodes": [],
        "scenes": [{"nodes": [0]}], "scene": 0,
    }
    if buffer_uri is not None:
        doc["buffers"][0]["uri"] = buffer_uri
    for m in range(meshes):
        tex = 0 if shared_texture else m
        if tex == len(doc["textures"]):
            doc["textures"].append({"source": 0, "sampler": 0})
        doc["materials"].append({"pbrMetallicRoughness": {
            "baseColorFactor": [1, 0.5, 0.25, 1], "baseColorTexture": {"index": tex},
            "metallicFactor": 0, "roughnessFactor": 0.5}})
        doc["meshes"].append({"primitives": [{"attributes": {"POSITION": 0}, "indices": 1,
                                              "material": m}]})
        doc["nodes"].append({"mesh": m, "translation": [m, 0, 0]})
    doc["nodes"][0]["children"] = list(range(1, meshes))
    return doc


def data_uri(b):
    return "data:application/octet-stream;base64," + base64.b64encode(b).decode()


def write(name, data, seed=False):
    if isinstance(data, dict):
        data = json.dumps(data, indent=1).encode()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    if seed:
        with open(os.path.join(SEEDS, name), "wb") as f:
            f.write(data)


def glb(doc, bin_chunk):
    j = json.dumps(doc, separators=(",", ":")).encode()
    j += b" " * (-len(j) % 4)
    b = bin_chunk + b"\0" * (-len(bin_chunk) % 4)
    body = struct.pack("<I4s", len(j), b"JSON") + j + struct.pack("<I4s", len(b), b"BIN\0") + b
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def main():
    os.makedirs(SEEDS, exist_ok=True)
    write("gltf_embedded.gltf", scene(data_uri(BUFFER)), seed=True)
    write("gltf_external.gltf", scene("gltf_external.bin"))
    write("gltf_external.bin", BUFFER)
    write("gltf_scene.glb", glb(scene(None), BUFFER), seed=True)
    # Two meshes whose materials share texture 0: one image asset for both.
    write("gltf_shared_texture.gltf", scene("gltf_external.bin", meshes=2, shared_texture=True))
    # Two textures naming the same image file: still one image asset.
    write("gltf_two_textures_one_image.gltf", scene(data_uri(BUFFER), meshes=2), seed=True)

    bad = scene(data_uri(BUFFER))
    bad["accessors"][0]["count"] = 4  # 4 VEC3 with stride 12 need 48 bytes; the view has 36
    write("gltf_accessor_past_end.gltf", bad, seed=True)
    bad = scene(data_uri(BUFFER))
    bad["bufferViews"][1]["byteOffset"] = 40  # 40 + 6 > 44
    write("gltf_view_past_buffer.gltf", bad, seed=True)
    write("gltf_missing_buffer.gltf", scene("gltf_no_such_buffer.bin"))
    bad = scene(data_uri(BUFFER), meshes=2)
    bad["nodes"][1]["children"] = [0]  # 0 -> 1 -> 0
    bad["scenes"] = []
    del bad["scene"]
    write("gltf_cyclic_nodes.gltf", bad, seed=True)
    bad = scene(data_uri(BUFFER))
    bad["accessors"][0]["count"] = 4294967295  # 2^32 - 1 elements: must not wrap
    write("gltf_accessor_huge_count.gltf", bad, seed=True)
    write("gltf_truncated.glb", glb(scene(None), BUFFER)[:60], seed=True)
    # An external buffer file shorter than its byteLength: found when the accessor is read.
    write("gltf_short_external.gltf", scene("gltf_short.bin"))
    write("gltf_short.bin", BUFFER[:20])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the golden fixtures of the Imaging tests into Tests/Fixtures/Images/.

Run from the repository root with the tools virtualenv (numpy + Pillow):

    .venv-tools/bin/python Tools/make_image_fixtures.py [--assets Assets/images]

What it writes:

* Tiny PNG files of every colour type and bit depth (gray 1/8/16, gray+alpha 8/16, RGB 8/16,
  RGBA 8/16, palette 4/8 with and without tRNS, an Adam7-interlaced file, and two files carrying
  gAMA/cHRM chunks that a decoder must not apply). The PNG bytes are produced by the small
  encoder below from known numpy arrays (so every colour type and filter type is exercised, which
  Pillow's encoder cannot do for 16-bit colour), and every file is checked by decoding it back
  with Pillow (`verify()` for CRCs, then the pixels: exact for the modes Pillow keeps at full
  precision, the high byte for the 16-bit colour modes Pillow truncates to 8 bits,
  Pillow opening 16-bit gray + alpha as RGBA).
* Small JPEG files written by Pillow (baseline 4:2:0, progressive, grayscale, CMYK); their
  golden pixels are Pillow's own decode (libjpeg-turbo), compared in Swift with a tolerance.
* For every image `<name>.f32`: the expected `[3, H, W]` tensor of the default decode (gray
  replicated, alpha composited over white: `c·a + 1·(1 − a)` in float32), raw little-endian
  float32; for images with alpha also `<name>.rgba.f32`: the straight `[4, H, W]` RGBA values.
* `manifest.json`: one entry per image (file names, size, bit depth, tolerance, description).
* With `--assets DIR`: `photographs.json`, Pillow's pixel values and per-channel sums of a few
  real photographs (coffee.png, chelsea.png, rocket.jpg) for the asset tests.
"""

import argparse
import json
import pathlib
import struct
import zlib

import numpy as np
import PIL
from PIL import Image, features

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "Images"

# ---------------------------------------------------------------------------------------------
# A minimal PNG encoder (colour types 0, 2, 3, 4, 6; bit depths 1..16; all five filter types;
# optional Adam7 interlacing).

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """Packs one row of samples (1-D uint array) into bytes, MSB first, big-endian."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    padded = np.zeros(-(-len(samples) // per_byte) * per_byte, dtype=np.uint16)
    padded[: len(samples)] = samples
    out = bytearray()
    for i in range(0, len(padded), per_byte):
        value = 0
        for s in padded[i : i + per_byte]:
            value = (value << depth) | int(s)
        out.append(value)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp):
    """Filters rows with filter type (row index mod 5): None, Sub, Up, Average, Paeth."""
    out = bytearray()
    previous = bytes(len(rows[0])) if rows else b""
    for index, row in enumerate(rows):
        kind = index % 5
        filtered = bytearray(len(row))
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            filtered[i] = (x - predictor) & 0xFF
        out.append(kind)
        out += filtered
        previous = row
    return bytes(out)


def encode_png(samples, color_type, depth, palette=None, trns=None, interlace=False, extra=()):
    """samples: [H, W, C] unsigned integers (palette indices for colour type 3)."""
    height, width, channels = samples.shape
    assert channels == CHANNELS[color_type]
    bpp = max(1, channels * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    data = b""
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        rows = [pack_row(sub[y].reshape(-1), depth) for y in range(sub.shape[0])]
        data += filter_rows(rows, bpp)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0)
    png = SIGNATURE + chunk(b"IHDR", ihdr)
    for kind, payload in extra:
        png += chunk(kind, payload)
    if palette is not None:
        png += chunk(b"PLTE", bytes(np.asarray(palette, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    # Two IDAT chunks, so that decoders must join them.
    compressed = zlib.compress(data, 9)
    half = len(compressed) // 2
    png += chunk(b"IDAT", compressed[:half]) + chunk(b"IDAT", compressed[half:])
    return png + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------
# Expected values.

def to_float(values, depth):
    """Stored samples → float32 in [0, 1]: v / (2^depth − 1), divided in float32."""
    return values.astype(np.float32) / np.float32((1 << depth) - 1)


def composite(rgb, alpha, background):
    """Straight colour over a background, `c·a + bg·(1 − a)`, in float32 as the decoder does."""
    bg = np.asarray(background, dtype=np.float32).reshape(3, 1, 1)
    return rgb * alpha + bg * (np.float32(1) - alpha)


def planar(values):
    """[H, W, C] → [C, H, W]."""
    return np.ascontiguousarray(np.moveaxis(values, -1, 0))


def write_f32(name, array):
    array = np.ascontiguousarray(array, dtype="<f4")
    (OUT / name).write_bytes(array.tobytes())


def check_with_pillow(path, truth, mode_check):
    with Image.open(path) as image:
        image.verify()  # CRCs and structure
    with Image.open(path) as image:
        image.load()
        decoded = np.array(image)
        mode_check(image, decoded, truth)


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=pathlib.Path, help="folder holding coffee.png etc.")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20180908)  # ECCV 2018
    manifest = []

    def random_samples(height, width, channels, depth):
        top = (1 << depth) - 1
        values = rng.integers(0, top + 1, size=(height, width, channels), dtype=np.int64)
        values[0, 0, :] = 0
        values[-1, -1, :] = top
        return values

    def alpha_plane(height, width, depth):
        top = (1 << depth) - 1
        alpha = rng.integers(0, top + 1, size=(height, width), dtype=np.int64)
        # Fully transparent, fully opaque and a mid value, at fixed places.
        alpha[0, 1], alpha[1, 0], alpha[1, 1] = 0, top, top // 2
        return alpha

    def add(name, png_bytes, rgba_straight, depth, color_type, description, pillow_check,
            tolerance=0.0, has_alpha=None):
        """rgba_straight: [H, W, 4] float32 straight RGBA expected values."""
        (OUT / name).write_bytes(png_bytes)
        height, width = rgba_straight.shape[:2]
        rgb = planar(rgba_straight[..., :3])
        alpha = planar(rgba_straight[..., 3:])
        has_alpha = bool((alpha != 1).any()) if has_alpha is None else has_alpha
        stem = name.rsplit(".", 1)[0]
        write_f32(stem + ".f32", composite(rgb, alpha, (1, 1, 1)) if has_alpha else rgb)
        entry = {
            "image": name, "format": "png", "width": width, "height": height,
            "bitDepth": depth, "colorType": color_type, "hasAlpha": has_alpha,
            "expected": stem + ".f32", "tolerance": tolerance, "description": description,
        }
        if has_alpha:
            write_f32(stem + ".rgba.f32", planar(rgba_straight))
            entry["expectedRGBA"] = stem + ".rgba.f32"
        manifest.append(entry)
        check_with_pillow(OUT / name, None, pillow_check)

    def gray_rgba(gray, alpha, depth):
        g = to_float(gray, depth)
        a = np.ones_like(g) if alpha is None else to_float(alpha, depth)
        return np.stack([g, g, g, a], axis=-1)

    def exact(expected):
        def check(image, decoded, _):
            assert np.array_equal(decoded.astype(np.int64), expected), (image.mode, decoded)
        return check

    H, W = 4, 5

    # Gray 1-bit: samples 0/1 scale to 0/255.
    gray1 = rng.integers(0, 2, size=(H, W, 1))
    add("gray1.png", encode_png(gray1, 0, 1), gray_rgba(gray1[..., 0], None, 1), 1, 0,
        "gray, 1 bit", exact(gray1[..., 0].astype(bool)))

    # Gray 8-bit and 16-bit.
    gray8 = random_samples(H, W, 1, 8)
    add("gray8.png", encode_png(gray8, 0, 8), gray_rgba(gray8[..., 0], None, 8), 8, 0,
        "gray, 8 bits", exact(gray8[..., 0]))
    gray16 = random_samples(H, W, 1, 16)
    add("gray16.png", encode_png(gray16, 0, 16), gray_rgba(gray16[..., 0], None, 16), 16, 0,
        "gray, 16 bits (no gamma chunk: a decoder must not treat it as linear light)",
        exact(gray16[..., 0]))

    # Gray + alpha.
    ga8 = np.concatenate([random_samples(H, W, 1, 8), alpha_plane(H, W, 8)[..., None]], -1)
    add("graya8.png", encode_png(ga8, 4, 8), gray_rgba(ga8[..., 0], ga8[..., 1], 8), 8, 4,
        "gray + alpha, 8 bits", exact(ga8))
    ga16 = np.concatenate([random_samples(H, W, 1, 16), alpha_plane(H, W, 16)[..., None]], -1)
    add("graya16.png", encode_png(ga16, 4, 16), gray_rgba(ga16[..., 0], ga16[..., 1], 16), 16, 4,
        "gray + alpha, 16 bits", exact((ga16 >> 8)[..., [0, 0, 0, 1]]), tolerance=1e-5)

    # RGB and RGBA.
    def rgba_of(values, depth):
        f = to_float(values, depth)
        if f.shape[-1] == 3:
            f = np.concatenate([f, np.ones_like(f[..., :1])], -1)
        return f

    rgb8 = random_samples(H, W, 3, 8)
    add("rgb8.png", encode_png(rgb8, 2, 8), rgba_of(rgb8, 8), 8, 2, "RGB, 8 bits", exact(rgb8))
    rgb16 = random_samples(H, W, 3, 16)
    add("rgb16.png", encode_png(rgb16, 2, 16), rgba_of(rgb16, 16), 16, 2, "RGB, 16 bits",
        exact(rgb16 >> 8))
    rgba8 = np.concatenate([random_samples(H, W, 3, 8), alpha_plane(H, W, 8)[..., None]], -1)
    add("rgba8.png", encode_png(rgba8, 6, 8), rgba_of(rgba8, 8), 8, 6, "RGBA, 8 bits",
        exact(rgba8))
    rgba16 = np.concatenate([random_samples(H, W, 3, 16), alpha_plane(H, W, 16)[..., None]], -1)
    add("rgba16.png", encode_png(rgba16, 6, 16), rgba_of(rgba16, 16), 16, 6, "RGBA, 16 bits",
        exact(rgba16 >> 8), tolerance=1e-5)

    # Palette, 8 and 4 bits, with and without tRNS.
    palette = rng.integers(0, 256, size=(7, 3))
    indices = rng.integers(0, 7, size=(H, W, 1))

    def palette_check(rgba_expected):
        def check(image, decoded, _):
            assert image.mode == "P", image.mode
            assert np.array_equal(decoded, indices[..., 0])
            converted = np.array(image.convert("RGBA")).astype(np.int64)
            assert np.array_equal(converted, rgba_expected), converted
        return check

    opaque = np.concatenate([palette[indices[..., 0]], np.full((H, W, 1), 255)], -1)
    add("palette8.png", encode_png(indices, 3, 8, palette=palette), rgba_of(opaque, 8), 8, 3,
        "palette, 8 bits, no tRNS", palette_check(opaque))
    add("palette4.png", encode_png(indices, 3, 4, palette=palette), rgba_of(opaque, 8), 4, 3,
        "palette, 4 bits, no tRNS", palette_check(opaque))
    # tRNS gives alpha to the first five entries (0 and 255 among them); the rest stay opaque.
    trns = np.array([0, 128, 255, 17, 200], dtype=np.uint8)
    palette_alpha = np.concatenate([trns, np.full(7 - len(trns), 255, dtype=np.uint8)])
    translucent = np.concatenate([palette[indices[..., 0]], palette_alpha[indices]], -1)
    add("palette8_trns.png", encode_png(indices, 3, 8, palette=palette, trns=trns.tobytes()),
        rgba_of(translucent, 8), 8, 3, "palette, 8 bits, with tRNS", palette_check(translucent),
        has_alpha=True)

    # More low bit depths, and a gray colour key (tRNS).
    gray4 = random_samples(H, W, 1, 4)
    add("gray4.png", encode_png(gray4, 0, 4), gray_rgba(gray4[..., 0], None, 4), 4, 0,
        "gray, 4 bits", exact(gray4[..., 0] * 17))  # Pillow scales to 8 bits
    two_colours = rng.integers(0, 256, size=(2, 3))
    bits = rng.integers(0, 2, size=(H, W, 1))
    bits_rgba = np.concatenate([two_colours[bits[..., 0]], np.full((H, W, 1), 255)], -1)

    def palette1_check(image, decoded, _):
        assert image.mode == "P" and np.array_equal(decoded, bits[..., 0])
        assert np.array_equal(np.array(image.convert("RGBA")).astype(np.int64), bits_rgba)

    add("palette1.png", encode_png(bits, 3, 1, palette=two_colours), rgba_of(bits_rgba, 8), 1, 3,
        "palette, 1 bit, two colours", palette1_check)
    keyed = random_samples(H, W, 1, 8)
    key = int(keyed[2, 3, 0])
    keyed[0, 2, 0] = key  # at least two transparent pixels
    key_alpha = np.where(keyed[..., 0] == key, 0, 255)

    def key_check(image, decoded, _):
        assert image.mode == "L" and image.info.get("transparency") == key
        rgba = np.array(image.convert("RGBA")).astype(np.int64)
        assert np.array_equal(rgba[..., 0], keyed[..., 0]) and np.array_equal(rgba[..., 3], key_alpha)

    add("gray8_trns.png", encode_png(keyed, 0, 8, trns=struct.pack(">H", key)),
        gray_rgba(keyed[..., 0], key_alpha, 8), 8, 0, "gray, 8 bits, tRNS colour key",
        key_check, has_alpha=True)

    # Adam7 interlacing (every pass non-empty at 9×7).
    rgb_interlaced = random_samples(7, 9, 3, 8)
    add("rgb8_interlaced.png", encode_png(rgb_interlaced, 2, 8, interlace=True),
        rgba_of(rgb_interlaced, 8), 8, 2, "RGB, 8 bits, Adam7 interlaced", exact(rgb_interlaced))

    # Colour-space chunks that must not change the stored values (Pillow ignores them too):
    # an 8-bit file declaring linear light (gAMA 1.0) and a 16-bit file declaring sRGB-like
    # gamma 1/2.2 with sRGB chromaticities.
    linear_gamma = (b"gAMA", struct.pack(">I", 100000))
    srgb_gamma = (b"gAMA", struct.pack(">I", 45455))
    chrm = (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
    rgb8_gamma = random_samples(H, W, 3, 8)
    add("rgb8_gamma1.png", encode_png(rgb8_gamma, 2, 8, extra=[linear_gamma, chrm]),
        rgba_of(rgb8_gamma, 8), 8, 2, "RGB, 8 bits, with gAMA 1.0 and cHRM (ignored)",
        exact(rgb8_gamma))
    rgb16_gamma = random_samples(H, W, 3, 16)
    add("rgb16_gamma.png", encode_png(rgb16_gamma, 2, 16, extra=[srgb_gamma, chrm]),
        rgba_of(rgb16_gamma, 16), 16, 2, "RGB, 16 bits, with gAMA 1/2.2 and cHRM (ignored)",
        exact(rgb16_gamma >> 8))

    # JPEGs, written and decoded by Pillow (libjpeg-turbo).
    def scene(height, width):
        y, x = np.mgrid[0:height, 0:width]
        r = 255 * x / (width - 1)
        g = 255 * y / (height - 1)
        b = np.where((x // 3 + y // 3) % 2 == 0, 220.0, 40.0)
        noise = rng.normal(0, 12, size=(height, width, 3))
        return np.clip(np.stack([r, g, b], -1) + noise, 0, 255).round().astype(np.uint8)

    def add_jpeg(name, image, description, **save):
        path = OUT / name
        image.save(path, **save)
        with Image.open(path) as decoded:
            decoded.load()
            mode = decoded.mode
            rgb = np.array(decoded.convert("RGB"))
        height, width = rgb.shape[:2]
        write_f32(name.rsplit(".", 1)[0] + ".f32", planar(to_float(rgb, 8)))
        manifest.append({
            "image": name, "format": "jpeg", "width": width, "height": height, "bitDepth": 8,
            "pillowMode": mode, "hasAlpha": False, "expected": name.rsplit(".", 1)[0] + ".f32",
            "tolerance": 2 / 255, "description": description,
        })

    photo = Image.fromarray(scene(10, 18), "RGB")
    add_jpeg("baseline420.jpg", photo, "baseline, 4:2:0, quality 90", quality=90,
             subsampling="4:2:0")
    add_jpeg("progressive.jpg", photo, "progressive, 4:2:0, quality 85", quality=85,
             subsampling="4:2:0", progressive=True)
    small = Image.fromarray(scene(7, 9), "RGB")
    add_jpeg("gray.jpg", small.convert("L"), "grayscale, quality 90", quality=90)
    # CMYK with real black ink: C, M, Y from the scene, K a ramp from 0 to 200.
    cmy = 255 - scene(7, 9)
    k = np.repeat(np.linspace(0, 200, 9).round().astype(np.uint8)[None, :], 7, axis=0)
    cmyk = Image.fromarray(np.concatenate([cmy, k[..., None]], -1), "CMYK")
    add_jpeg("cmyk.jpg", cmyk, "CMYK (Adobe, inverted), 4:4:4, quality 95, K from 0 to 200",
             quality=95, subsampling="4:4:4")

    header = json.dumps({
        "generator": "Tools/make_image_fixtures.py", "numpy": np.__version__,
        "pillow": PIL.__version__, "libjpeg_turbo": features.version_feature("libjpeg_turbo"),
    })[:-1]
    entries = ",\n  ".join(json.dumps(entry) for entry in manifest)  # one image per line
    (OUT / "manifest.json").write_text(f'{header},\n "images": [\n  {entries}\n ]\n}}\n')

    if args.assets:
        write_photographs(args.assets)

    total = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"wrote {len(manifest)} images, {total} bytes in {OUT.relative_to(ROOT)}")


def write_photographs(folder):
    """Pillow's decode of a few real photographs: sample pixels and per-channel sums."""
    entries = []
    for name in ["coffee.png", "chelsea.png", "rocket.jpg"]:
        with Image.open(folder / name) as image:
            rgb = np.array(image.convert("RGB")).astype(np.int64)
        height, width = rgb.shape[:2]
        points = [(0, 0), (height - 1, width - 1), (height // 2, width // 2), (123, 321),
                  (height - 7, 11)]
        entries.append({
            "image": name, "width": width, "height": height,
            "pixels": [{"y": y, "x": x, "rgb": rgb[y, x].tolist()} for y, x in points],
            "channelSums": rgb.sum(axis=(0, 1)).tolist(),
        })
    header = json.dumps({
        "generator": "Tools/make_image_fixtures.py --assets Assets/images",
        "pillow": PIL.__version__,
    })[:-1]
    lines = ",\n  ".join(json.dumps(entry) for entry in entries)
    (OUT / "photographs.json").write_text(f'{header},\n "photographs": [\n  {lines}\n ]\n}}\n')


if __name__ == "__main__":
    main()

import io
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.engine.loading import ImageLoadError, load_image
from tests.conftest import encode


def test_jpeg_roundtrip_metadata_and_quality(photo):
    data = encode(photo, "JPEG", quality=75)
    img = load_image(data)
    assert img.pixels.shape == photo.shape and img.pixels.dtype == np.uint8
    assert img.info.format == "JPEG" and img.info.jpeg_quality == 75
    assert img.info.file_size == len(data) and len(img.info.sha256) == 64
    assert img.scale == 1.0


@pytest.mark.parametrize("q", [20, 50, 90, 100])
def test_jpeg_quality_estimate_is_exact_for_libjpeg(photo, q):
    assert load_image(encode(photo, "JPEG", quality=q)).info.jpeg_quality == q


def test_exif_orientation_is_applied():
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:, :20] = (255, 0, 0)  # left half red
    img = Image.fromarray(rgb)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 clockwise for display
    buf = io.BytesIO()
    img.save(buf, "PNG", exif=exif)
    out = load_image(buf.getvalue())
    assert out.pixels.shape == (40, 20, 3)
    assert (out.info.width, out.info.height, out.info.exif_orientation) == (20, 40, 6)
    # After a clockwise turn, the old left half is on top.
    assert out.pixels[0, 10, 0] > 200 and out.pixels[-1, 10, 0] < 50


def test_transparency_is_flattened_on_white():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:5, :, 3] = 255  # top half opaque red, bottom transparent
    out = load_image(encode(rgba, "PNG"))
    assert out.info.had_transparency
    assert tuple(out.pixels[0, 0]) == (200, 0, 0)
    assert tuple(out.pixels[9, 9]) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["L", "1", "P", "LA", "CMYK", "I;16"])
def test_modes_convert_to_rgb(photo, mode):
    img = Image.fromarray(photo)
    if mode == "I;16":
        arr = np.asarray(img.convert("L")).astype(np.uint16) * 257
        img = Image.fromarray(arr)  # uint16 -> mode I;16
    else:
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, "TIFF" if mode == "CMYK" else "PNG")
    out = load_image(buf.getvalue())
    assert out.pixels.shape == photo.shape and out.pixels.dtype == np.uint8
    if mode == "I;16":
        assert out.info.bit_depth == 16
        ref = np.asarray(Image.fromarray(photo).convert("L"))
        assert np.abs(out.pixels[..., 0].astype(int) - ref).max() <= 1


def test_16bit_rgb_tiff_is_scaled_not_truncated():
    import cv2

    rgb16 = np.zeros((16, 16, 3), np.uint16)
    rgb16[..., 0] = 65535
    rgb16[..., 2] = 32896  # ~128 in 8 bits
    ok, buf = cv2.imencode(".tiff", cv2.cvtColor(rgb16, cv2.COLOR_RGB2BGR))
    assert ok
    out = load_image(buf.tobytes())
    assert tuple(out.pixels[0, 0]) == (255, 0, 128)


def test_gif_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    out = load_image(buf.getvalue())
    assert out.info.frames == 2 and out.pixels[0, 0, 0] > 200 and out.pixels[0, 0, 2] < 50


def _tiff_pages(n: int) -> bytes:
    """A little-endian TIFF of ``n`` pages, each one grey pixel (114 bytes a page), built directly:
    Pillow or tifffile take seconds to write tens of thousands of pages."""
    import struct

    first = 10  # after the 8-byte header and the one pixel every page points at (word-aligned)
    entries = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 8), (277, 3, 1)]
    entries += [(278, 3, 1), (279, 4, 1)]
    size = 2 + 12 * len(entries) + 4
    out = [b"II*\x00", struct.pack("<I", first), b"\x80\x00"]
    for i in range(n):
        ifd = [struct.pack("<H", len(entries))]
        ifd += [struct.pack("<HHII", tag, kind, 1, value) for tag, kind, value in entries]
        ifd.append(struct.pack("<I", first + (i + 1) * size if i + 1 < n else 0))
        out.append(b"".join(ifd))
    return b"".join(out)


def test_a_file_of_more_than_1000_frames_or_pages_is_refused():
    """No product photo has more than 1,000 frames or pages: such a file is refused, saying why;
    one of 1,000 is read (its first frame). A GIF of 10,000 frames was taken as a photo."""
    from core.engine.loading import MAX_FRAMES

    assert MAX_FRAMES == 1000
    ok = load_image(_tiff_pages(1000))
    assert ok.info.frames == 1000 and ok.info.format == "TIFF" and ok.pixels.shape == (1, 1, 3)
    frames = [Image.new("L", (4, 4), 255 * (i % 2)) for i in range(1001)]  # alternating: none merged
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=20)
    for data in (_tiff_pages(1001), buf.getvalue()):
        with pytest.raises(ImageLoadError) as e:
            load_image(data)
        assert e.value.kind == "too_many_frames"
        assert str(e.value) == (
            "The file holds more than 1,000 frames or pages: that is not a product photo. "
            "Please upload the picture on its own."
        )


def test_a_tiffs_pages_are_counted_only_to_the_limit(monkeypatch):
    """Pillow's n_frames walks every page of a TIFF, checking each against all those before it:
    40,000 one-pixel pages (7.7 MB) took 21 s of the server's CPU, a 50 MB file would take many
    minutes. The count stops past the limit: a 20,000-page file has about 1,000 pages read."""
    from PIL import TiffImagePlugin

    reads = 0
    load = TiffImagePlugin.ImageFileDirectory_v2.load

    def counted(self, fp):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return load(self, fp)

    monkeypatch.setattr(TiffImagePlugin.ImageFileDirectory_v2, "load", counted)
    with pytest.raises(ImageLoadError) as e:
        load_image(_tiff_pages(20_000))
    assert e.value.kind == "too_many_frames"
    assert reads <= 1010, reads


def test_icc_profile_is_converted(photo):
    from PIL import ImageCms

    prof = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))  # any valid non-sRGB-named profile
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "PNG", icc_profile=srgb.tobytes())
    assert load_image(buf.getvalue()).info.icc_converted
    assert prof is not None


def test_reduced_decode_keeps_true_size():
    big = np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), dtype=np.uint8)
    out = load_image(encode(big, "JPEG", quality=80), reduce_to=1024)
    assert (out.info.width, out.info.height) == (4000, 3000)
    assert max(out.pixels.shape[:2]) >= 1024 and max(out.pixels.shape[:2]) < 4000
    assert out.scale == pytest.approx(max(out.pixels.shape[:2]) / 4000)


# --- one test per kind of bad input ---------------------------------------------------------


def test_empty():
    with pytest.raises(ImageLoadError) as e:
        load_image(b"")
    assert e.value.kind == "empty" and "empty" in str(e.value)


def test_not_an_image():
    with pytest.raises(ImageLoadError) as e:
        load_image(b"hello, this is a text file" * 10)
    assert e.value.kind == "not_image"


def test_truncated(photo):
    data = encode(photo, "JPEG", quality=90)
    with pytest.raises(ImageLoadError) as e:
        load_image(data[: len(data) // 2])
    assert e.value.kind == "truncated"


def test_unsupported_format_is_named():
    jxl = b"\x00\x00\x00\x0cJXL \r\n\x87\n" + b"\x00" * 64
    with pytest.raises(ImageLoadError) as e:
        load_image(jxl)
    assert e.value.kind == "unsupported_format" and "JPEG XL" in str(e.value)


def test_a_floating_point_tiff_is_named_as_a_tiff_it_cannot_read():
    """Scientific TIFFs (64-bit float samples, planes apart) are TIFFs, not "not an image": found
    scoring scikit-image's own data folder."""
    tifffile = pytest.importorskip("tifffile")  # installed with scikit-image
    buf = io.BytesIO()
    tifffile.imwrite(buf, np.random.default_rng(0).random((3, 10, 10)), planarconfig="separate", photometric="rgb")
    with pytest.raises(ImageLoadError) as e:
        load_image(buf.getvalue())
    assert e.value.kind == "unsupported_format" and "TIFF" in str(e.value) and "floating-point" in str(e.value)


def test_a_damaged_header_of_a_known_format_names_the_format():
    png = bytearray(encode(np.zeros((20, 20, 3), np.uint8), "PNG"))
    png[24] = 3  # a bit depth no PNG has
    with pytest.raises(ImageLoadError) as e:
        load_image(bytes(png))
    assert e.value.kind == "corrupt" and "The PNG file is damaged" in str(e.value)
    with pytest.raises(ImageLoadError) as e:
        load_image(b"\xff\xd8\xff" + b"\x00" * 64)
    assert e.value.kind == "corrupt" and "The JPEG file is damaged" in str(e.value)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_phone_heic_and_web_avif_decode_upright_with_their_facts(fmt):
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:, :20] = (255, 0, 0)  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # shot with the phone turned: rotate 90 clockwise for display
    data = encode(rgb, fmt, quality=90, exif=exif.tobytes())
    out = load_image(data)
    assert out.info.format == fmt and out.info.jpeg_quality is None and out.info.file_size == len(data)
    assert out.pixels.shape == (40, 20, 3) and (out.info.width, out.info.height) == (20, 40)
    assert out.pixels[2, 10, 0] > 200 and out.pixels[-3, 10, 0] < 60  # the old left half on top


def test_a_heic_cut_short_or_without_its_body_says_so(photo):
    data = encode(photo, "HEIF", quality=80)
    with pytest.raises(ImageLoadError) as cut:
        load_image(data[: len(data) // 2])
    assert cut.value.kind == "truncated"
    header_only = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(ImageLoadError) as damaged:
        load_image(header_only)
    assert damaged.value.kind == "corrupt" and "HEIC" in str(damaged.value)


def test_unsupported_pillow_format(photo):
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "PPM")
    with pytest.raises(ImageLoadError) as e:
        load_image(buf.getvalue())
    assert e.value.kind == "unsupported_format"


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge size, with a tiny (useless) data stream."""
    import struct

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_refused_before_decoding():
    with pytest.raises(ImageLoadError) as e:
        load_image(_png_bomb(50_000, 50_000), max_pixels=100_000_000)
    assert e.value.kind == "too_many_pixels"
    # Said like any oversized image (Pillow's own text names neither the size nor our limit).
    assert str(e.value) == (
        "The image is 50000x50000 (2500 MP); the limit is 100 MP. Please downscale it before uploading."
    )


def test_configurable_pixel_limit(photo):
    with pytest.raises(ImageLoadError) as e:
        load_image(encode(photo), max_pixels=1000)
    assert e.value.kind == "too_many_pixels" and "512x512" in str(e.value)


def test_file_size_limit(photo, tmp_path):
    p = tmp_path / "x.png"
    p.write_bytes(encode(photo))
    with pytest.raises(ImageLoadError) as e:
        load_image(p, max_bytes=1000)
    assert e.value.kind == "file_too_large"


def test_corrupt_data_after_valid_header(photo):
    data = bytearray(encode(photo, "PNG"))
    data[200:400] = b"\xff" * 200
    with pytest.raises(ImageLoadError):
        load_image(bytes(data))


def test_missing_path(tmp_path):
    with pytest.raises(ImageLoadError) as e:
        load_image(tmp_path / "nope.jpg")
    assert e.value.kind == "unreadable"


def test_import_has_no_side_effect_on_pillow():
    """Importing the loader leaves Pillow's truncated-image switch as it was."""
    import subprocess
    import sys

    code = (
        "from PIL import ImageFile; ImageFile.LOAD_TRUNCATED_IMAGES = True; import core.engine.loading; "
        "print(ImageFile.LOAD_TRUNCATED_IMAGES)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert out.stdout.strip() == "True"


def test_truncated_images_switched_on_is_refused(photo, monkeypatch):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        load_image(encode(photo, "PNG"))


def test_large_images_are_copied_out_in_bands_exactly(photo, monkeypatch):
    """Above the band size, pixels leave Pillow a band of rows at a time (less peak memory)."""
    from core.engine import loading

    monkeypatch.setattr(loading, "_BAND_BYTES", 3 * photo.shape[1] * 7)  # 7 rows a band
    odd = photo[:101]  # the last band is short
    loaded = loading.load_image(encode(odd, "PNG")).pixels
    assert loaded.flags.writeable and np.array_equal(loaded, odd)


@pytest.mark.parametrize(("quality", "step"), [(95, 2), (85, 5), (75, 8), (50, 16)])
def test_the_jpeg_dc_step_is_read_from_the_files_own_tables(photo, quality, step):
    """How coarsely the file's save rounded each block's mean (IJG: 16 scaled by the quality)."""
    info = load_image(encode(photo, "JPEG", quality=quality)).info
    assert (info.jpeg_quality, info.jpeg_dc_step) == (quality, step)


def test_a_file_that_is_not_a_jpeg_has_no_dc_step(photo):
    assert load_image(encode(photo, "PNG")).info.jpeg_dc_step is None


def test_without_pillow_heif_a_heic_is_refused_as_unsupported_not_as_broken(photo, tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = tmp_path / "phone.heic"
    path.write_bytes(encode(photo, "HEIF", quality=80))
    code = (
        "import sys; sys.modules['pillow_heif'] = None\n"  # as if it were not installed
        "from core.engine.loading import ImageLoadError, load_image\n"
        f"try: load_image({str(path)!r})\n"
        "except ImageLoadError as e: print(e.kind, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.startswith("unsupported_format HEIC/HEIF files are not supported"), out


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_pixel_limit_holds_for_heic_and_avif(photo, fmt):
    with pytest.raises(ImageLoadError) as e:
        load_image(encode(photo, fmt, quality=80), max_pixels=1000)
    assert e.value.kind == "too_many_pixels" and "the limit is 0.001 MP" in str(e.value)


@pytest.mark.parametrize(("fmt", "cut"), [("JPEG", 10), ("JPEG", 100), ("PNG", 20)])
def test_a_header_cut_short_is_named_in_plain_words(fmt, cut):
    """Found by a browser probe: Pillow's own message reached the merchant ("The image header is
    damaged: Truncated File Read.")."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(buf, fmt)
    with pytest.raises(ImageLoadError) as err:
        load_image(buf.getvalue()[:cut])
    assert err.value.kind == "corrupt"
    assert (
        str(err.value) == f"The {fmt} file is damaged or cut short: its header cannot be read. Please export it again."
    )

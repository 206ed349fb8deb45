"""core.engine.structure: a file's segments, chunks, blocks, tags and strips are counted within
budgets before Pillow reads them, and real files (animated ones included) are untouched."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from core.engine.loading import MAX_FRAMES, ImageLoadError, load_image
from core.engine.structure import (
    MAX_STRAY_BYTES,
    StructureError,
    check_structure,
    gif_block_budget,
    segment_budget,
)


def _gif_frames(n: int, *, between: bytes = b"", comment: bytes = b"", trailer: bytes = b";") -> bytes:
    """A 1x1 GIF of ``n`` frames built directly (Pillow merges identical frames and takes seconds
    for thousands): ``between`` goes before every frame after the first, ``comment`` (raw bytes of
    a comment extension's sub-blocks) before the first."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"!\xf9\x04\x04\x0a\x00\x00\x00" + b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x4c\x01\x00"
    first = (b"!\xfe" + comment + b"\x00" if comment else b"") + frame
    return head + first + (between + frame) * (n - 1) + trailer


def _pillow_gif(frames: int, **kw: object) -> bytes:
    rng = np.random.default_rng(frames)
    images = [Image.fromarray(rng.integers(0, 255, (6, 5, 3), dtype=np.uint8)) for _ in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        _pillow_gif(1),
        _pillow_gif(7, duration=40, loop=0, comment=b"made here", disposal=2),
        _pillow_gif(5, optimize=False, transparency=0),
        _gif_frames(12),
        _gif_frames(12, between=b"\x00\x00junk"),  # bytes starting no block: Pillow skips them
        _gif_frames(3, comment=b"\x05hello\x03abc"),
        _gif_frames(4, trailer=b""),  # no trailer
        _gif_frames(4, trailer=b";trailing garbage ,,,"),
        _gif_frames(4, trailer=b"!\xfe\x02hi\x00;"),  # an extension after the last frame
        _gif_frames(4)[:-4],  # cut short in the last frame's data
    ],
    ids=["still", "animated", "transparent", "built", "junk", "comment", "untrailed", "garbage", "tail", "cut"],
)
def test_a_gifs_frames_are_counted_as_pillow_counts_them(data):
    """The count replaces Pillow's n_frames (a walk of every block in Python): it must be the same."""
    assert check_structure(data, max_frames=MAX_FRAMES) == Image.open(io.BytesIO(data)).n_frames


def test_multi_frame_files_still_load_their_first_frame_with_their_count():
    """Animated GIF, WebP and PNG (APNG) and a 1,000-frame GIF: frame 0, counted as before."""
    colours = [(250, 0, 0), (0, 0, 250), (0, 250, 0)]
    for fmt in ("GIF", "WEBP", "PNG"):
        frames = [Image.new("RGB", (8, 8), c) for c in colours]
        buf = io.BytesIO()
        frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=50, lossless=True)
        out = load_image(buf.getvalue())
        assert (out.info.format, out.info.frames) == (fmt, 3)
        assert tuple(out.pixels[4, 4]) == (250, 0, 0), fmt
    thousand = load_image(_gif_frames(MAX_FRAMES))
    assert thousand.info.frames == MAX_FRAMES and thousand.pixels.shape == (1, 1, 3)


def test_a_gifs_frames_are_counted_only_to_the_limit(monkeypatch):
    """Pillow's n_frames walks every frame of a GIF: a 51 MB GIF of 3.4 million one-pixel frames
    took 7.4 s before being refused. The count stops at frame 1,001 and Pillow walks none."""
    from PIL import GifImagePlugin

    walked = 0
    seek = GifImagePlugin.GifImageFile._seek

    def counted(self, frame, update_image=True):  # type: ignore[no-untyped-def]
        nonlocal walked
        walked += 1
        return seek(self, frame, update_image)

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "_seek", counted)
    with pytest.raises(ImageLoadError) as e:
        load_image(_gif_frames(20_000))
    assert e.value.kind == "too_many_frames" and str(e.value).startswith("The file holds more than 1,000 frames")
    assert walked == 0
    assert load_image(_gif_frames(500)).info.frames == 500
    assert walked <= 2, walked  # frame 0 only, when opening


def _anim_webp(frames: int) -> bytes:
    """An animated 1x1 WebP of ``frames`` ANMF chunks, built directly."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 10, 10)).save(buf, "WEBP", lossless=True)
    still = buf.getvalue()
    bitstream = still[12:]  # the VP8L chunk

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return tag + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) % 2)

    anmf = chunk(b"ANMF", b"\x00" * 12 + b"\x14\x00\x00\x00" + bitstream)
    body = b"WEBP" + chunk(b"VP8X", b"\x02" + b"\x00" * 9) + chunk(b"ANIM", b"\xff" * 4 + b"\x00\x00") + anmf * frames
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_an_animated_webp_is_refused_past_the_limit_before_libwebp_lists_its_frames(monkeypatch):
    """libwebp lists every frame when the file is opened: a million (52 MB) took 0.4 s and 200 MB."""
    assert load_image(_anim_webp(MAX_FRAMES)).info.frames == MAX_FRAMES
    opened = []
    real = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **kw: opened.append(1) or real(*a, **kw))
    with pytest.raises(ImageLoadError) as e:
        load_image(_anim_webp(MAX_FRAMES + 1))
    assert e.value.kind == "too_many_frames" and opened == []


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))


def _png_with(extra: bytes) -> bytes:
    """A 1x1 PNG with ``extra`` chunks before its image data."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 10, 10)).save(buf, "PNG")
    png = buf.getvalue()
    return png[:33] + extra + png[33:]  # after the signature and IHDR


def _jpeg_with(extra: bytes) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, "JPEG")
    jpeg = buf.getvalue()
    return jpeg[:2] + extra + jpeg[2:]


def _tiff(strips: int = 1, tags: int = 9) -> bytes:
    """A little-endian one-page TIFF, ``strips`` rows of one grey pixel, one strip each, with
    ``tags`` entries (the nine needed, then unknown ones)."""
    entries = [(256, 3, 1, 1), (257, 4, 1, strips), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1)]
    entries += [(273, 4, strips, 0), (277, 3, 1, 1), (278, 4, 1, 1), (279, 4, strips, 0)]
    entries += [(1000 + i, 3, 1, 0) for i in range(tags - len(entries))]
    entries.sort()
    ifd_size = 2 + 12 * len(entries) + 4
    offsets_at = 8 + ifd_size  # one strip's offset and count are held in the entries
    counts_at = offsets_at + 4 * strips
    pixels_at = counts_at + 4 * strips if strips > 1 else offsets_at
    values = {273: offsets_at if strips > 1 else pixels_at, 279: counts_at if strips > 1 else 1}
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, kind, count, values.get(tag, value)) for tag, kind, count, value in entries
    )
    offsets = struct.pack(f"<{strips}I", *range(pixels_at, pixels_at + strips)) if strips > 1 else b""
    counts = struct.pack(f"<{strips}I", *[1] * strips) if strips > 1 else b""
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + offsets + counts + b"\x80" * strips


#: Hostile files of empty pieces, each refused, and the same structure within the budget read.
#: (Measured on the old code at 48-51 MB: JPEG 26 s and 1.7 GB, PNG 41 s and 1 GB, TIFF strips
#: 42 s and 2.9 GB, TIFF tags 62 s; each was then accepted as a photo.)
HOSTILE = {
    "jpeg segments": (lambda n: _jpeg_with(b"\xff\xfe\x00\x02" * n), "JPEG", "segments before its image data"),
    "png chunks": (lambda n: _png_with(_chunk(b"zzZz", b"") * n), "PNG", "chunks"),
    "tiff strips": (lambda n: _tiff(strips=n), "TIFF", "strips or tiles on its first page"),
    "tiff tags": (lambda n: _tiff(tags=n), "TIFF", "tags in its 1 page"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_file_of_too_many_pieces_is_refused_before_pillow_reads_it(name, monkeypatch):
    build, fmt, what = HOSTILE[name]
    small = build(2000)
    assert load_image(small).pixels.size > 0  # the same structure, within its budget, is read
    data = build(segment_budget(len(build(30_000))) + 1)
    budget = segment_budget(len(data))
    opened = []
    real = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **kw: opened.append(1) or real(*a, **kw))
    with pytest.raises(ImageLoadError) as e:
        load_image(data)
    assert e.value.kind == "corrupt"
    assert str(e.value) == (
        f"The {fmt} file is made of more than {budget:,} {what}, where image programs write far fewer: "
        "it is damaged or built to be slow to read. Please export it again."
    )
    assert opened == []


def test_a_gif_of_tiny_blocks_is_refused():
    """Pillow reads a comment before the first picture sub-block by sub-block, in Python, keeping
    each: 25 million one-byte sub-blocks (50 MB) took 7.9 s. Image programs write 255-byte ones."""
    ok = _gif_frames(1, comment=b"\xff" + b"c" * 255 + b"\x01x" * 1000)
    assert load_image(ok).info.frames == 1
    data = _gif_frames(1, comment=b"\x01x" * 200_000)
    n = gif_block_budget(len(data))
    with pytest.raises(ImageLoadError) as e:
        load_image(data)
    assert e.value.kind == "corrupt" and str(e.value).startswith(f"The GIF file is made of more than {n:,} blocks")


@pytest.mark.parametrize(
    "data, where",
    [
        (
            _jpeg_with(b"\xff" * (MAX_STRAY_BYTES + 1)),
            "JPEG file holds more than 65,536 bytes belonging to no part of it between its segments",
        ),
        (
            _jpeg_with(b"\xff\xe9\x00\x02" + b"\x00" * (MAX_STRAY_BYTES + 1)),
            "JPEG file holds more than 65,536 bytes belonging to no part of it between its segments",
        ),
        (
            _gif_frames(1)[:19] + b"\x00" * (MAX_STRAY_BYTES + 1) + _gif_frames(1)[19:],
            "GIF file holds more than 65,536 bytes belonging to no part of it before its first picture",
        ),
    ],
    ids=["jpeg fill", "jpeg junk", "gif junk"],
)
def test_stray_bytes_pillow_steps_over_one_at_a_time_are_limited(data, where):
    """Pillow steps over bytes between a JPEG's segments, or before a GIF's first picture, one
    Python loop at a time: 5 MB of 0xFF fill in a JPEG took 3.4 s, 50 MB before a GIF's picture 6.4 s."""
    with pytest.raises(ImageLoadError) as e:
        load_image(data)
    assert e.value.kind == "corrupt" and str(e.value) == f"The {where}: it is damaged. Please export it again."
    assert load_image(_jpeg_with(b"\xff" * 100)).info.format == "JPEG"  # a little fill is read


def test_the_budgets_leave_room_for_what_image_programs_write():
    """A 50 MB PNG in libpng's 8 KB chunks has 6,400; a 50 MB GIF in 255-byte sub-blocks 206,000;
    a TIFF of one row a strip as many strips as rows."""
    assert segment_budget(50 * 1024**2) > 2.5 * 50 * 1024**2 // 8192
    assert gif_block_budget(50 * 1024**2) > 2 * 50 * 1024**2 // 255
    tall = _tiff(strips=9000)
    assert load_image(tall).pixels.shape == (9000, 1, 3)


def test_structure_errors_say_their_kind():
    with pytest.raises(StructureError) as e:
        check_structure(_gif_frames(3), max_frames=2)
    assert e.value.kind == "too_many_frames"


_SEEDS = [
    _pillow_gif(3, duration=40),
    _gif_frames(3, comment=b"\x02hi"),
    _anim_webp(2),
    _png_with(_chunk(b"tEXt", b"a\x00b")),
    _jpeg_with(b"\xff\xfe\x00\x04hi"),
    _tiff(strips=3, tags=12),
    b"II+\x00\x08\x00\x00\x00" + struct.pack("<Q", 16) + struct.pack("<Q", 1) + b"\x00" * 20,  # BigTIFF
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SEEDS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    st.integers(0, 10_000),
)
def test_any_bytes_raise_only_structure_errors(seed, flips, cut):
    """Damaged files are the decoder's to refuse: the walk raises nothing but its own refusals."""
    data = bytearray(seed)
    for at, value in flips:
        data[at % len(data)] = value
    try:
        check_structure(bytes(data[: max(cut, 4)]), max_frames=5)
    except StructureError:
        pass

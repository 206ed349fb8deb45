"""A file's structure, counted within budgets before any decoder reads it.

Pillow reads the structure of most formats in Python, some microseconds a piece, and keeps some
of each piece: a JPEG's segments up to its image data, a PNG's chunks (when opening, checking and
decoding it), a GIF's blocks (all of them to count its frames), a TIFF's tags and strips; libwebp
lists every chunk of a WebP. Real files have few, large pieces. A hostile file of millions of empty
ones costs the server, measured on 48-51 MB files: a JPEG of 12 million empty segments 26 s and
1.7 GB; a PNG of 4 million empty chunks 41 s and 1 GB; a GIF of 3.4 million frames 7 s; a TIFF of
4 million strips 42 s and 2.9 GB, of 140 pages of 30,000 tags 62 s; a WebP of a million frames
0.4 s and 200 MB. The JPEG, PNG and TIFF were then accepted as photos.

:func:`check_structure` walks the file reading lengths only (a GIF's blocks hop by hop, the
stretches between them by a byte search), stops at the first budget exceeded and says so in a
sentence; such a file is refused before Pillow opens it. The budgets are far above what image
programs write, and grow with the file: :func:`segment_budget`.
"""

from __future__ import annotations

import re
import struct
from typing import Final, Literal

__all__ = [
    "GIF_BYTES_PER_BLOCK",
    "MAX_STRAY_BYTES",
    "SEGMENT_BYTES",
    "SEGMENT_FLOOR",
    "StructureError",
    "TIFF_SIGNATURES",
    "check_structure",
    "frames_refusal",
    "gif_block_budget",
    "segment_budget",
]

#: The first four bytes of a TIFF: byte order, then 42 (classic) or 43 (BigTIFF).
TIFF_SIGNATURES: Final = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

#: Every file may have this many segments, chunks, tags or strips ...
SEGMENT_FLOOR: Final = 10_000
#: ... and one more for every this many bytes. Encoders write PNG data in chunks of 8 KB (libpng)
#: to 64 KB (Pillow), JPEG metadata in segments of up to 64 KB, TIFF strips of 8 KB or more.
SEGMENT_BYTES: Final = 4096
#: A GIF's image data comes in sub-blocks of at most 255 bytes (image programs write 254-255), so
#: its budget of blocks and sub-blocks grows by one for every this many bytes.
GIF_BYTES_PER_BLOCK: Final = 128
#: Bytes belonging to no segment that a file may hold where Pillow steps over them one at a time:
#: between a JPEG's segments (before its image data) and before a GIF's first picture. Image
#: programs write none.
MAX_STRAY_BYTES: Final = 65_536


class StructureError(ValueError):
    """The file is refused for its structure; ``kind`` as :class:`core.engine.loading.ImageLoadError`'s."""

    def __init__(self, kind: Literal["too_many_frames", "corrupt"], message: str) -> None:
        super().__init__(message)
        self.kind: Literal["too_many_frames", "corrupt"] = kind


def segment_budget(size: int) -> int:
    """Segments (chunks, tags, strips) allowed in a file of ``size`` bytes."""
    return SEGMENT_FLOOR + size // SEGMENT_BYTES


def gif_block_budget(size: int) -> int:
    """Blocks and sub-blocks allowed in a GIF of ``size`` bytes."""
    return SEGMENT_FLOOR + size // GIF_BYTES_PER_BLOCK


def frames_refusal(max_frames: int) -> str:
    """The sentence for a file of more than ``max_frames`` frames or pages."""
    return (
        f"The file holds more than {max_frames:,} frames or pages: that is not a product photo. "
        "Please upload the picture on its own."
    )


def _too_many(fmt: str, what: str, budget: int, where: str = "") -> StructureError:
    return StructureError(
        "corrupt",
        f"The {fmt} file is made of more than {budget:,} {what}{where}, where image programs write far fewer: "
        "it is damaged or built to be slow to read. Please export it again.",
    )


def _stray(fmt: str, where: str) -> StructureError:
    return StructureError(
        "corrupt",
        f"The {fmt} file holds more than {MAX_STRAY_BYTES:,} bytes belonging to no part of it {where}: "
        "it is damaged. Please export it again.",
    )


def check_structure(data: bytes, *, max_frames: int) -> int | None:
    """Walk ``data``'s structure within the budgets; raise :class:`StructureError` past one.

    Returns a GIF's frame count (at most ``max_frames``: more raises), the one Pillow's
    ``n_frames`` gives by a slower walk; ``None`` for other files. JPEG, PNG, GIF, WebP and TIFF
    are walked (recognised by the signatures Pillow recognises them by); a file too short or
    damaged for its walk is left to the decoder to refuse.
    """
    head = data[:12]
    if head.startswith(b"\xff\xd8\xff"):
        _jpeg(data)
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        _png(data)
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(data, max_frames)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        _webp(data, max_frames)
    elif head[:4] in TIFF_SIGNATURES:
        _tiff(data, max_frames)
    return None


def _jpeg(data: bytes) -> None:
    """Segments before the image data (start of scan), where Pillow's parser stops; what follows
    is read by libjpeg. Like Pillow: a 0xFF repeated is fill, 0xFF 0x00 and other bytes belong to
    no segment, RSTn, SOI, EOI and TEM have no length."""
    budget = segment_budget(len(data))
    end = len(data)
    pos, segments, stray = 2, 0, 0
    while pos + 1 < end:
        if data[pos] != 0xFF:
            nxt = data.find(b"\xff", pos)
            nxt = end if nxt < 0 else nxt
            stray += nxt - pos
            pos = nxt
        else:
            marker = data[pos + 1]
            if marker == 0xDA:  # start of scan: Pillow hands over to libjpeg
                return
            if marker in (0xFF, 0x00):
                stray += 1
                pos += 1 if marker == 0xFF else 2
            elif 0xD0 <= marker <= 0xD9 or marker == 0x01:
                segments += 1
                pos += 2
            else:
                if pos + 4 > end:
                    return
                segments += 1
                pos += 2 + (data[pos + 2] << 8 | data[pos + 3])
        if stray > MAX_STRAY_BYTES:
            raise _stray("JPEG", "between its segments")
        if segments > budget:
            raise _too_many("JPEG", "segments", budget, " before its image data")


def _png(data: bytes) -> None:
    """Chunks up to IEND (Pillow's parser stops there)."""
    budget = segment_budget(len(data))
    pos, chunks = 8, 0
    while pos + 8 <= len(data):
        chunks += 1
        if chunks > budget:
            raise _too_many("PNG", "chunks", budget)
        if data[pos + 4 : pos + 8] == b"IEND":
            return
        pos += 12 + int.from_bytes(data[pos : pos + 4], "big")


#: What may start a GIF block: an extension, an image, the trailer. Pillow skips any other byte.
_GIF_INTRODUCER: Final = re.compile(rb"[!,;]")


def _gif(data: bytes, max_frames: int) -> int:
    """Frames (image descriptors) counted as Pillow's ``n_frames`` counts them, walking the same
    blocks: an extension's sub-blocks, an image's descriptor, colour table and data sub-blocks,
    a byte that starts none of them skipped (here, a stretch of them at once). Pillow's open
    reads everything before the first image in Python (a comment's sub-blocks kept in a list)."""
    end = len(data)
    if end < 13:
        return 1
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    budget = gif_block_budget(end)
    frames = blocks = stray = 0
    while pos < end:
        introducer = data[pos]
        if introducer == 0x3B:  # trailer
            break
        if introducer == 0x21:  # extension: its label, then sub-blocks
            pos += 2
        elif introducer == 0x2C:  # image: descriptor, local colour table, LZW code size, sub-blocks
            if pos + 10 > end:
                break
            flags = data[pos + 9]
            frames += 1
            if frames > max_frames:
                raise StructureError("too_many_frames", frames_refusal(max_frames))
            pos += 11 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
        else:
            found = _GIF_INTRODUCER.search(data, pos)
            nxt = found.start() if found else end
            if frames == 0:
                stray += nxt - pos
                if stray > MAX_STRAY_BYTES:
                    raise _stray("GIF", "before its first picture")
            pos = nxt
            continue
        blocks += 1
        while pos < end:  # sub-blocks, up to the empty one
            size = data[pos]
            pos += 1 + size
            blocks += 1
            if size == 0:
                break
            if blocks > budget:
                raise _too_many("GIF", "blocks", budget)
        if blocks > budget:
            raise _too_many("GIF", "blocks", budget)
    return max(frames, 1)


def _webp(data: bytes, max_frames: int) -> None:
    """Top-level chunks (an animation's frames are ANMF chunks), as far as the RIFF size says."""
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    budget = segment_budget(len(data))
    pos, chunks, frames = 12, 0, 0
    while pos + 8 <= end:
        if data[pos : pos + 4] == b"ANMF":
            frames += 1
            if frames > max_frames:
                raise StructureError("too_many_frames", frames_refusal(max_frames))
        chunks += 1
        if chunks > budget:
            raise _too_many("WebP", "chunks", budget)
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        pos += 8 + size + (size & 1)


#: TIFF tags giving the first page's strips and tiles (one offset each).
_STRIP_OFFSETS: Final = 273
_TILE_OFFSETS: Final = 324


def _tiff(data: bytes, max_frames: int) -> None:
    """Pages (up to ``max_frames`` + 1: Pillow reads every tag of each to count them), their
    tags, and the strips or tiles of the first page, which Pillow lists and decodes one by one."""
    order = "<" if data[:2] == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")
    count_fmt, entry_size, offset_fmt = ("Q", 20, "Q") if big else ("H", 12, "L")
    if len(data) < (16 if big else 8):
        return
    offset = struct.unpack_from(order + offset_fmt, data, 8 if big else 4)[0]
    budget = segment_budget(len(data))
    seen: set[int] = set()
    tags = pages = 0
    first: tuple[int, int] | None = None  # first page: where its entries start, how many
    while offset and offset not in seen and pages <= max_frames:
        count_size = struct.calcsize(count_fmt)
        if offset + count_size > len(data):
            break
        seen.add(offset)
        entries = struct.unpack_from(order + count_fmt, data, offset)[0]
        if first is None:
            first = (offset + count_size, entries)
        tags += entries
        pages += 1
        after = offset + count_size + entries * entry_size
        if after + struct.calcsize(offset_fmt) > len(data):
            break
        offset = struct.unpack_from(order + offset_fmt, data, after)[0]
    if pages > max_frames:
        raise StructureError("too_many_frames", frames_refusal(max_frames))
    if tags > budget:
        raise _too_many("TIFF", "tags", budget, f" in its {pages:,} page{'s' if pages != 1 else ''}")
    if first is None:
        return
    start, entries = first
    stop = min(len(data), start + entries * entry_size)
    stop -= (stop - start) % entry_size
    entry_fmt = order + ("HHQ8x" if big else "HHL4x")
    for tag, _kind, count in struct.iter_unpack(entry_fmt, data[start:stop]):
        if tag in (_STRIP_OFFSETS, _TILE_OFFSETS) and count > budget:
            raise _too_many("TIFF", "strips or tiles", budget, " on its first page")

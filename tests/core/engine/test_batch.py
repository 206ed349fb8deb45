"""measure_upload: one file the engine fails on is that file's verdict, never the upload's end."""

import logging

import pytest

from core.engine import batch
from core.engine.batch import UNMEASURABLE, measure_upload
from tests.conftest import encode


def test_an_unexpected_error_while_measuring_is_the_files_reason_and_is_logged(monkeypatch, caplog, photo):
    def broken(image):
        raise RuntimeError("cv2 said no at /srv/imagedesk/core/engine/measures.py")

    monkeypatch.setattr(batch, "analyze", broken)
    with caplog.at_level(logging.ERROR, logger="imagedesk"):
        analysis, reason = measure_upload(encode(photo[::8, ::8].copy()), "red/shirt.png")
    assert analysis is None and reason == UNMEASURABLE
    assert reason.startswith("Could not be measured: ") and "RuntimeError" not in reason and "/srv" not in reason
    (record,) = caplog.records
    assert "'red/shirt.png'" in record.getMessage() and record.exc_info is not None  # the traceback, on the server
    assert "cv2 said no" in caplog.text


def test_a_file_that_is_not_an_image_keeps_the_loaders_reason(caplog):
    analysis, reason = measure_upload(b"not an image at all", "notes.png")
    assert analysis is None and reason and reason != UNMEASURABLE
    assert not caplog.records  # an ordinary refusal is not an error on the server


def test_a_good_file_is_measured(photo):
    analysis, reason = measure_upload(encode(photo[::8, ::8].copy()))
    assert reason == "" and analysis is not None and analysis.info.width == 64


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_a_stop_of_the_process_is_not_taken_for_a_bad_file(monkeypatch, photo, exc):
    def broken(image):
        raise exc

    monkeypatch.setattr(batch, "analyze", broken)
    with pytest.raises(exc):
        measure_upload(encode(photo[::8, ::8].copy()))


def test_a_file_named_twice_or_inside_a_named_folder_is_discovered_once(tmp_path, monkeypatch):
    from core.engine.batch import discover

    for name in ("a.jpg", "b.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    found = list(discover(["a.jpg", ".", str(tmp_path / "a.jpg"), "b.png"]))
    assert [str(p) for p in found] == ["a.jpg", "b.png"]

"""Packaging: ``pip install .`` (the ``imagedesk`` command, a Dask worker) gets what
``pip install -r requirements.txt`` gets, so both read the same files."""

import tomllib

from tests.conftest import ROOT


def _requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_the_package_pins_what_requirements_txt_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # A worker without pillow-heif refused HEIC files that a local run scores, under the same engine version.
    assert sorted(project["dependencies"]) == sorted(_requirements())

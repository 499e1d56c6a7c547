"""11. Dependencies are reproducible: `make run`, `make test` and CI install the lock file,
and the lock pins every dependency pyproject.toml asks for, within its range."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", lock.read_text(encoding="utf-8"), re.M)
    return {canonicalize_name(name): version for name, version in found}


def test_the_lock_pins_every_dependency_within_its_range_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for lock, wanted in (("requirements.lock", ["dev"]), ("requirements-bench.lock",
                                                          ["dev", "bench"])):
        pinned = pins(ROOT / lock)
        asked = [*project["dependencies"],
                 *(d for extra in wanted for d in project["optional-dependencies"][extra])]
        for spec in map(Requirement, asked):
            version = pinned.get(canonicalize_name(spec.name))
            assert version is not None, f"{lock}: {spec.name} is not pinned"
            assert spec.specifier.contains(version, prereleases=True), f"{lock}: {spec} {version}"
        text = (ROOT / lock).read_text(encoding="utf-8")
        # Each pinned package comes with the hashes of its files (pip then checks them all).
        blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text)[1:]
        assert len(blocks) == len(pinned)
        assert all("--hash=sha256:" in block for block in blocks)
        assert "file:///" not in text and "--find-links" not in text  # no machine's paths


def test_the_install_steps_use_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -q -r requirements.lock" in makefile
    assert "pip install -q --no-deps -e ." in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # The SQLite driver is held to the release storage/sqlite_inline.py was written against.
    assert pins(ROOT / "requirements.lock")["aiosqlite"].startswith("0.22.")

"""Production and CI install exactly the versions pinned in constraints.txt (`make lock`)."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins():
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, _sep, version = line.partition("==")
            assert version and re.fullmatch(r"[0-9A-Za-z.+!-]+", version), line
            found[canonicalize_name(name)] = version
    return found


def declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(requirement) for requirement in requirements]


def test_every_declared_dependency_is_pinned_within_its_declared_range():
    pinned = pins()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in constraints.txt: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), requirement


def test_the_installed_versions_are_the_pinned_ones():
    # make test installs with -c constraints.txt; a stale .venv or hand-installed upgrade shows.
    for name, version in pins().items():
        assert metadata.version(name) == version, name


def test_every_install_uses_the_constraints():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --quiet -c constraints.txt -e '.[dev]'" in makefile
    assert "$(VENV)/.installed: pyproject.toml constraints.txt" in makefile
    assert "COPY pyproject.toml constraints.txt ./" in dockerfile
    assert "pip install -c constraints.txt -r /tmp/requirements.txt" in dockerfile
    assert "constraints.txt" not in (ROOT / ".dockerignore").read_text(encoding="utf-8")

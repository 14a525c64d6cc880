"""The repository stays as it was after a test run; `make screenshots` refreshes the README."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_screenshots import README_PICTURES

ROOT = Path(__file__).resolve().parents[1]
needs_git = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)


@needs_git
def test_browser_tests_save_screenshots_in_an_ignored_folder():
    picture = SCREENSHOTS / "chart-desktop.png"
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", str(picture)], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, f"{picture} is not ignored by git"


def test_make_screenshots_refreshes_the_readme_pictures_from_the_screenshot_tests():
    plan = subprocess.run(
        ["make", "-n", "screenshots"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "ORGPORTAL_SCREENSHOTS_DIR=" in plan
    assert "docs/screenshots" in plan
    assert "tests/browser/test_screenshots.py" in plan


def test_every_readme_picture_is_one_that_make_screenshots_saves():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"docs/screenshots/([\w-]+)\.png", readme))
    assert shown == set(README_PICTURES)
    for name in shown:
        assert (ROOT / "docs" / "screenshots" / f"{name}.png").is_file(), name

"""axe-core for the browser tests: one pinned release from the npm registry, cached on disk.

``python -m tests.browser.axe`` fetches it ahead of time (``.ci/test`` does); the tests call
:func:`axe_source`, which fetches it on first use when the cache is empty. ``npm pack``
checks the tarball against the registry's integrity hash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

AXE_VERSION = "4.10.3"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "treffpunkt" / f"axe-core-{AXE_VERSION}"


def axe_path() -> Path:
    """The path of ``axe.min.js``: ``TREFFPUNKT_AXE_JS`` if set, else the cache (filled on demand)."""
    configured = os.environ.get("TREFFPUNKT_AXE_JS")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise RuntimeError(f"TREFFPUNKT_AXE_JS={configured} is not a file")
        return path
    target = cache_dir() / "axe.min.js"
    if not target.is_file():
        fetch(target)
    return target


def fetch(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"axe-core {AXE_VERSION} is not cached at {target} and npm is missing: install npm "
            "(Debian: apt-get install npm) or set TREFFPUNKT_AXE_JS to an axe.min.js"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="axe-core-") as tmp:
        subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
            check=True,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            timeout=300,
        )
        (tarball,) = Path(tmp).glob("axe-core-*.tgz")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/axe.min.js")
            if member is None:
                raise RuntimeError(f"{tarball.name} holds no package/axe.min.js")
            data = member.read()
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(target)


def axe_source() -> str:
    return axe_path().read_text(encoding="utf-8")


if __name__ == "__main__":
    print(axe_path())

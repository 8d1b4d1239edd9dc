"""Offline assets for the teaching app: the JavaScript and CSS Solara's server would fetch.

Solara's server loads its front end (Vue, Vuetify, RequireJS, Font Awesome, Vega for charts)
from a CDN on first use and keeps a copy in ``<prefix>/share/solara/cdn/<package>@<version>/``
(``solara.server.settings.assets.proxy_cache_dir``). A classroom without internet, or these
machines, have no CDN, and the page stays blank. This module fills that folder from the npm
registry instead: ``npm pack <package>@<version>`` for each package Solara asks for, unpacked
under the same name.

Run it once per environment (it is idempotent):

    crimesim app --prepare-assets          # or: python -m simulation.appkit.assets
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SOLARA_VERSION = "1.64.1"
"""The Solara release this list of packages was derived for (pinned in pyproject.toml)."""
PACKAGES: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/solara-vuetify3-app@5.2.0",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
    "mermaid@10.8.0",
    "katex@0.16.9",
)
"""What Solara 1.64.1's pages request from the CDN (found by watching for 404s offline)."""
MARKER = ".crimesim-complete"
"""Written into a package's folder once it is fully unpacked."""
PREPARE_COMMAND = "crimesim app --prepare-assets"


class AssetsError(RuntimeError):
    """The offline assets are missing or cannot be provisioned; the message says how to fix it."""


def cache_directory() -> Path:
    """Where Solara's server looks for CDN files in this environment."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing_packages(directory: Path | None = None) -> list[str]:
    """The packages of `PACKAGES` not yet unpacked in ``directory`` (default: Solara's)."""
    directory = directory or cache_directory()
    return [spec for spec in PACKAGES if not (directory / spec / MARKER).exists()]


def check_assets(directory: Path | None = None) -> None:
    """Raise `AssetsError` naming the command that provisions missing assets."""
    missing = missing_packages(directory)
    if missing:
        where = directory or cache_directory()
        raise AssetsError(
            f"the app's offline assets are missing from {where} ({', '.join(missing)}); "
            f"provision them once with: {PREPARE_COMMAND}")


def npm_executable() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError("npm is not installed, and it is needed once to fetch the app's "
                          "JavaScript from the npm registry: install Node.js and npm "
                          "(Debian: apt-get install -y npm), then run: " + PREPARE_COMMAND)
    return npm


def unpack(archive: Path, target: Path) -> None:
    """Unpack an npm tarball (whose files sit under ``package/``) into ``target``."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) < 2 or ".." in parts or not (member.isfile() or member.isdir()):
                continue
            member.name = str(Path(*parts[1:]))
            tar.extract(member, staging, filter="data")
    (staging / MARKER).write_text("unpacked by crimesim from " + archive.name + "\n")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def prepare_assets(directory: Path | None = None, log=print) -> list[str]:
    """Fetch and unpack every missing package of `PACKAGES`; returns the ones fetched.

    Idempotent: packages already complete are left alone.
    """
    directory = directory or cache_directory()
    missing = missing_packages(directory)
    if not missing:
        log(f"the app's offline assets are complete in {directory}")
        return []
    npm = npm_executable()
    with tempfile.TemporaryDirectory(prefix="crimesim-assets-") as scratch:
        for spec in missing:
            log(f"fetching {spec} from the npm registry")
            done = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", scratch],
                                  capture_output=True, text=True, cwd=scratch)
            if done.returncode != 0:
                raise AssetsError(f"npm pack {spec} failed ({done.stderr.strip()[-400:]}); check "
                                  f"that the npm registry is reachable, then run: {PREPARE_COMMAND}")
            archive = Path(scratch) / done.stdout.strip().splitlines()[-1]
            target = directory / spec
            target.parent.mkdir(parents=True, exist_ok=True)
            unpack(archive, target)
            archive.unlink()
    log(f"unpacked {len(missing)} package(s) into {directory}")
    return missing


def main() -> int:
    try:
        prepare_assets()
    except AssetsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

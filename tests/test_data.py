"""Package data: data/ is installed as kenniskamer.data and read through importlib.resources."""

from __future__ import annotations

import configparser
import importlib.util
import sys
from fnmatch import fnmatch
from pathlib import Path

import pytest

from kenniskamer import config
from kenniskamer.config import data_files

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _setup_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    return parser


def _listed(value: str) -> list[str]:
    return [item.strip() for line in value.splitlines() for item in line.split(",") if item.strip()]


def test_the_data_folder_holds_the_themes_the_thesaurus_and_the_samples() -> None:
    found = data_files()
    assert (found / "themes.toml").is_file()
    assert (found / "thesaurus.tsv").is_file()
    assert any(entry.name.endswith(".pdf") for entry in (found / "sample").iterdir())


def test_installed_data_is_read_through_importlib_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a non-editable install: kenniskamer.data is a package whose files are data/'s."""
    spec = importlib.util.spec_from_file_location(
        "kenniskamer.data", DATA / "__init__.py", submodule_search_locations=[str(DATA)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "kenniskamer.data", module)
    found = data_files()
    assert Path(str(found)).resolve() == DATA.resolve()
    assert (found / "themes.toml").read_bytes() == (DATA / "themes.toml").read_bytes()
    assert (found / "thesaurus.tsv").read_bytes() == (DATA / "thesaurus.tsv").read_bytes()


def test_a_source_tree_falls_back_to_the_data_folder_beside_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(config.resources, "files", missing)
    assert Path(str(data_files())).resolve() == DATA.resolve()


def test_setup_cfg_installs_every_data_file() -> None:
    """Every file of data/ matches a package_data pattern of kenniskamer.data, so a wheel has it."""
    parser = _setup_cfg()
    assert _listed(parser["options"]["package_dir"]) == ["kenniskamer.data = data"]
    patterns = _listed(parser["options.package_data"]["kenniskamer.data"])
    files = [path.relative_to(DATA).as_posix() for path in DATA.rglob("*") if path.is_file() and "__pycache__" not in path.parts]
    missed = [name for name in files if name != "__init__.py" and not any(fnmatch(name, p) for p in patterns)]
    assert "themes.toml" in files and "thesaurus.tsv" in files
    assert missed == []


def test_setup_cfg_lists_every_package() -> None:
    """The packages are listed by hand (find: cannot map data/ into kenniskamer), so a new one must be added."""
    listed = set(_listed(_setup_cfg()["options"]["packages"]))
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for top in ("kenniskamer", "indexer", "webui")
        for path in (ROOT / top).rglob("__init__.py")
    }
    assert listed == found | {"kenniskamer.data"}

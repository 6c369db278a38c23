"""Settings: defaults in code, then ``KENNISKAMER_*`` environment variables, then options."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from kenniskamer.index.schema import FACET_FIELDS

ENV_LIBRARY = "KENNISKAMER_LIBRARY"
ENV_MEANING = "KENNISKAMER_MEANING"  # 0 (or off, no, false): no search by meaning, no encoder, no vectors


def meaning_enabled() -> bool:
    """KENNISKAMER_MEANING's word on search by meaning: on unless it says 0, off, no or false."""
    return os.environ.get(ENV_MEANING, "1").strip().lower() not in ("0", "off", "no", "false")


def data_files() -> Traversable:
    """The package data (themes.toml, thesaurus.tsv, sample/): the repo's data/, installed as ``kenniskamer.data``."""
    try:
        return resources.files("kenniskamer.data")
    except ModuleNotFoundError:  # a source tree on PYTHONPATH, not installed: data/ beside the package
        return Path(__file__).resolve().parent.parent / "data"


def read_data_toml(path: Path | Traversable, what: str, name: str) -> tuple[bytes, dict[str, Any]]:
    """The bytes and parsed TOML of a data file (themes.toml, study.toml); a one-line KennisError otherwise.

    ``what`` names the file in errors ("Theme file"), ``name`` is its name under data/.
    """
    import tomllib  # here, not at the top: `kenniskamer search` seldom needs it (10 ms)

    from kenniskamer.errors import KennisError

    try:
        raw = path.read_bytes()
        return raw, tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise KennisError(f"{what} {path} does not exist. Check the path or restore data/{name}.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise KennisError(f"{what} {path} cannot be read: {err}.") from err
    except tomllib.TOMLDecodeError as err:
        raise KennisError(f"{what} {path} is not valid: TOML syntax error ({err}). Fix the file and try again.") from err


def default_library() -> Path:
    """The library used when neither ``--library`` nor KENNISKAMER_LIBRARY is given.

    ``$XDG_DATA_HOME/kenniskamer`` (usually ``~/.local/share/kenniskamer``).
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kenniskamer"


@dataclass(frozen=True)
class Settings:
    """Everything a shell needs to open a library and serve it."""

    library: Path = field(default_factory=default_library)
    page_size: int = 10  # hits per page
    max_page_size: int = 50
    max_query_length: int = 500  # characters
    max_page: int = 100  # deepest result page a client may ask for
    passages_per_hit: int = 3
    facet_fields: tuple[str, ...] = FACET_FIELDS
    languages: tuple[str, ...] = ("nl", "en")  # interface languages, default first
    base_url: str = ""  # public address of the site, for feeds and digests
    meaning: bool = True  # search by meaning (vectors at ingest, dense scores at search); off: today's words only

    def with_options(self, **options: Any) -> Settings:
        """A copy with every option that is not None applied."""
        given = {key: value for key, value in options.items() if value is not None}
        if "library" in given:
            given["library"] = Path(given["library"]).expanduser()
        return replace(self, **given)


def load_settings(**options: Any) -> Settings:
    """Settings from defaults, then the environment, then the given options."""
    settings = Settings()
    env_library = os.environ.get(ENV_LIBRARY)
    if env_library:
        settings = settings.with_options(library=env_library)
    if not meaning_enabled():
        settings = settings.with_options(meaning=False)
    env_base_url = os.environ.get("KENNISKAMER_BASE_URL")
    if env_base_url:
        settings = settings.with_options(base_url=env_base_url)
    return settings.with_options(**options)

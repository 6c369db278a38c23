"""What is done so that a command starts fast, in one place: each trick with why and what it saves.

`kenniskamer search` is a whole process per query, and its bar is half a second, encoder and
all; Python with site takes 50 ms of it, numpy 105, click 50, Whoosh 50. The tricks:

1. :func:`importing_whoosh`: Whoosh is imported without two modules it needs only for
   features we do not use (urllib.request: 40 ms; whoosh.lang.morph_en: 12 ms).
2. :func:`cache_file` / :func:`read_cache` / :func:`write_cache`: what is slow to derive from
   a file that rarely changes is kept in the user's cache folder, keyed by what it was made
   from (the thesaurus index: 7 ms to read instead of 15-20 to build; py3langid's model:
   0.15 s instead of 0.5 s in every ingest worker; the meaning encoder's weights and
   tokenizer tables: memory-mapped with ``mapped=True``, see :func:`pack_arrays`).
3. :func:`end_of_command`: one garbage collection, then ``gc.freeze()``, when a command ends
   (the interpreter's final collections took 90-130 ms of a search; this takes 30).

Other start-up savings live where the work is, as lazy imports with a comment: rapidfuzz
only for an unknown word (kenniskamer.search.suggest), tomllib and themes.toml only for a
theme filter (kenniskamer.search.engine), the extractors only in the ingest workers.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import json
import mmap
import os
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")

# Modules Whoosh imports for features kenniskamer does not use, with the functions it
# takes from them. While Whoosh is imported, a stand-in takes each one's place.
_LEFT_OUT = {
    # whoosh.compat re-exports urlretrieve; the real module pulls in http.client, email and ssl (40 ms)
    "urllib.request": ("urlretrieve",),
    # whoosh.query.terms, for Variations queries; the module builds its tables of English word forms (12 ms)
    "whoosh.lang.morph_en": ("variations",),
}


def _stand_in(name: str, functions: Iterable[str]) -> types.ModuleType:
    """A module whose functions import the real module ``name`` when first called, and call it."""
    module = types.ModuleType(name)
    for function in functions:

        def call(*args: Any, _function: str = function, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(name), _function)(*args, **kwargs)

        setattr(module, function, call)
    return module


@contextlib.contextmanager
def importing_whoosh() -> Iterator[None]:
    """Where Whoosh is imported: without its warnings, and without modules it needs only for unused features.

    Whoosh 2.7.4 has invalid escape sequences in its sources (harmless). The modules in
    ``_LEFT_OUT`` cost `kenniskamer search` 50 ms of its start; while Whoosh is imported
    a stand-in takes their place (unless something imported them already), and leaves
    ``sys.modules`` afterwards, so a later import (URL ingestion) gets the real module.
    Only for module-level imports: ``sys.modules`` is shared, and a thread importing
    ``urllib.request`` at that very moment would get the stand-in.
    """
    stand_ins = {name: _stand_in(name, functions) for name, functions in _LEFT_OUT.items() if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def once(make: Callable[[], T]) -> Callable[[], T]:
    """A function giving what ``make()`` returns, made by the first call only (from any thread): a model loaded on first use."""
    lock = threading.Lock()
    made: list[T] = []

    def get() -> T:
        with lock:
            if not made:
                made.append(make())
            return made[0]

    get.__doc__ = make.__doc__
    return get


def cache_file(kind: str, key: bytes, suffix: str) -> Path | None:
    """Where a derived value of this kind, made from ``key``, is kept; None if there is no cache folder.

    The folder is ``$XDG_CACHE_HOME/kenniskamer`` (default ``~/.cache/kenniskamer``). The key
    should hold everything the value was made from (the file's bytes, the code's version),
    so a change to any of them means another file.
    """
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kenniskamer"
    except RuntimeError:  # no home folder
        return None
    return folder / f"{kind}-{hashlib.sha256(key).hexdigest()[:24]}{suffix}"


def read_cache(path: Path | None, load: Callable[[Any], T], *, mapped: bool = False) -> T | None:
    """The value kept in ``path``, or None if there is none or ``load`` cannot read it (never raises).

    ``load`` gets the file's bytes, or with ``mapped`` a read-only memory map of it (which
    stays open as long as what ``load`` made from it refers to it).
    """
    if path is None:
        return None
    try:
        if not mapped:
            return load(path.read_bytes())
        with path.open("rb") as handle:
            return load(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ))
    except Exception:  # a damaged or foreign cache file: derive the value again
        return None


def write_cache(path: Path | None, data: bytes) -> None:
    """Keep ``data`` in ``path`` (written whole or not at all) and drop older files of its kind; never fails."""
    if path is None:
        return
    kind = path.name.rsplit("-", 1)[0]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_bytes(data)
        os.replace(temporary, path)
        for older in path.parent.glob(f"{kind}-*{path.suffix}"):
            if older != path:
                older.unlink(missing_ok=True)
    except OSError:  # no writable cache folder: derive the value each time
        pass


_ALIGN = 64  # bytes: each array of a bundle starts at a multiple of this


def pack_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Named arrays as one file for :func:`write_cache`: a JSON header line, then each array's bytes.

    Read back with :func:`map_arrays` over ``read_cache(..., mapped=True)``: the arrays are
    views of the memory map, so nothing is copied or decompressed, and the pages no one
    reads (most rows of a 65 MB embedding table) are never read from disk.
    """
    layout: dict[str, Any] = {}
    offset = 0
    for name, array in arrays.items():
        offset = -(-offset // _ALIGN) * _ALIGN
        layout[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        offset += array.nbytes
    header = json.dumps(layout).encode() + b"\n"
    start = -(-len(header) // _ALIGN) * _ALIGN
    out = bytearray(start + offset)
    out[: len(header)] = header
    for name, array in arrays.items():
        begin = start + layout[name]["offset"]
        out[begin : begin + array.nbytes] = array.tobytes()
    return bytes(out)


def map_arrays(data: Any) -> dict[str, np.ndarray]:
    """The arrays of a :func:`pack_arrays` file, as read-only views of ``data`` (bytes or a memory map)."""
    import numpy as np

    end = data.find(b"\n")
    layout = json.loads(bytes(data[:end]))
    start = -(-(end + 1) // _ALIGN) * _ALIGN
    arrays = {}
    for name, spec in layout.items():
        dtype = np.dtype(spec["dtype"])
        count = int(np.prod(spec["shape"], dtype=np.int64))
        array = np.frombuffer(data, dtype=dtype, count=count, offset=start + spec["offset"])
        arrays[name] = array.reshape(tuple(spec["shape"]))
    return arrays


BLAS_THREADS = "OPENBLAS_NUM_THREADS"


def one_blas_thread() -> None:
    """Make numpy's OpenBLAS, already loaded, use one thread (never fails; nothing happens without OpenBLAS)."""
    import ctypes

    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and line.rstrip().endswith(".so")}
    except OSError:
        return
    for path in sorted(paths):
        with contextlib.suppress(OSError):
            library = ctypes.CDLL(path)
            for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads"):
                setter = getattr(library, name, None)
                if setter is not None:
                    setter(1)
                    break


def end_of_command() -> None:
    """Called as a command's process ends: collect once, then freeze what is left.

    One collection frees what the command left (the catalog connection closes, which moves
    its write-ahead log into the catalog file); what stays (modules: numpy, Whoosh, their
    tables) is then frozen, so the interpreter's final collections at exit skip it. Those
    took 0.1 s of the half second `kenniskamer search` takes; the one collection takes 0.03 s.
    """
    gc.collect()
    gc.freeze()

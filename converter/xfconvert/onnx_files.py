"""Writing an exported graph into the bundle: optionally in float16, with its weights in one external data file when large."""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings

import onnx

from .checkpoint import ConvertError

# protobuf refuses a message over 2 GiB; past this the weights go to a .data file beside the graph
EXTERNAL_DATA_THRESHOLD = 1_800_000_000


def weight_bytes(model: onnx.ModelProto) -> int:
    total = 0
    for t in model.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        total += n * (2 if t.data_type == onnx.TensorProto.FLOAT16 else 4 if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.INT32) else 8)
    return total


def to_float16(path: str) -> onnx.ModelProto:
    """
    The graph at `path` with weights and compute in float16; inputs and outputs stay float32 (Casts at
    the edges), so the runtime is unchanged. Shapes are inferred from the file (the in-memory inference
    the converter would run refuses a model over protobuf's 2 GiB).
    """
    from onnxconverter_common import float16  # only --dtype fp16 needs it
    inferred = path.replace(".onnx", ".shapes.onnx")
    onnx.shape_inference.infer_shapes_path(path, inferred)
    model = onnx.load(inferred)
    with warnings.catch_warnings():
        # it warns for every weight below float16's smallest normal number, which it flushes as intended
        warnings.simplefilter("ignore")
        return float16.convert_float_to_float16(model, keep_io_types=True, disable_shape_infer=True)


class GraphWriter:
    """Exports go to a scratch folder (torch writes a large model's weights as one file per tensor), then into the bundle."""

    def __init__(self, out: str, dtype: str, external_data: str):
        self.out = out
        self.dtype = dtype
        self.external_data = external_data
        self.scratch = tempfile.mkdtemp(prefix="xfconvert-")
        self.files: list[str] = []

    def scratch_path(self, name: str) -> str:
        folder = os.path.join(self.scratch, name)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"{name}.onnx")

    def finish(self, name: str) -> None:
        model = to_float16(self.scratch_path(name)) if self.dtype == "fp16" else onnx.load(self.scratch_path(name))
        graph = f"{name}.onnx"
        large = weight_bytes(model) > EXTERNAL_DATA_THRESHOLD
        if large and self.external_data == "never":
            raise ConvertError(os.path.join(self.out, graph), f"{weight_bytes(model) / 2**30:.1f} GiB of weights do not fit one ONNX file (2 GiB): "
                                                              "drop --external-data never")
        external = self.external_data == "always" or (self.external_data == "auto" and large)
        if external:
            data = f"{name}.data"
            onnx.save_model(model, os.path.join(self.out, graph), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=data, size_threshold=1024)
            self.files += [graph, data]
        else:
            onnx.save_model(model, os.path.join(self.out, graph))
            self.files.append(graph)
        shutil.rmtree(os.path.dirname(self.scratch_path(name)), ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

"""Writes assets/gather-rows.onnx: rows of a rank-4 float tensor picked by index (Gather on axis 0).

xfbench runs it on the WebGPU provider to reorder a decoder's key/value cache (beams, finished
questions leaving the batch) without the cache leaving device memory. Run once with Debian's
python3-onnx: /usr/bin/python3 scripts/make-gather-rows-graph.py
"""
import os

import onnx
from onnx import TensorProto, helper

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets", "gather-rows.onnx")

rows_in = helper.make_tensor_value_info("rows_in", TensorProto.FLOAT, ["batch", "d1", "d2", "d3"])
row_ids = helper.make_tensor_value_info("row_ids", TensorProto.INT64, ["rows"])
rows_out = helper.make_tensor_value_info("rows_out", TensorProto.FLOAT, ["rows", "d1", "d2", "d3"])
graph = helper.make_graph([helper.make_node("Gather", ["rows_in", "row_ids"], ["rows_out"], axis=0)],
                          "gather_rows", [rows_in, row_ids], [rows_out])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="xfbench")
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, OUT)
print(f"wrote {OUT}")

"""
What the model zoo takes from the shipped converter: the X-Former's dual cross-attention and the
attention it is made of (converter/xfconvert/dual_attention.py), so the tiny models are trained with
exactly the modules the converter rebuilds from a checkpoint, and the manifest check both sides apply
(converter/xfconvert/manifest_schema.py). The research code depends on the product, never the reverse.
"""
import os
import sys

_CONVERTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "converter")
if _CONVERTER not in sys.path:
    sys.path.insert(0, _CONVERTER)

from xfconvert.dual_attention import Attention, DualCrossAttention, dual_cross_attention  # noqa: E402
from xfconvert.manifest_schema import check_manifest  # noqa: E402

__all__ = ["Attention", "DualCrossAttention", "dual_cross_attention", "check_manifest"]

"""
X-Former's dual cross-attention (the only part of an X-Former that is neither CLIP, MAE, BLIP-2's
Q-Former nor the LM), defined once for both Python sides: the converter builds a checkpoint's module
from it (xformer.py) and the model zoo trains its tiny X-Former with it (modelzoo/xfzoo/models.py).
Attention is written with plain matmuls so every module exports to ONNX (opset 14) with dynamic batch
and sequence axes. It needs torch alone.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_dim: int | None = None):
        super().__init__()
        self.heads, self.dh = heads, dim // heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(kv_dim or dim, dim)
        self.v = nn.Linear(kv_dim or dim, dim)
        self.o = nn.Linear(dim, dim)

    def split(self, x):
        b, t = x.shape[0], x.shape[1]
        return x.reshape(b, t, self.heads, self.dh).transpose(1, 2)

    def attend(self, q, k, v, mask):
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
        if mask is not None:
            att = att + mask
        out = torch.matmul(torch.softmax(att, dim=-1), v)
        b, t = out.shape[0], out.shape[2]
        return self.o(out.transpose(1, 2).reshape(b, t, self.heads * self.dh))

    def forward(self, x, kv=None, mask=None):
        kv = x if kv is None else kv
        return self.attend(self.split(self.q(x)), self.split(self.k(kv)), self.split(self.v(kv)), mask)


def dual_cross_attention(mod: nn.Module, q, mae):
    """
    X-Former's dual cross-attention: the MAE features attend to the queries, then the queries attend to
    the updated MAE features. `mod` holds ln_m, ln_qm (and, pre-norm, ln_mq) LayerNorms and m_from_q,
    q_from_m (Attention) at the queries' width, and `norm` ("pre" unless it says otherwise):

    pre-norm (the default, as the model zoo trains it):  M' = M + attn(LN_m(M), LN_mq(Q));  Q' = Q + attn(LN_qm(Q), M')
    post-norm (BERT's and the Q-Former's own order):    M' = LN_m(M + attn(M, Q));        Q' = LN_qm(Q + attn(Q, M'))
    """
    if getattr(mod, "norm", "pre") == "post":
        mae = mod.ln_m(mae + mod.m_from_q(mae, kv=q))
        return mod.ln_qm(q + mod.q_from_m(q, kv=mae)), mae
    mae = mae + mod.m_from_q(mod.ln_m(mae), kv=mod.ln_mq(q))
    q = q + mod.q_from_m(mod.ln_qm(q), kv=mae)
    return q, mae


class DualCrossAttention(nn.Module):
    """The dual cross-attention alone, at any width; post-norm has no ln_mq (the queries it reads are normalised already)."""

    def __init__(self, dim: int, heads: int, norm: str = "pre"):
        super().__init__()
        self.norm = norm
        self.ln_m, self.ln_qm = nn.LayerNorm(dim), nn.LayerNorm(dim)
        if norm == "pre":
            self.ln_mq = nn.LayerNorm(dim)
        self.m_from_q = Attention(dim, heads)
        self.q_from_m = Attention(dim, heads)

    def forward(self, q, mae):
        return dual_cross_attention(self, q, mae)

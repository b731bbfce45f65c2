"""Tiny versions of the paper's parts: CLIP, MAE, a causal LM, the BLIP-2 Q-Former and X-Former.

Attention is written with plain matmuls so every module exports to ONNX (opset 14) with dynamic
batch and sequence axes.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .scenes import GRID
from .shared import Attention, dual_cross_attention  # the X-Former definitions the converter ships

PATCH = 8
IMG = 64
N_PATCHES = (IMG // PATCH) ** 2
# one query per word of the scene description the LM reads (background + 8x8 grid; questions.describe)
DESCRIPTION_WORDS = 1 + GRID * GRID
NEG = -1e4  # additive mask value; finite so fully masked rows stay NaN-free in fp32


class GatedMLP(nn.Module):
    """SwiGLU feed-forward, as LLaMA-style LLMs use: down(silu(gate(x)) * up(x)).

    Why the LM has it: the product of two projections of the same residual holds the cross terms
    of what two heads copied there (the probe word of "Is the background gray?" and the word read from
    the description), so "are these equal?" has a first-order gradient. A GELU MLP sees only one
    projection and must find that interaction through its kink, which our LMs did not within their
    training budget (every yes/no check stayed at chance)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.gate, self.up = nn.Linear(dim, hidden), nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int, gated: bool = False):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.mlp = GatedMLP(dim, mlp) if gated else nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Linear(mlp, dim))

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln1(x), mask=mask)
        return x + self.mlp(self.ln2(x))


class ViT(nn.Module):
    """Image tower shared by CLIP and MAE: 8x8 patches, a class token, pre-LN blocks."""

    def __init__(self, dim=64, depth=4, heads=4, mlp=128):
        super().__init__()
        self.dim = dim
        self.patch = nn.Conv2d(3, dim, PATCH, stride=PATCH)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, N_PATCHES + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)

    def forward(self, pixels, keep=None):
        """pixels [B,3,64,64] normalised; keep [B,K] patch indices to encode (MAE masking) or None."""
        x = self.patch(pixels).flatten(2).transpose(1, 2) + self.pos[:, 1:]
        if keep is not None:
            x = torch.gather(x, 1, keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        cls = (self.cls + self.pos[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.ln(x)


class TextEncoder(nn.Module):
    def __init__(self, vocab: int, dim=64, depth=2, heads=4, max_len=48):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, max_len, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, dim * 2) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)

    def forward(self, ids, pad):
        x = self.emb(ids) + self.pos[:, : ids.shape[1]]
        mask = (pad[:, None, None, :].float()) * NEG
        for blk in self.blocks:
            x = blk(x, mask)
        x = self.ln(x)
        keep = (~pad).float().unsqueeze(-1)
        return (x * keep).sum(1) / keep.sum(1).clamp(min=1)


class CLIP(nn.Module):
    def __init__(self, vocab: int, dim=64, embed=64):
        super().__init__()
        self.visual = ViT(dim)
        self.text = TextEncoder(vocab, dim)
        self.img_proj = nn.Linear(dim, embed)
        self.txt_proj = nn.Linear(dim, embed)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def loss(self, pixels, ids, pad):
        img = F.normalize(self.img_proj(self.visual(pixels)[:, 0]), dim=-1)
        txt = F.normalize(self.txt_proj(self.text(ids, pad)), dim=-1)
        logits = self.logit_scale.exp().clamp(max=100) * img @ txt.t()
        target = torch.arange(len(img))
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2


def patchify(pixels):
    b = pixels.shape[0]
    x = pixels.reshape(b, 3, IMG // PATCH, PATCH, IMG // PATCH, PATCH)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(b, N_PATCHES, PATCH * PATCH * 3)


def random_keep(b: int, ratio: float, gen: torch.Generator):
    """Indices of kept patches and the permutation that restores patch order."""
    noise = torch.rand(b, N_PATCHES, generator=gen)
    order = noise.argsort(dim=1)
    restore = order.argsort(dim=1)
    n_keep = int(N_PATCHES * (1 - ratio))
    return order[:, :n_keep], restore


class MAEDecoder(nn.Module):
    def __init__(self, enc_dim=64, dim=48, depth=2, heads=4):
        super().__init__()
        self.embed = nn.Linear(enc_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, N_PATCHES + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, dim * 2) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, PATCH * PATCH * 3)

    def forward(self, tokens, restore):
        """tokens [B,1+K,enc_dim] (class token first); restore [B,N] from random_keep."""
        x = self.embed(tokens)
        b, k = x.shape[0], x.shape[1] - 1
        masks = self.mask_token.expand(b, N_PATCHES - k, -1)
        seq = torch.cat([x[:, 1:], masks], dim=1)
        seq = torch.gather(seq, 1, restore.unsqueeze(-1).expand(-1, -1, seq.shape[-1]))
        x = torch.cat([x[:, :1], seq], dim=1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.out(self.ln(x))[:, 1:]


class MAE(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.encoder = ViT(dim)
        self.decoder = MAEDecoder(dim)

    def loss(self, pixels, gen, ratio=0.75):
        keep, restore = random_keep(pixels.shape[0], ratio, gen)
        pred = self.decoder(self.encoder(pixels, keep), restore)
        return reconstruction_loss(pred, pixels, restore, keep.shape[1])


def reconstruction_loss(pred, pixels, restore, n_keep):
    target = patchify(pixels)
    masked = (restore >= n_keep).float()  # positions not among the kept ones
    per_patch = ((pred - target) ** 2).mean(-1)
    return (per_patch * masked).sum() / masked.sum()


class TinyLM(nn.Module):
    """Causal decoder-only LM (GPT-style, tied embeddings) with an explicit key/value cache."""

    # SwiGLU of width 344 has the parameters (and cost) of the GELU MLP of width 512 it replaced
    def __init__(self, vocab: int, dim=128, depth=4, heads=4, mlp=344, max_len=160, gated=True):
        super().__init__()
        self.dim, self.heads, self.depth, self.mlp, self.gated = dim, heads, depth, mlp, gated
        self.emb = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(max_len, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp, gated) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)
        # small init: the embedding doubles as the output head, so N(0,1) would give huge first logits
        nn.init.normal_(self.emb.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    def table(self):
        """The word vectors: input embedding and (tied) output head."""
        return self.emb.weight

    def embed(self, ids):
        return F.embedding(ids, self.table())

    def forward(self, embeds, position_ids, attention_mask, past=None):
        """embeds [B,T,D]; position_ids [B,T]; attention_mask [B,P+T] (1 attend, 0 pad);
        past: list of (k, v) each [B,H,P,dh] or None. Returns logits and the new cache."""
        x = embeds + self.pos(position_ids)
        t = x.shape[1]
        p = 0 if past is None else past[0][0].shape[2]
        q_pos = torch.arange(t).unsqueeze(1) + p
        k_pos = torch.arange(p + t).unsqueeze(0)
        causal = (k_pos <= q_pos).float()
        allowed = causal.unsqueeze(0).unsqueeze(0) * attention_mask.float()[:, None, None, :]
        mask = (1.0 - allowed) * NEG
        present = []
        for i, blk in enumerate(self.blocks):
            h = blk.ln1(x)
            att = blk.attn
            q, k, v = att.split(att.q(h)), att.split(att.k(h)), att.split(att.v(h))
            if past is not None:
                k = torch.cat([past[i][0], k], dim=2)
                v = torch.cat([past[i][1], v], dim=2)
            present.append((k, v))
            x = x + att.attend(q, k, v, mask)
            x = x + blk.mlp(blk.ln2(x))
        logits = self.ln(x) @ self.table().t()
        return logits, present


class ComposedWordsLM(TinyLM):
    """TinyLM as it is pre-trained: the vector of a compound word ("smallredstripedcircle") is its own
    vector plus the sum of its parts' ("small", "red", "striped", "circle"), as fastText builds words
    from pieces. The question's words and the scene's object words then share features from the first
    step, so the look-up a question needs is there to be found instead of learnt 108 times over.
    `folded()` bakes the sums into a plain TinyLM, which is what is frozen and exported."""

    def __init__(self, vocab: int, parts: torch.Tensor, **kw):
        super().__init__(vocab, **kw)
        self.register_buffer("parts", parts)  # [vocab, vocab]: 1 where row word contains column word

    def table(self):
        return self.emb.weight + self.parts @ self.emb.weight

    def folded(self) -> TinyLM:
        plain = TinyLM(self.emb.num_embeddings, dim=self.dim, depth=self.depth, heads=self.heads,
                       mlp=self.mlp, max_len=self.pos.num_embeddings, gated=self.gated)
        state = {k: v for k, v in self.state_dict().items() if k != "parts"}
        state["emb.weight"] = self.table().detach().clone()
        plain.load_state_dict(state)
        return plain

    def load_folded(self, plain_state: dict) -> None:
        """The inverse of `folded`: loads a plain LM's state, each compound word's own vector being its
        folded one minus its parts' (the parts' own rows of `parts` are empty, so this inverts `table`)."""
        state = dict(plain_state)
        state["emb.weight"] = plain_state["emb.weight"] - self.parts @ plain_state["emb.weight"]
        state["parts"] = self.parts
        self.load_state_dict(state)


class FusionLayer(nn.Module):
    """One Q-Former layer: self-attention over [queries; text], cross-attention from queries to CLIP
    features, and (X-Former only) the dual cross-attention with MAE features."""

    def __init__(self, dim: int, vis_dim: int, heads: int, dual: bool):
        super().__init__()
        self.ln_sa, self.ln_ca, self.ln_fq, self.ln_ft = (nn.LayerNorm(dim) for _ in range(4))
        self.sa = Attention(dim, heads)
        self.ca = Attention(dim, heads, kv_dim=vis_dim)
        self.ffn_q = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))
        self.ffn_t = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))
        self.dual = dual
        if dual:
            self.ln_m, self.ln_mq, self.ln_qm = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.m_from_q = Attention(dim, heads)  # MAE features attend to the queries -> M'
            self.q_from_m = Attention(dim, heads)  # queries attend to M' -> Z'

    def forward(self, q, t, vis, mae, mask):
        nq = q.shape[1]
        x = q if t is None else torch.cat([q, t], dim=1)
        x = x + self.sa(self.ln_sa(x), mask=mask)
        q = x[:, :nq]
        t = None if t is None else x[:, nq:]
        if nq > 0:
            q = q + self.ca(self.ln_ca(q), kv=vis)
            if self.dual:
                q, mae = dual_cross_attention(self, q, mae)
            q = q + self.ffn_q(self.ln_fq(q))
        if t is not None:
            t = t + self.ffn_t(self.ln_ft(t))
        return q, t, mae


class FusionModule(nn.Module):
    """BLIP-2 Q-Former (dual=False, CLIP-only) or X-Former (dual=True, CLIP+MAE)."""

    def __init__(self, vocab: int, dual: bool, dim=64, vis_dim=64, mae_dim=64, queries=DESCRIPTION_WORDS,
                 depth=2, heads=4, lm_dim=128, max_text=DESCRIPTION_WORDS + 7):
        super().__init__()
        self.dual, self.n_queries = dual, queries
        self.queries = nn.Parameter(torch.randn(1, queries, dim) * 0.02)
        self.tok = nn.Embedding(vocab, dim)
        nn.init.normal_(self.tok.weight, std=0.02)  # also the ITG output head
        self.tpos = nn.Parameter(torch.randn(1, max_text, dim) * 0.02)
        self.layers = nn.ModuleList([FusionLayer(dim, vis_dim, heads, dual) for _ in range(depth)])
        self.ln_q, self.ln_t = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.itc_img, self.itc_txt = nn.Linear(dim, 64), nn.Linear(dim, 64)
        self.itm = nn.Linear(dim, 2)
        self.temp = nn.Parameter(torch.tensor(0.07))
        self.lm_proj = nn.Linear(dim, lm_dim)  # stage 2: into the frozen LM's embedding space
        if dual:
            self.mae_in = nn.Linear(mae_dim, dim)
            self.mae_out = nn.Linear(dim, mae_dim)  # M' back into the frozen MAE decoder (stage 1)

    def run(self, b, vis, mae, ids=None, mask=None):
        q = self.queries.expand(b, -1, -1) if vis is not None else self.queries[:, :0].expand(b, -1, -1)
        t = None if ids is None else self.tok(ids) + self.tpos[:, : ids.shape[1]]
        m = self.mae_in(mae) if (self.dual and mae is not None) else None
        for layer in self.layers:
            q, t, m = layer(q, t, vis, m, mask)
        return self.ln_q(q), (None if t is None else self.ln_t(t)), m

    def visual_tokens(self, clip_feats, mae_feats=None):
        """Inference path: queries -> Z (or Z') -> projected into the LM."""
        q, _, _ = self.run(clip_feats.shape[0], clip_feats, mae_feats)
        return self.lm_proj(q)


def stage1_masks(nq: int, pad, mode: str):
    """Additive self-attention masks over [queries; text] for BLIP-2's three objectives."""
    b, nt = pad.shape
    n = nq + nt
    allow = torch.ones(b, n, n)
    text_pad = torch.cat([torch.zeros(b, nq, dtype=torch.bool), pad], dim=1)
    allow = allow * (~text_pad).float()[:, None, :]
    if mode == "itg":
        allow[:, :nq, nq:] = 0  # queries never see the text
        allow[:, nq:, nq:] = allow[:, nq:, nq:] * torch.tril(torch.ones(nt, nt))
    return ((1 - allow) * NEG).unsqueeze(1)

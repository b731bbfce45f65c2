"""Training stages. Each stage is a separate process (`python3 -m xfzoo.train STAGE`) writing a
checkpoint under modelzoo/work/, so independent stages run side by side on two cores."""
from __future__ import annotations

import argparse
import itertools
import os
import pickle
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from .config import CONFIG, WORK, normalise
from .data import PROMPT, Split, captions, gqa_questions, perception_questions, training_scenes, training_texts, lm_answer
from .models import CLIP, MAE, ComposedWordsLM, FusionModule, TinyLM, random_keep, reconstruction_loss, stage1_masks
from .questions import ATTR_VALUES, cell_word, describe
from .scenes import SHAPES, SceneObject
from .tokenizer import WordTokenizer

torch.set_num_threads(1)


def log(stage: str, msg: str) -> None:
    print(f"[{stage}] {msg}", flush=True)


def training_split() -> Split:
    c = CONFIG
    scenes, images = training_scenes()
    _, qa = gqa_questions(scenes, c["seed"] + 2, 90_000_000, c["train_questions_per_image"])
    oc, mci = perception_questions(scenes, c["seed"] + 3)
    qa += [(i, q, lm_answer(a), "count") for i, q, a in oc]
    qa += [(i, q, lm_answer(a), "identify") for i, q, a in mci]
    return Split(scenes, images, qa)


def load_split_and_tokenizer() -> tuple[Split, WordTokenizer]:
    path = os.path.join(WORK, "train_split.pkl")
    with open(path, "rb") as f:
        split = pickle.load(f)
    vocab = WordTokenizer.build([])  # placeholder replaced below
    import json
    with open(os.path.join(WORK, "tokenizer.json")) as f:
        vocab = WordTokenizer(json.load(f)["model"]["vocab"])
    return split, vocab


def pad_batch(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
    return ids, ids == pad_id


def pixels(images: np.ndarray, encoder: str) -> torch.Tensor:
    return torch.from_numpy(normalise(images, encoder))


def batches(n: int, batch: int, steps: int, seed: int):
    gen = np.random.default_rng(seed)
    perm = gen.permutation(n)
    pos = 0
    for _ in range(steps):
        if pos + batch > n:
            perm, pos = gen.permutation(n), 0
        yield perm[pos: pos + batch]
        pos += batch


def lr_at(step: int, steps: int, base: float) -> float:
    warm = max(1, steps // 20)
    if step < warm:
        return base * (step + 1) / warm
    return base * 0.5 * (1 + np.cos(np.pi * (step - warm) / max(1, steps - warm)))


def optimise(model_params, steps, base_lr, stage, loss_fn, wd=0.05):
    opt = torch.optim.AdamW(model_params, lr=base_lr, weight_decay=wd)
    t0 = time.time()
    for step, loss in enumerate(loss_fn()):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, base_lr)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model_params, 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(stage, f"step {step}/{steps} loss {loss.item():.4f} ({time.time() - t0:.0f}s)")


def stage_prepare() -> None:
    split = training_split()
    texts = training_texts(split) + captions(split, CONFIG["seed"] + 4)
    from .build_fixtures import fixture_texts
    tok = WordTokenizer.build(texts + fixture_texts())
    os.makedirs(WORK, exist_ok=True)
    tok.save(os.path.join(WORK, "tokenizer.json"))
    with open(os.path.join(WORK, "train_split.pkl"), "wb") as f:
        pickle.dump(split, f)
    log("prepare", f"{len(split.scenes)} training images, {len(split.qa)} questions, vocab {len(tok.vocab)}")


def stage_clip() -> None:
    torch.manual_seed(CONFIG["seed"] + 10)
    split, tok = load_split_and_tokenizer()
    caps = captions(split, CONFIG["seed"] + 4)
    model = CLIP(len(tok.vocab))
    c = CONFIG["clip"]

    def losses():
        for idx in batches(len(caps), c["batch"], c["steps"], CONFIG["seed"] + 11):
            ids, pad = pad_batch([tok.encode(caps[i]) for i in idx], tok.pad_id)
            yield model.loss(pixels(split.images[idx], "clip"), ids, pad)
    optimise(list(model.parameters()), c["steps"], c["lr"], "clip", losses)
    torch.save(model.state_dict(), os.path.join(WORK, "clip.pt"))


def stage_mae() -> None:
    torch.manual_seed(CONFIG["seed"] + 20)
    split, _ = load_split_and_tokenizer()
    model = MAE()
    c = CONFIG["mae"]
    gen = torch.Generator().manual_seed(CONFIG["seed"] + 21)

    def losses():
        for idx in batches(len(split.images), c["batch"], c["steps"], CONFIG["seed"] + 22):
            yield model.loss(pixels(split.images[idx], "mae"), gen)
    optimise(list(model.parameters()), c["steps"], c["lr"], "mae", losses)
    torch.save(model.state_dict(), os.path.join(WORK, "mae.pt"))


def lm_sequences(tok: WordTokenizer, split: Split, seed: int, max_len: int = 160, per_sequence: int = 5):
    """(ids, answer mask, kinds) per training sequence: an image's description, then up to `per_sequence`
    of its questions, each prompt followed by its answer and EOS; `kinds` names each question's kind.

    Packing several questions behind one description gives each step several times the answer
    supervision for about twice the tokens: the description (most of a single-question sequence) is
    read once. The first question of each sequence sits right after the description, as at inference."""
    rng = np.random.default_rng(seed)
    by_image: dict[int, list[tuple[str, str, str]]] = {}
    for i, q, a, k in split.qa:
        by_image.setdefault(i, []).append((q, a, k))
    out = []
    for i, qas in by_image.items():
        ctx = tok.encode(describe(split.scenes[i]))
        ids, mask, kinds = list(ctx), [False] * len(ctx), []
        for j in rng.permutation(len(qas)):
            q, a, k = qas[j]
            prompt, answer = tok.encode(PROMPT.format(question=q)), tok.encode(a) + [tok.eos_id]
            if len(kinds) == per_sequence or len(ids) + len(prompt) + len(answer) > max_len:
                out.append((ids, mask, kinds))
                ids, mask, kinds = list(ctx), [False] * len(ctx), []
            ids += prompt + answer
            mask += [False] * len(prompt) + [True] * len(answer)
            kinds.append(k)
        out.append((ids, mask, kinds))
    return out


def answer_mask(masks: list[list[bool]], width: int) -> torch.Tensor:
    out = torch.zeros(len(masks), width, dtype=torch.bool)
    for r, m in enumerate(masks):
        out[r, : len(m)] = torch.tensor(m, dtype=torch.bool)
    return out


def lm_loss(logits, ids, pad, is_answer, prefix: int = 0):
    """Next-token loss on every text token, and on the answer tokens (`is_answer`, per text position).
    With a prefix of `prefix` visual tokens, the first text token is predicted from the last of them."""
    pred = logits[:, prefix:-1] if prefix == 0 else logits[:, prefix - 1:-1]
    target, tpad, tans = (ids, pad, is_answer) if prefix else (ids[:, 1:], pad[:, 1:], is_answer[:, 1:])
    ce = F.cross_entropy(pred.reshape(-1, pred.shape[-1]), target.reshape(-1), reduction="none").view(target.shape)
    all_tokens, answers = (~tpad).float(), (tans & ~tpad).float()
    return (ce * all_tokens).sum() / all_tokens.sum(), (ce * answers).sum() / answers.sum()


def compound_parts(tok: WordTokenizer) -> torch.Tensor:
    """[vocab, vocab] matrix with a 1 where the row is an object word (questions.cell_word) and the
    column one of its four attribute words."""
    parts = torch.zeros(len(tok.vocab), len(tok.vocab))
    for size, color, texture, shape in itertools.product(ATTR_VALUES["size"], ATTR_VALUES["color"],
                                                         ATTR_VALUES["texture"], SHAPES):
        word = cell_word(SceneObject("", shape, color, size, texture, 0, 0))
        for part in (size, color, texture, shape):
            parts[tok.vocab[word], tok.vocab[part]] = 1.0
    return parts


def pretrain_lm(model: TinyLM, seqs, pad_id: int, steps: int, lr: float, batch: int,
                unscored_prefix: int = 0, noisy_prefix: int = 0, noise: float = 0.0,
                order=None, stage: str = "lm") -> None:
    """Next-token pre-training on `lm_sequences`: the loss on every token plus, again, on the answers.
    Sequences come in shuffled epochs, or in `order` (an iterable of index batches) where given.
    Experiments' options: the first `unscored_prefix` tokens of each sequence are not predicted; the
    vectors of the first `noisy_prefix` tokens get Gaussian noise, per sequence of a norm drawn
    uniformly up to `noise` times the mean word vector's (so the LM learns to read near-words too)."""
    gen = torch.Generator().manual_seed(CONFIG["seed"] + 33)

    def losses():
        for idx in order or batches(len(seqs), batch, steps, CONFIG["seed"] + 31):
            ids, pad = pad_batch([seqs[i][0] for i in idx], pad_id)
            embeds = model.embed(ids)
            if noisy_prefix and noise:
                scale = noise * model.table().detach().norm(dim=-1).mean() / embeds.shape[-1] ** 0.5
                size = torch.rand(len(idx), 1, 1, generator=gen) * scale
                jitter = torch.randn(len(idx), noisy_prefix, embeds.shape[-1], generator=gen) * size
                embeds = torch.cat([embeds[:, :noisy_prefix] + jitter, embeds[:, noisy_prefix:]], dim=1)
            logits, _ = model(embeds, torch.arange(ids.shape[1]).expand(len(idx), -1), (~pad).long())
            scored = pad.clone()
            scored[:, :unscored_prefix] = True  # targets 1..unscored_prefix-1 count as padding
            whole, answer = lm_loss(logits, ids, scored, answer_mask([seqs[i][1] for i in idx], ids.shape[1]))
            yield whole + answer
    optimise(list(model.parameters()), steps, lr, stage, losses, wd=0.01)


def stage_lm() -> None:
    torch.manual_seed(CONFIG["seed"] + 30)
    split, tok = load_split_and_tokenizer()
    c = CONFIG["lm"]
    seqs = lm_sequences(tok, split, CONFIG["seed"] + 32, per_sequence=c["questions_per_sequence"])
    model = ComposedWordsLM(len(tok.vocab), compound_parts(tok))
    pretrain_lm(model, seqs, tok.pad_id, c["steps"], c["lr"], c["batch"])
    # A second, shorter cosine cycle (a warm restart): 1,000 more steps at half the rate raised the
    # LM's reading of the true text from 66.5% to 68.4% on run 6's data (modelzoo/README.md, run 7).
    restart = c["restart_steps"]
    pretrain_lm(model, seqs, tok.pad_id, restart, c["restart_lr"], c["batch"],
                order=batches(len(seqs), c["batch"], restart, CONFIG["seed"] + 34), stage="lm-restart")
    torch.save(model.folded().state_dict(), os.path.join(WORK, "lm.pt"))


def load_frozen(vocab: int, parts: tuple[str, ...] = ("clip", "mae", "lm")) -> dict:
    """The frozen models named in `parts`, loaded from WORK, in eval mode and without gradients."""
    made = {"clip": lambda: CLIP(vocab), "mae": MAE, "lm": lambda: TinyLM(vocab)}
    out = {}
    for name in parts:
        model = made[name]()
        model.load_state_dict(torch.load(os.path.join(WORK, f"{name}.pt")))
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        out[name] = model
    return out


@torch.no_grad()
def encode_all(encoder, images: np.ndarray, kind: str, chunk: int = 256) -> torch.Tensor:
    return torch.cat([encoder(pixels(images[i: i + chunk], kind)) for i in range(0, len(images), chunk)])


def stage1_loss(fusion: FusionModule, clip_f, mae_pix, mae, ids, pad, gen):
    b, nq = ids.shape[0], fusion.n_queries
    mae_tokens, restore, n_keep = None, None, 0
    if fusion.dual:
        keep, restore = random_keep(b, 0.5, gen)
        n_keep = keep.shape[1]
        with torch.no_grad():
            mae_tokens = mae.encoder(mae_pix, keep)
    # ITC: queries alone vs text alone
    zq, _, m_out = fusion.run(b, clip_f, mae_tokens)
    _, t_only, _ = fusion.run(b, None, None, ids, stage1_masks(0, pad, "itc"))
    img = F.normalize(fusion.itc_img(zq), dim=-1)  # [B,Q,64]
    keep_t = (~pad).float().unsqueeze(-1)
    txt = F.normalize(fusion.itc_txt((t_only * keep_t).sum(1) / keep_t.sum(1)), dim=-1)
    sim = torch.einsum("bqd,cd->bcq", img, txt).max(-1).values / fusion.temp.clamp(min=0.01)
    target = torch.arange(b)
    itc = (F.cross_entropy(sim, target) + F.cross_entropy(sim.t(), target)) / 2
    # ITM: matched pairs vs the hardest in-batch negative text
    with torch.no_grad():
        weights = torch.softmax(sim, dim=1).clone()
        weights.fill_diagonal_(0)
        neg = torch.multinomial(weights + 1e-6, 1, generator=gen).squeeze(1)
    pair_ids, pair_pad = torch.cat([ids, ids[neg]]), torch.cat([pad, pad[neg]])
    clip2 = torch.cat([clip_f, clip_f])
    mae2 = None if mae_tokens is None else torch.cat([mae_tokens, mae_tokens])
    zq2, _, _ = fusion.run(2 * b, clip2, mae2, pair_ids, stage1_masks(nq, pair_pad, "itm"))
    itm = F.cross_entropy(fusion.itm(zq2.mean(1)), torch.cat([torch.ones(b), torch.zeros(b)]).long())
    # ITG: text generated from the queries
    _, tg, _ = fusion.run(b, clip_f, mae_tokens, ids, stage1_masks(nq, pad, "itg"))
    logits = tg @ fusion.tok.weight.t()
    tpad = pad[:, 1:]
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
    itg = (ce.view(tpad.shape) * (~tpad).float()).sum() / (~tpad).float().sum()
    total = itc + itm + itg
    if fusion.dual:
        zq_rec, _, m_rec = fusion.run(b, clip_f, mae_tokens)
        pred = mae.decoder(fusion.mae_out(m_rec), restore)
        total = total + reconstruction_loss(pred, mae_pix, restore, n_keep)
    return total


FUSION_NAMES = {"clip": "qformer", "clip+mae": "xformer"}


def fusion_setup(kind: str, parts: tuple[str, ...]):
    """What both fusion stages start from: the split, tokenizer, frozen models and encoded images."""
    dual = kind == "clip+mae"
    torch.manual_seed(CONFIG["seed"] + 40)
    split, tok = load_split_and_tokenizer()
    frozen = load_frozen(len(tok.vocab), parts)
    fusion = FusionModule(len(tok.vocab), dual)
    clip_feats = encode_all(frozen["clip"].visual, split.images, "clip")
    mae_feats = encode_all(frozen["mae"].encoder, split.images, "mae") if dual else None
    log(FUSION_NAMES[kind], "encoded training images")
    return split, tok, frozen, fusion, clip_feats, mae_feats


def stage_fusion1(kind: str) -> None:
    """Stage 1 for one fusion kind: ITC + ITM + ITG on the scene descriptions (+ reconstruction through
    the frozen MAE decoder for X-Former). It needs no LM, so it runs while the LM is still training."""
    name = FUSION_NAMES[kind]
    split, tok, frozen, fusion, clip_feats, _ = fusion_setup(kind, ("clip", "mae"))
    descs = [tok.encode(describe(s)) for s in split.scenes]
    c1 = CONFIG["stage1"]
    gen = torch.Generator().manual_seed(CONFIG["seed"] + 41)

    def stage1():
        for idx in batches(len(descs), c1["batch"], c1["steps"], CONFIG["seed"] + 42):
            ids, pad = pad_batch([descs[i] for i in idx], tok.pad_id)
            mae_pix = pixels(split.images[idx], "mae") if fusion.dual else None
            yield stage1_loss(fusion, clip_feats[idx], mae_pix, frozen["mae"], ids, pad, gen)
    optimise([p for p in fusion.parameters() if p.requires_grad], c1["steps"], c1["lr"], f"{name}-s1", stage1)
    torch.save(fusion.state_dict(), os.path.join(WORK, f"{name}-stage1.pt"))


def stage2_batches(split: Split, tok: WordTokenizer, steps: int):
    """Stage 2's data in the build's order: per batch the image indices, the prompt-and-answer ids,
    their padding and which of them are answer tokens."""
    prompts = [(i, tok.encode(PROMPT.format(question=q)), tok.encode(a) + [tok.eos_id]) for i, q, a, _k in split.qa]
    for idx in batches(len(prompts), CONFIG["stage2"]["batch"], steps, CONFIG["seed"] + 43):
        rows = [prompts[j] for j in idx]
        ids, pad = pad_batch([r[1] + r[2] for r in rows], tok.pad_id)
        is_answer = answer_mask([[False] * len(r[1]) + [True] * len(r[2]) for r in rows], ids.shape[1])
        yield torch.tensor([r[0] for r in rows]), ids, pad, is_answer


def prefix_lm_loss(lm: TinyLM, vis, ids, pad, is_answer):
    """The frozen LM's loss on every text token and on the answer tokens (as `lm_loss`) when it reads
    `vis` [B,Q,D] before the prompt."""
    nq = vis.shape[1]
    embeds = torch.cat([vis, lm.embed(ids)], dim=1)
    mask = torch.cat([torch.ones(len(ids), nq, dtype=torch.long), (~pad).long()], dim=1)
    logits, _ = lm(embeds, torch.arange(embeds.shape[1]).expand(len(ids), -1), mask)
    return lm_loss(logits, ids, pad, is_answer, prefix=nq)


def stage_fusion2(kind: str) -> None:
    """Stage 2 for one fusion kind: the stage-1 module and a linear projection into the frozen LM,
    trained with the language-modelling loss on the answers only. Both kinds share seeds, data order
    and steps, so the comparison is fair."""
    name = FUSION_NAMES[kind]
    split, tok, frozen, fusion, clip_feats, mae_feats = fusion_setup(kind, ("clip", "mae", "lm"))
    fusion.load_state_dict(torch.load(os.path.join(WORK, f"{name}-stage1.pt")))
    c2 = CONFIG["stage2"]

    def stage2():
        for img_idx, ids, pad, is_answer in stage2_batches(split, tok, c2["steps"]):
            vis = fusion.visual_tokens(clip_feats[img_idx], None if mae_feats is None else mae_feats[img_idx])
            yield prefix_lm_loss(frozen["lm"], vis, ids, pad, is_answer)[1]  # the answers only
    optimise([p for p in fusion.parameters() if p.requires_grad], c2["steps"], c2["lr"], f"{name}-s2", stage2)
    torch.save(fusion.state_dict(), os.path.join(WORK, f"{name}.pt"))


STAGES = {"prepare": stage_prepare, "clip": stage_clip, "mae": stage_mae, "lm": stage_lm,
          "qformer1": lambda: stage_fusion1("clip"), "xformer1": lambda: stage_fusion1("clip+mae"),
          "qformer2": lambda: stage_fusion2("clip"), "xformer2": lambda: stage_fusion2("clip+mae")}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=list(STAGES))
    stage = parser.parse_args(argv).stage
    t0 = time.time()
    STAGES[stage]()
    log(stage, f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Word-level vocabulary written as a Hugging Face `tokenizer.json` (WordPiece model, BERT pre-tokenizer).

The Python encoder here follows the same rules as the tokenizers library for this configuration:
lowercase, split on whitespace and punctuation, then greedy longest-match WordPiece with `##` pieces.
"""
from __future__ import annotations

import json
import unicodedata

PAD, UNK, EOS = "[PAD]", "[UNK]", "[EOS]"
SPECIALS = (PAD, UNK, EOS)


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def pre_tokenize(text: str) -> list[str]:
    words, cur = [], []
    for ch in text.lower():
        if ch.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        elif _is_punct(ch):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(ch)
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


class WordTokenizer:
    def __init__(self, vocab: dict[str, int]):
        self.vocab = vocab
        self.inv = {i: t for t, i in vocab.items()}
        self.pad_id, self.unk_id, self.eos_id = vocab[PAD], vocab[UNK], vocab[EOS]

    @classmethod
    def build(cls, texts) -> "WordTokenizer":
        words = set()
        for t in texts:
            words.update(pre_tokenize(t))
        # letters and digits as pieces, so an unseen word is spelled out instead of lost
        pieces = [c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
        ordered = list(SPECIALS) + sorted(words | set(pieces)) + ["##" + c for c in pieces]
        return cls({t: i for i, t in enumerate(dict.fromkeys(ordered))})

    def _wordpiece(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk_id]
        ids, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk_id]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str) -> list[int]:
        out = []
        for w in pre_tokenize(text):
            out.extend(self._wordpiece(w))
        return out

    def decode(self, ids) -> str:
        toks = [self.inv[int(i)] for i in ids if self.inv[int(i)] not in SPECIALS]
        text = " ".join(toks).replace(" ##", "")
        for p in (" .", " ?", " !", " ,"):
            text = text.replace(p, p[1:])
        return text.strip()

    def to_json(self) -> dict:
        added = [{"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for s in SPECIALS]
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": None,
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": UNK, "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": self.vocab},
        }

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.to_json(), f, indent=1, sort_keys=False)
            f.write("\n")

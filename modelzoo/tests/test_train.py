"""The LM's training data: each sequence keeps track of its questions' kinds; and the composed LM's
word vectors fold into a plain LM and unfold back."""
from __future__ import annotations

import collections
import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from xfzoo import train  # noqa: E402
from xfzoo.data import Split, gqa_questions, make_scenes, training_texts  # noqa: E402
from xfzoo.models import ComposedWordsLM  # noqa: E402
from xfzoo.tokenizer import WordTokenizer  # noqa: E402


class LmSequences(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        scenes, images = make_scenes(7, 6, "u")
        _, qa = gqa_questions(scenes, 8, 1, 5)
        cls.split = Split(scenes, images, qa)
        cls.tok = WordTokenizer.build(training_texts(cls.split))

    def test_one_question_per_sequence_keeps_every_kind(self):
        seqs = train.lm_sequences(self.tok, self.split, 9, per_sequence=1)
        self.assertEqual([len(kinds) for _ids, _mask, kinds in seqs], [1] * len(self.split.qa))
        self.assertEqual(collections.Counter(k for *_rest, kinds in seqs for k in kinds),
                         collections.Counter(k for *_rest, k in self.split.qa))

    def test_packed_sequences_name_each_answer_kind(self):
        for ids, mask, kinds in train.lm_sequences(self.tok, self.split, 9, per_sequence=3):
            self.assertEqual(len(ids), len(mask))
            self.assertTrue(1 <= len(kinds) <= 3)
            answers = sum(1 for j in range(len(ids)) if mask[j] and ids[j] == self.tok.eos_id)
            self.assertEqual(answers, len(kinds))  # each answer ends in EOS


class FoldedWords(unittest.TestCase):
    def test_unfolding_a_folded_lm_gives_back_its_word_vectors(self):
        torch.manual_seed(0)
        parts = torch.zeros(6, 6)
        parts[4, [0, 1]] = parts[5, [1, 2, 3]] = 1.0  # words 4 and 5 are compounds of words 0-3
        lm = ComposedWordsLM(6, parts, dim=16, depth=1, heads=2, mlp=24)
        again = ComposedWordsLM(6, parts, dim=16, depth=1, heads=2, mlp=24)
        again.load_folded(lm.folded().state_dict())
        self.assertTrue(torch.allclose(again.table(), lm.table(), atol=1e-6))
        self.assertTrue(torch.allclose(again.emb.weight, lm.emb.weight, atol=1e-6))


if __name__ == "__main__":
    unittest.main()

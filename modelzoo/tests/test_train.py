"""The LM's training data: each sequence keeps track of its questions' kinds."""
from __future__ import annotations

import collections
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from xfzoo import train  # noqa: E402
from xfzoo.data import Split, gqa_questions, make_scenes, training_texts  # noqa: E402
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


if __name__ == "__main__":
    unittest.main()

import { describe, expect, it } from 'vitest';
import { answerNormaliser, loadProtocol, processQuestion } from '../../src/protocols/protocol.js';
import { answerSettingsOf, firstAnswerDifference, type RunConfig } from '../../src/runs/run-config.js';

describe("the lavis protocol's question processing (LAVIS's BlipQuestionProcessor)", () => {
  it.each([
    ['Is the "cup" (on the left) empty?!', 'is the cup on the left empty?'],
    ['What is this?   ', 'what is this?'],
    ['Hello... world: a ~test~; #1*', 'hello world a test 1'],
    // only spaces are stripped from the end; tabs and newlines stay, and a comma or apostrophe is kept
    ["Who's there,\t\n", "who's there,\t\n"],
    // split on single spaces: double spaces make empty words, which count
    ['A  b', 'a  b'],
  ])('%j -> %j', async (question, expected) => {
    expect(processQuestion(await loadProtocol('lavis'), question)).toBe(expected);
  });

  it('keeps at most 50 words', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    expect(processQuestion(await loadProtocol('lavis'), long).split(' ')).toHaveLength(50);
  });

  it('leaves the question alone under the official protocol', async () => {
    expect(processQuestion(await loadProtocol('official'), 'Is the "cup" empty?  ')).toBe('Is the "cup" empty?  ');
  });
});

describe("the lavis protocols' GQA answers (GQATask._report_metrics)", () => {
  it('match "a frisbee" to the gold "frisbee", which the official exact match does not', async () => {
    const norm = answerNormaliser(await loadProtocol('lavis'), 'gqa')!;
    expect(norm.answer(' A frisbee.')).toBe('frisbee');
    expect(norm.answer('frisbee')).toBe('frisbee');
    expect(norm.answer('Two')).toBe('2');
    expect(norm.answer('isnt')).toBe("isn't");
    expect(norm.answer('left, right')).toBe('left right');
  });

  it('leave the gold answers as they are in LAVIS as released, and process them too on its main branch', async () => {
    expect(answerNormaliser(await loadProtocol('lavis'), 'gqa')!.gold).toBeUndefined();
    const main = answerNormaliser(await loadProtocol('lavis-main'), 'gqa')!;
    expect(main.gold!('t-shirt')).toBe(main.answer('t-shirt'));
    expect(main.gold!('two')).toBe('2');
  });

  it("keeps each dataset's own normalisation where the protocol names none", async () => {
    expect(answerNormaliser(await loadProtocol('lavis'), 'vqav2')).toBeUndefined();
    expect(answerNormaliser(await loadProtocol('official'), 'gqa')).toBeUndefined();
  });

  it('refuses an unknown protocol in one line', async () => {
    await expect(loadProtocol('lavish')).rejects.toMatchObject({ code: 'E_PROTOCOL' });
  });
});

describe('the protocol in run.json', () => {
  const config = (protocol?: string): RunConfig => ({
    metrics: ['gqa.accuracy'],
    allQuestions: false,
    choices: null,
    ...(protocol ? { protocol } : {}),
  });

  it('leaves the default out of what the resume fingerprint hashes, so older runs still resume', () => {
    expect(answerSettingsOf(config('official'))).toEqual(answerSettingsOf(config()));
    expect(answerSettingsOf(config('lavis'))).toMatchObject({ protocol: 'lavis' });
  });

  it('reads a run without one as official, and names the protocol when two differ', () => {
    expect(firstAnswerDifference(config(), config('official'))).toBeUndefined();
    expect(firstAnswerDifference(config(), config('lavis'))).toEqual({ key: 'protocol', a: '"official"', b: '"lavis"' });
  });
});

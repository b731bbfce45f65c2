import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { GQA_MINI, tempDir } from '../helpers/paths.js';

describe('dataset strings in reports are escaped', () => {
  it('renders a question and a category containing <script> as text in HTML and Markdown', () => {
    const data = path.join(tempDir(), 'gqa');
    cpSync(GQA_MINI, data, { recursive: true });
    const file = path.join(data, 'testdev_balanced_questions.json');
    const records = JSON.parse(readFileSync(file, 'utf8'));
    const id = Object.keys(records)[0]!;
    records[id].question = 'Is the <script>alert("x")</script> red?';
    records[id].answer = '<img src=x onerror=alert(1)>';
    records[id].types.semantic = '<script>evil()</script>|';
    writeFileSync(file, JSON.stringify(records));
    const out = path.join(tempDir(), 'run');
    expect(runCli(['run', 'gqa', '--data', data, '--limit', '12', '--out', out, '--device', 'cpu']).status).toBe(0);

    const html = runCli(['report', out, '--format', 'html']).stdout;
    // the page's own script is its only one, and no dataset string became markup
    expect(html.match(/<script/gi)).toHaveLength(1);
    expect(html).not.toMatch(/<img src=x/i);
    expect(html).not.toMatch(/<script>alert|<script>evil/i);
    expect(html).toContain('Is the &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; red?');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain("default-src 'none'");

    const md = runCli(['report', out, '--format', 'md']).stdout;
    expect(md).not.toMatch(/<script/i);
    expect(md).toContain('semantic/&lt;script&gt;evil()&lt;/script&gt;\\|');
  });
});

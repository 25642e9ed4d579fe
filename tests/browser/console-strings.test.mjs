// One name for the live round in every app: 现场答题 (English "Live questions"). It is not a buzzer round, so no UI
// string about it may call it 抢答: the word appears only where it names the buzzer (a line that says `buzz`: a
// string whose key says so, a buzzer testid or comment) or in a UI string of the stage rounds, never in a string
// whose key is about the live round. The stage kinds carry the organizers' names: 必答, 抢答, 风险题, 加赛. Runs
// under node on the string tables' source, no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness.mjs';

const FRONTEND = join(ROOT, 'frontend');

/** Every `'key': 'value'` pair of a strings file, per language block ('zh' first, then 'en'). */
function pairs(path) {
  const text = readFileSync(path, 'utf8');
  const out = [];
  const re = /^\s*'([^']+)':\s*'((?:[^'\\]|\\.)*)'/gm;
  let m;
  while ((m = re.exec(text))) out.push({ key: m[1], value: m[2], at: m.index });
  return { text, out };
}

/** All JavaScript and HTML files of the web apps. */
function sources(dir = FRONTEND) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sources(path));
    else if (/\.(js|html)$/.test(entry.name)) files.push(path);
  }
  return files;
}

/** The value of `key` in the zh-CN and the English table of a file (console: two files; play, screen: one). */
function lookup(key, zhFile, enFile = zhFile) {
  const zh = pairs(zhFile);
  const en = pairs(enFile);
  const enStart = enFile === zhFile ? zh.text.search(/^\s*en:\s*\{/m) : 0;
  const zhValue = zh.out.find((p) => p.key === key && (enFile !== zhFile || p.at < enStart));
  const enValue = en.out.find((p) => p.key === key && p.at >= enStart);
  assert.ok(zhValue, `${key} in ${zhFile}`);
  assert.ok(enValue, `${key} (English) in ${enFile}`);
  return { zh: zhValue.value, en: enValue.value };
}

test('no UI string says 抢答 unless it names the buzzer or belongs to a stage round (never the live round)', () => {
  const hits = [];
  for (const file of sources()) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (!line.includes('抢答')) return;
      const pair = /^\s*'([^']+)':\s*'/.exec(line);
      const stageString = pair && /^(console\.stage\.|err\.)/.test(pair[1]);
      if ((pair && /live/i.test(pair[1])) || !(/buzz/i.test(line) || stageString)) hits.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(hits, []);
});

test('the console names the stage round kinds as organizers do', () => {
  const zhFile = join(FRONTEND, 'console/strings-zh.js');
  const enFile = join(FRONTEND, 'console/strings-en.js');
  const names = { compulsory: '必答', buzzer: '抢答', wager: '风险题', tiebreak: '加赛' };
  for (const [kind, zh] of Object.entries(names)) {
    const value = lookup(`console.round.kind.${kind}`, zhFile, enFile);
    assert.equal(value.zh, zh, kind);
    assert.ok(value.en && !/[\u4e00-\u9fff]/.test(value.en), `${kind} has an English name: ${value.en}`);
  }
  // The live round's default title does not borrow a stage term either.
  const title = lookup('console.round.default_live', zhFile, enFile);
  for (const term of Object.values(names)) assert.ok(!title.zh.includes(term), `default live title: ${title.zh}`);
});

test('console, phone and big screen name the live round the same way', () => {
  const consoleKind = lookup('console.round.kind.live', join(FRONTEND, 'console/strings-zh.js'), join(FRONTEND, 'console/strings-en.js'));
  const phone = lookup('play.kind_live', join(FRONTEND, 'play/strings.js'));
  const screen = lookup('round.live', join(FRONTEND, 'screen/strings.js'));
  assert.equal(consoleKind.zh, '现场答题');
  assert.equal(phone.zh, '现场答题');
  assert.equal(screen.zh, '现场答题');
  assert.equal(consoleKind.en, 'Live questions');
  assert.equal(screen.en, 'Live questions');
  // The phone uses it inside a sentence ("Next round: … (live questions)").
  assert.equal(phone.en.toLowerCase(), 'live questions');
});

test('every live-round string of the console avoids 抢答 and uses 现场答题 where it names the kind', () => {
  const { out } = pairs(join(FRONTEND, 'console/strings-zh.js'));
  const live = out.filter((p) => /live/.test(p.key));
  assert.ok(live.length >= 4, 'the console has live-round strings');
  for (const p of live) assert.ok(!p.value.includes('抢答'), `${p.key}: ${p.value}`);
  for (const key of ['console.round.add_live', 'err.not_a_live_round']) {
    const p = out.find((x) => x.key === key);
    assert.ok(p && p.value.includes('现场答题'), `${key} names the kind 现场答题: ${p && p.value}`);
  }
});

// The live question (stem, options, countdown, answered count) and, once it closed, the answer with the
// distribution of answers and the explanation. The key is never known before `question_closed`.

import { t } from '/shared/i18n.js';
import { h, letter } from '/shared/ui.js';
import { topBar, stemNodes, fitText, progressBar, setBar, countUp } from './parts.js';

const RING_R = 46;
const RING_LEN = 2 * Math.PI * RING_R;

/** Single column unless every option is short enough for a two-column grid. */
function optionLayout(options) {
  const longest = Math.max(0, ...options.map((o) => [...o].length));
  if (options.length === 2) return 'cols-2';
  return longest <= 12 && options.length <= 6 ? 'cols-2' : 'cols-1';
}

function optionRow(text, i, extra = []) {
  return h('li.s-opt', { 'data-testid': 'option', dataset: { index: String(i) } },
    h('span.s-opt-letter', letter(i)),
    h('span.s-opt-text', text),
    ...extra);
}

function answeredBox(state) {
  const num = h('b', { 'data-testid': 'answered-count' }, '0');
  const of = h('span.s-answered-of');
  const bar = progressBar(0);
  const box = h('div.s-answered', h('div.s-answered-label', t('q.answered')), h('div.s-answered-line', num, of), bar);
  const set = (s) => {
    const a = s.answered || { answered: 0, joined: s.joined };
    num.textContent = String(a.answered);
    of.textContent = ` / ${a.joined}`;
    setBar(bar, a.joined ? a.answered / a.joined : 0);
  };
  set(state);
  return { box, set };
}

// ---------------------------------------------------------------- open question

export function questionView(state) {
  const q = state.question;
  const body = q.question;
  const totalMs = (state.round && state.round.question_seconds ? state.round.question_seconds * 1000 : 0)
    || (q.deadline && q.opened_at ? q.deadline - q.opened_at : 60000);

  const main = h('div.s-q-main',
    h('h1.s-stem', { 'data-testid': 'question-stem' }, stemNodes(body.stem)),
    body.type === 'fill'
      ? h('p.s-fill-hint', t('q.answer_on_phone'))
      : h(`ol.s-opts.${optionLayout(body.options)}`, { 'data-testid': 'options' },
        body.options.map((text, i) => optionRow(text, i))));

  const arc = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
  arc.setAttribute('class', 's-ring-arc');
  arc.setAttribute('cx', '50'); arc.setAttribute('cy', '50'); arc.setAttribute('r', String(RING_R));
  arc.setAttribute('stroke-dasharray', String(RING_LEN));
  const track = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
  track.setAttribute('class', 's-ring-track');
  track.setAttribute('cx', '50'); track.setAttribute('cy', '50'); track.setAttribute('r', String(RING_R));
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 100 100');
  svg.setAttribute('aria-hidden', 'true');
  svg.append(track, arc);

  const num = h('span.s-count-num', { 'data-testid': 'countdown', role: 'timer' }, '');
  const note = h('span.s-count-note', { 'data-testid': 'countdown-state' });
  const ring = h('div.s-ring', svg, h('div.s-ring-center', num, note));
  const answered = answeredBox(state);

  const el = h('section.s-question', { 'data-testid': 'question' },
    topBar(state, { question: q }),
    h('div.s-q-body', main, h('aside.s-q-side', ring, answered.box)));

  let lastText = null;
  let lastState = null;
  function tick(now) {
    const cur = state.question;
    const paused = cur.state === 'paused';
    const left = paused ? (cur.remaining_ms ?? 0) : Math.max(0, (cur.deadline ?? now) - now);
    const secs = Math.ceil(left / 1000);
    const text = secs >= 100 ? `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}` : String(secs);
    const mode = paused ? 'paused' : left <= 0 ? 'timeup' : secs <= 10 ? 'low' : 'running';
    if (text !== lastText) { num.textContent = text; lastText = text; }
    if (mode !== lastState) {
      ring.dataset.state = mode;
      num.dataset.state = mode;
      note.textContent = mode === 'paused' ? t('q.paused') : mode === 'timeup' ? t('q.time_up') : t('common.seconds');
      lastState = mode;
    }
    arc.setAttribute('stroke-dashoffset', String(RING_LEN * (1 - Math.min(1, left / totalMs))));
  }

  return {
    el,
    tick,
    update(s) { answered.set(s); tick(s.serverNow()); },
    mounted() { fitText(main, 0.5, 1.3); tick(state.serverNow()); },
  };
}

// ---------------------------------------------------------------- closed question

function answerText(q, result) {
  if (result.answer && Array.isArray(result.answer.choice)) {
    const choice = result.answer.choice;
    if (q.question.type === 'true_false' && choice.length === 1) return q.question.options[choice[0]] || letter(choice[0]);
    return choice.map((i) => letter(i)).join(' ');
  }
  if (result.answer && Array.isArray(result.answer.blanks)) {
    return result.answer.blanks.map((alts) => (Array.isArray(alts) ? alts.join(' / ') : alts)).join('；');
  }
  return '';
}

function distBar(count, total, i, correct) {
  const fill = h('span.s-dist-fill');
  const pct = total ? Math.round((count / total) * 100) : 0;
  const bar = h('span.s-dist', {
    'data-testid': 'dist-bar', dataset: { option: String(i), count: String(count), correct: String(correct) },
  }, fill);
  const label = h('span.s-dist-label', h('b', String(count)), h('small', ` ${pct}%`));
  return { bar, label, grow: () => { fill.style.width = `${total ? (count / total) * 100 : 0}%`; } };
}

export function closedView(state) {
  const q = state.question;
  const body = q.question;
  const result = q.result;
  const answered = result.answered || 0;
  const growers = [];

  let main;
  if (body.type === 'fill' || !result.distribution.options) {
    const d = result.distribution;
    const rows = [['closed.correct', d.correct || 0, true], ['closed.wrong', d.wrong || 0, false]].map(([key, n, ok], i) => {
      const bar = distBar(n, answered, i, ok);
      growers.push(bar.grow);
      return h('li.s-fill-row', { class: ok ? 'ok' : 'bad' }, h('span.s-fill-row-label', t(key)), bar.bar, bar.label);
    });
    main = h('div.s-q-main',
      h('h1.s-stem.small', { 'data-testid': 'question-stem' }, stemNodes(body.stem, result.answer.blanks)),
      h('div.s-key', h('span.s-key-label', t('closed.answer')),
        h('span.s-key-value', { 'data-testid': 'correct-answer' }, answerText(q, result))),
      h('ol.s-fill-dist', { 'data-testid': 'distribution' }, rows));
  } else {
    const counts = result.distribution.options;
    const key = new Set(result.answer.choice || []);
    const items = body.options.map((text, i) => {
      const ok = key.has(i);
      const bar = distBar(counts[i] || 0, answered, i, ok);
      growers.push(bar.grow);
      const row = optionRow(text, i, [
        bar.bar,
        ok ? h('span.s-opt-mark', { 'data-testid': 'correct-option', 'aria-label': t('closed.answer') }, '✓') : null,
        bar.label,
      ]);
      row.dataset.correct = String(ok);
      if (ok) row.classList.add('correct');
      return row;
    });
    main = h('div.s-q-main',
      h('h1.s-stem.small', { 'data-testid': 'question-stem' }, stemNodes(body.stem)),
      h('ol.s-opts.closed.cols-1', { 'data-testid': 'options' }, items));
  }

  const rate = answered ? Math.round((result.correct_count / answered) * 100) : 0;
  const rateNum = h('b', { 'data-testid': 'correct-rate' }, '0');
  const side = h('aside.s-q-side.s-result-side',
    body.type === 'fill' ? null : h('div.s-key-big',
      h('div.s-key-big-label', t('closed.answer')),
      h('div.s-key-big-value', { 'data-testid': 'correct-answer' }, answerText(q, result))),
    h('div.s-rate',
      h('div.s-answered-label', t('closed.correct_rate')),
      h('div.s-rate-num', rateNum, h('small', '%')),
      h('div.s-rate-of', answered ? t('closed.correct_of', { correct: result.correct_count, answered })
        : t('closed.no_answers'))));

  const explanation = result.explanation || result.source
    ? h('div.s-explain', { 'data-testid': 'explanation' },
      result.explanation ? h('p', h('span.s-explain-label', t('closed.explanation')), result.explanation) : null,
      result.source ? h('p.s-source', { 'data-testid': 'source' }, t('closed.source_is', { text: result.source })) : null)
    : null;

  const el = h('section.s-question.s-closed', { 'data-testid': 'question-closed' },
    topBar(state, { question: q }),
    h('div.s-q-body', main, side),
    explanation);

  return {
    el,
    mounted() {
      fitText(main, 0.5, 1.15);
      if (explanation) fitText(explanation, 0.6);
      setTimeout(() => {
        growers.forEach((g) => g());
        countUp(rateNum, 0, rate, 1200);
      }, 350);
    },
  };
}

// ---------------------------------------------------------------- skipped question

/** A short notice after the organizer skipped the open question, before the round intro returns. */
export function skippedView(state) {
  const q = state.question;
  const el = h('section.s-question.s-skipped', { 'data-testid': 'question-skipped' },
    topBar(state, { question: q }),
    h('div.s-skipped-body',
      h('div.s-skipped-icon', { 'aria-hidden': 'true' }, '»'),
      h('h1', t('skipped.title')),
      h('p', t('skipped.body'))));
  return { el };
}

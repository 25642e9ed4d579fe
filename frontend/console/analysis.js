// Item analysis of a contest (#/c/ID/analysis): per round the score summary (n, mean, SD, Cronbach's α, SEM), a
// facility × discrimination chart, and a table of every question (facility, full marks, discrimination, the
// upper-minus-lower 27% index, mean time, flags); a question's detail shows its distractor table and chart (every
// option by its bank identity: overall, upper group, lower group) and the review mark. Charts are inline SVG.
// The bank browser shows a question's latest statistics and review mark with statsPanel(). Formulas, thresholds and
// conventions: docs/item-analysis.md.

import { t, errorText } from '/shared/i18n.js';
import { h, mount, letter } from '/shared/ui.js';
import { api, errorBox, formatSeconds, formatDateTime, toast, actionButton, nextId } from './common.js';

const SVG = 'http://www.w3.org/2000/svg';

// The view's stylesheet, added once to the document (the console's index.html lists only the shared sheets).
function ensureStyles() {
  if (document.querySelector('link[data-analysis-css]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/console/analysis.css', dataset: { analysisCss: '1' } }));
}

/** An SVG element: s('circle', { cx, cy, r, class }, ...children). */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null && v !== false) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const pct = (x) => (x == null ? '–' : `${Math.round(x * 100)}%`);
const num = (x, places = 2) => (x == null ? '–' : x.toFixed(places).replace('-', '−'));

/** A flag as a pill; its title explains it with the threshold. */
export function flagPill(flag, thresholds = {}) {
  const kind = flag.kind;
  const text = kind === 'distractor_beats_key'
    ? t('console.analysis.flag.distractor_beats_key', { option: letter(flag.option) })
    : t(`console.analysis.flag.${kind}`);
  const hint = t(`console.analysis.flag_hint.${kind}`, {
    hard: Math.round((thresholds.very_hard_at_most ?? 0.05) * 100),
    easy: Math.round((thresholds.very_easy_at_least ?? 0.95) * 100),
    low: thresholds.low_discrimination_below ?? 0.2,
  });
  const tone = ['negative_discrimination', 'distractor_beats_key', 'no_answers'].includes(kind) ? '.red' : '.gold';
  return h('span.pill.flag' + tone, { title: hint, dataset: { testid: 'analysis-flag', kind } }, text);
}

/** Facility (x, 0..1) against discrimination (y, −1..1): one dot per question, flag zones shaded. */
function scatter(questions, thresholds, onPick) {
  const W = 400, H = 250, L = 40, R = 20, T = 12, B = 34;
  const x = (v) => L + v * (W - L - R);
  const y = (v) => T + (1 - (v + 1) / 2) * (H - T - B);
  const hard = thresholds.very_hard_at_most, easy = thresholds.very_easy_at_least, low = thresholds.low_discrimination_below;
  const plotted = questions.filter((q) => q.stats.facility != null && q.stats.discrimination != null);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`, class: 'chart scatter', role: 'img', 'data-testid': 'analysis-scatter',
    'aria-label': t('console.analysis.scatter_aria', { n: plotted.length }),
  },
  s('rect', { x: x(0), y: y(1), width: x(hard) - x(0), height: y(-1) - y(1), class: 'zone' }),
  s('rect', { x: x(easy), y: y(1), width: x(1) - x(easy), height: y(-1) - y(1), class: 'zone' }),
  s('rect', { x: x(0), y: y(low), width: x(1) - x(0), height: y(-1) - y(low), class: 'zone low' }),
  [0, 0.25, 0.5, 0.75, 1].map((v) => s('text', { x: x(v), y: H - 16, class: 'tick', 'text-anchor': 'middle' }, `${v * 100}%`)),
  [-1, -0.5, 0, 0.5, 1].map((v) => s('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, num(v, 1))),
  s('line', { x1: x(0), x2: x(1), y1: y(0), y2: y(0), class: 'axis zero' }),
  s('line', { x1: x(0), x2: x(1), y1: y(-1), y2: y(-1), class: 'axis' }),
  s('line', { x1: x(0), x2: x(0), y1: y(1), y2: y(-1), class: 'axis' }),
  s('text', { x: (L + W - R) / 2, y: H - 2, class: 'label', 'text-anchor': 'middle' }, t('console.analysis.facility')),
  s('text', { x: 10, y: (T + H - B) / 2, class: 'label', 'text-anchor': 'middle', transform: `rotate(-90 10 ${(T + H - B) / 2})` }, t('console.analysis.discrimination')),
  plotted.map((q) => {
    const flagged = q.stats.flags.length > 0;
    const dot = s('g', { class: 'dot' + (flagged ? ' flagged' : ''), tabindex: 0, role: 'button', 'data-testid': 'analysis-dot' },
      s('title', {}, `${q.no}. ${q.question.id}: ${t('console.analysis.facility')} ${pct(q.stats.facility)}, ${t('console.analysis.discrimination')} ${num(q.stats.discrimination)}`),
      s('circle', { cx: x(q.stats.facility), cy: y(q.stats.discrimination), r: 9 }),
      s('text', { x: x(q.stats.facility), y: y(q.stats.discrimination) + 4, 'text-anchor': 'middle' }, q.no));
    dot.addEventListener('click', () => onPick(q));
    dot.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onPick(q); } });
    return dot;
  }));
  const missing = questions.length - plotted.length;
  return h('figure.chart-box',
    svg,
    h('figcaption.muted.small', t('console.analysis.scatter_caption'),
      missing ? ` ${t('console.analysis.scatter_missing', { n: missing })}` : ''));
}

/** Each question's facility as a horizontal bar, with the two facility thresholds as guides. */
function facilityBars(questions, thresholds, onPick) {
  const W = 400, L = 34, R = 44, T = 8, B = 22;
  const ROW = Math.max(18, Math.min(34, 180 / Math.max(1, questions.length)));
  const BAR = Math.round(ROW * 0.55);
  const H = T + questions.length * ROW + B;
  const x = (v) => L + (v || 0) * (W - L - R);
  const guides = [thresholds.very_hard_at_most, thresholds.very_easy_at_least];
  return h('figure.chart-box',
    s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart facility', role: 'img', 'data-testid': 'analysis-facility-chart',
      'aria-label': t('console.analysis.facility_chart_aria', { n: questions.length }) },
    questions.map((q, i) => {
      const top = T + i * ROW;
      const bar = s('g', { class: 'fbar' + (q.stats.flags.length ? ' flagged' : '') },
        s('title', {}, `${q.no}. ${q.question.id}: ${pct(q.stats.facility)}`),
        s('text', { x: L - 6, y: top + ROW / 2 + 4, 'text-anchor': 'end', class: 'opt' }, q.no),
        s('rect', { x: L, y: top + (ROW - BAR) / 2, width: x(1) - L, height: BAR, class: 'track' }),
        s('rect', { x: L, y: top + (ROW - BAR) / 2, width: Math.max(0, x(q.stats.facility) - L), height: BAR, class: 'fill' }),
        s('text', { x: W - R + 4, y: top + ROW / 2 + 4, class: 'val' }, pct(q.stats.facility)));
      bar.addEventListener('click', () => onPick(q));
      return bar;
    }),
    guides.map((v) => s('line', { x1: x(v), x2: x(v), y1: T, y2: T + questions.length * ROW, class: 'guide' })),
    [0, 0.5, 1].map((v) => s('text', { x: x(v), y: H - 6, class: 'tick', 'text-anchor': 'middle' }, `${v * 100}%`))),
    h('figcaption.muted.small', t('console.analysis.facility_chart_caption', {
      hard: Math.round(thresholds.very_hard_at_most * 100), easy: Math.round(thresholds.very_easy_at_least * 100),
    })));
}

/** Upper and lower group shares per option (and no answer) as paired horizontal bars. */
function distractorBars(stats) {
  const rows = [...stats.options.map((o) => ({ label: letter(o.option), key: o.is_key, s: o })),
    { label: t('console.analysis.omitted_short'), key: false, s: stats.omitted }];
  const W = 360, L = 44, R = 40, ROW = 34, T = 6;
  const H = T + rows.length * ROW + 22;
  const x = (v) => L + (v || 0) * (W - L - R);
  return h('figure.chart-box',
    s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart bars', role: 'img', 'data-testid': 'analysis-bars', 'aria-label': t('console.analysis.bars_aria') },
      rows.map((r, i) => {
        const top = T + i * ROW;
        return s('g', { class: r.key ? 'key' : null },
          s('text', { x: L - 8, y: top + 21, 'text-anchor': 'end', class: 'opt' }, r.key ? `${r.label} ✓` : r.label),
          s('rect', { x: L, y: top + 4, width: Math.max(0, x(r.s.upper) - L), height: 12, class: 'upper' }),
          s('rect', { x: L, y: top + 17, width: Math.max(0, x(r.s.lower) - L), height: 12, class: 'lower' }),
          s('text', { x: W - R + 4, y: top + 14, class: 'val' }, pct(r.s.upper)),
          s('text', { x: W - R + 4, y: top + 27, class: 'val' }, pct(r.s.lower)));
      }),
      s('line', { x1: L, x2: L, y1: T, y2: T + rows.length * ROW, class: 'axis' })),
    h('figcaption.legend.small',
      h('span.swatch.upper', { 'aria-hidden': 'true' }), t('console.analysis.upper'), ' ',
      h('span.swatch.lower', { 'aria-hidden': 'true' }), t('console.analysis.lower')));
}

/** The review mark of a question: a checkbox, a note and a save button. `review` is {review, note}. */
function reviewEditor(uid, review, onSaved) {
  const box = h('input', { type: 'checkbox', id: nextId('rv'), checked: !!review.review, dataset: { testid: 'analysis-review-toggle' } });
  const note = h('textarea', { rows: 2, maxlength: 500, placeholder: t('console.analysis.review_note_ph'), dataset: { testid: 'analysis-review-note' } });
  note.value = review.note || '';
  return h('div.review-box', { dataset: { testid: 'analysis-review' } },
    h('label.check', { for: box.id }, box, h('span', t('console.analysis.review_mark'))),
    note,
    h('div.row',
      review.review ? h('span.pill.red', { dataset: { testid: 'analysis-review-state' } }, t('console.analysis.review_marked')) : null,
      h('div.spacer'),
      actionButton('button.btn.small', { dataset: { testid: 'analysis-review-save' } }, t('console.analysis.review_save'), async () => {
        try {
          const row = await api.put(`/api/questions/${uid}/review`, { review: box.checked, note: note.value });
          toast(t(row.review ? 'console.analysis.review_saved' : 'console.analysis.review_cleared'));
          onSaved({ review: row.review, note: row.review_note, at: row.review_at });
        } catch (err) {
          toast(errorText(err), 'error');
        }
      })));
}

/** One question's detail: stem and options with their statistics, the chart, the review mark. */
function detail(q, thresholds, onReviewed) {
  const st = q.stats;
  const opts = q.question.options || [];
  const shareCells = (x) => [h('td.num', String(x.count)), h('td.num', pct(x.share)), h('td.num.up', pct(x.upper)), h('td.num.low', pct(x.lower))];
  return h('section.card.q-analysis', { dataset: { testid: 'analysis-detail', qid: q.question.id }, 'aria-labelledby': `qa-${q.question.uid}` },
    h('div.q-meta',
      h(`h3#qa-${q.question.uid}.q-no`, `${q.no}.`),
      h('span.mono.small', q.question.id),
      h('span.pill', t(`type.${q.question.type}`)),
      st.flags.map((f) => flagPill(f, thresholds))),
    h('p.stem.small-stem', q.question.stem),
    h('div.detail-grid',
      st.options.length ? h('table.data.compact', { dataset: { testid: 'analysis-distractors' } },
        h('thead', h('tr',
          h('th', { scope: 'col' }, t('console.analysis.option')),
          h('th.num', { scope: 'col' }, t('console.analysis.chosen')),
          h('th.num', { scope: 'col' }, t('console.analysis.share')),
          h('th.num', { scope: 'col' }, t('console.analysis.upper')),
          h('th.num', { scope: 'col' }, t('console.analysis.lower')))),
        h('tbody',
          st.options.map((o) => h('tr' + (o.is_key ? '.key-row' : ''), { dataset: { testid: 'analysis-distractor-row', option: o.option, key: String(o.is_key) } },
            h('td', h('strong', letter(o.option)), o.is_key ? h('span.opt-mark', ' ✓') : null, ' ', h('span.opt-text', opts[o.option] ?? '')),
            shareCells(o))),
          h('tr.omit-row', h('td.muted', t('console.analysis.omitted')), shareCells(st.omitted))))
        : h('p.muted', { dataset: { testid: 'analysis-no-options' } }, t('console.analysis.no_options'), ' ',
          t('console.analysis.omitted_n', { n: st.omitted.count })),
      st.options.length && st.group_size ? distractorBars(st) : null),
    st.group_size ? h('p.muted.small', t('console.analysis.groups_note', { g: st.group_size, n: st.n })) : null,
    reviewEditor(q.question.uid, q.question.review || {}, onReviewed));
}

export function open(container, [id]) {
  ensureStyles();
  const root = h('div.page.wide.analysis-page', { dataset: { testid: 'analysis-page' } });
  container.append(root);
  const state = { data: null, error: null, selected: {} };

  async function load() {
    try {
      state.data = await api.get(`/api/contests/${id}/analysis`);
      state.error = null;
    } catch (err) {
      state.error = err;
    }
    render();
  }

  function summary(round) {
    const p = round.paper;
    const basis = p.alpha_basis === 'common_items'
      ? t('console.analysis.alpha_common', { k: p.alpha_items }) : p.alpha_basis === 'none' ? t('console.analysis.alpha_none') : '';
    const fact = (label, value, testid, hint) => h('div.stat', { dataset: testid ? { testid } : {}, title: hint || null },
      h('div.muted.small', label), h('div.big-num', String(value)));
    return h('div.summary', { dataset: { testid: 'analysis-summary' } },
      fact(t('console.analysis.n'), p.n, 'analysis-n'),
      fact(t('console.analysis.mean'), p.mean == null ? '–' : `${num(p.mean, 1)} / ${num(p.mean_max, 0)}`, 'analysis-mean'),
      fact(t('console.analysis.sd'), num(p.sd), 'analysis-sd', t('console.analysis.sd_hint')),
      fact(t('console.analysis.alpha'), num(p.alpha), 'analysis-alpha', t('console.analysis.alpha_hint')),
      fact(t('console.analysis.sem'), num(p.sem), 'analysis-sem', t('console.analysis.sem_hint')),
      basis ? h('p.muted.small.basis', { dataset: { testid: 'analysis-alpha-basis' } }, basis) : null);
  }

  function table(round, questions, thresholds) {
    const picked = state.selected[round.round_id];
    return h('div.table-scroll', h('table.data.analysis-table', { dataset: { testid: 'analysis-table' } },
      h('thead', h('tr',
        h('th.num', { scope: 'col' }, '#'),
        h('th', { scope: 'col' }, t('console.analysis.question')),
        h('th.num', { scope: 'col', title: t('console.analysis.n_hint') }, t('console.analysis.col_n')),
        h('th.num', { scope: 'col', title: t('console.analysis.facility_hint') }, t('console.analysis.facility')),
        h('th.num', { scope: 'col' }, t('console.analysis.fully_correct')),
        h('th.num', { scope: 'col', title: t('console.analysis.discrimination_hint') }, t('console.analysis.discrimination')),
        h('th.num', { scope: 'col', title: t('console.analysis.upper_lower_hint') }, t('console.analysis.upper_lower')),
        h('th.num', { scope: 'col' }, t('console.analysis.mean_time')),
        h('th', { scope: 'col' }, t('console.analysis.flags')))),
      h('tbody', questions.map((q) => {
        const st = q.stats;
        const active = picked === q.question.uid;
        return h('tr.clickable' + (active ? '.active' : '') + (st.flags.length ? '.flagged' : ''), {
          dataset: { testid: 'analysis-row', qid: q.question.id, flags: st.flags.map((f) => f.kind).join(' ') },
          onclick: () => pick(round, q),
        },
        h('td.num.strong', q.no),
        h('td.q-cell', h('button.linkish', { type: 'button', 'aria-expanded': String(active), onclick: (e) => { e.stopPropagation(); pick(round, q); } },
          h('span.mono.small', q.question.id), ' ', h('span.q-stem', q.question.stem)),
        q.question.review && q.question.review.review ? h('span.pill.red.small-pill', t('console.analysis.review_marked')) : null),
        h('td.num', `${st.answered}/${st.n}`),
        h('td.num', pct(st.facility)),
        h('td.num', pct(st.fully_correct)),
        h('td.num' + (st.discrimination != null && st.discrimination < 0 ? '.neg' : ''), num(st.discrimination)),
        h('td.num', num(st.upper_lower)),
        h('td.num', formatSeconds(st.mean_time_ms == null ? null : Math.round(st.mean_time_ms))),
        h('td.flags', st.flags.length ? st.flags.map((f) => flagPill(f, thresholds)) : h('span.muted', '–')));
      }))));
  }

  function pick(round, q) {
    state.selected[round.round_id] = state.selected[round.round_id] === q.question.uid ? null : q.question.uid;
    render();
    const el = root.querySelector(`[data-testid="analysis-detail"][data-qid="${CSS.escape(q.question.id)}"]`);
    if (el) el.scrollIntoView({ block: 'nearest' });
  }

  function roundCard(round, thresholds) {
    const questions = round.questions.map((q, i) => ({ ...q, no: i + 1 }));
    const picked = questions.find((q) => q.question.uid === state.selected[round.round_id]);
    const flagged = questions.filter((q) => q.stats.flags.length).length;
    return h('section.card.round-analysis', { dataset: { testid: 'analysis-round', round: round.round_id }, 'aria-labelledby': `ra-${round.round_id}` },
      h('div.round-head',
        h(`h2#ra-${round.round_id}`, round.title),
        h('span.pill', t(`console.round.kind.${round.kind}`)),
        questions.length ? h('span.muted', t('console.analysis.flagged_count', { n: flagged, total: questions.length })) : null),
      questions.length === 0 ? h('p.empty', { dataset: { testid: 'analysis-round-empty' } }, t(`console.analysis.round_empty_${round.kind}`)) : [
        summary(round),
        h('div.charts', facilityBars(questions, thresholds, (q) => pick(round, q)), scatter(questions, thresholds, (q) => pick(round, q))),
        table(round, questions, thresholds),
        picked ? detail(picked, thresholds, (review) => { picked.question.review = review; updateReview(picked.question.uid, review); }) : h('p.muted.small.pick-hint', t('console.analysis.pick_hint')),
      ]);
  }

  function updateReview(uid, review) {
    for (const r of state.data.rounds) for (const q of r.questions) if (q.question.uid === uid) q.question.review = review;
    render();
  }

  function render() {
    const d = state.data;
    mount(root,
      h('div.page-head',
        h('a.btn.ghost.small', { href: `#/c/${id}/results`, dataset: { testid: 'analysis-back' } }, `← ${t('console.tab.results')}`),
        h('h1', t('console.analysis.title'), d ? h('span.muted.title-contest', ` · ${d.title}`) : null),
        h('div.spacer'),
        d ? h('span.muted.small', t('console.analysis.computed_at', { at: formatDateTime(d.computed_at) })) : null,
        actionButton('button.btn.small', { dataset: { testid: 'analysis-refresh' } }, t('console.analysis.refresh'), load)),
      state.error ? errorBox(state.error) : null,
      !d ? (state.error ? null : h('p.empty', t('console.loading'))) : [
        d.state !== 'finished' ? h('div.alert.info', { dataset: { testid: 'analysis-provisional' } }, t('console.analysis.provisional')) : null,
        h('p.muted.small.lead', t('console.analysis.lead', {
          hard: Math.round(d.thresholds.very_hard_at_most * 100), easy: Math.round(d.thresholds.very_easy_at_least * 100),
          low: d.thresholds.low_discrimination_below, g: d.thresholds.group_percent,
        })),
        d.rounds.length === 0 ? h('p.empty', t('console.analysis.no_rounds')) : d.rounds.map((r) => roundCard(r, d.thresholds)),
      ]);
  }

  render();
  load();
  return { relang: render };
}

/** The bank browser's block for one question: its latest statistics (if it was ever analysed) and the review mark. */
export function statsPanel(q, onReviewed) {
  ensureStyles();
  const st = q.stats;
  return h('div.bank-stats', { dataset: { testid: 'bank-stats' } },
    h('span.key-label', t('console.analysis.bank_stats')),
    st ? h('div',
      h('dl.facts.stats-facts',
        h('dt', t('console.analysis.facility')), h('dd', { dataset: { testid: 'bank-stats-facility' } }, pct(st.facility)),
        h('dt', t('console.analysis.discrimination')), h('dd', { dataset: { testid: 'bank-stats-discrimination' } }, num(st.discrimination)),
        h('dt', t('console.analysis.upper_lower')), h('dd', num(st.upper_lower)),
        h('dt', t('console.analysis.col_n')), h('dd', `${st.answered}/${st.n}`)),
      st.flags.length ? h('div.row.tight', st.flags.map((f) => flagPill(f))) : null,
      h('div.muted.small', h('a', { href: `#/c/${st.contest_id}/analysis` }, t('console.analysis.bank_from', { at: formatDateTime(st.computed_at) }))))
      : h('p.muted.small', { dataset: { testid: 'bank-stats-none' } }, t('console.analysis.bank_none')),
    reviewEditor(q.uid, q.review || {}, onReviewed));
}

// One participant's score explained (GET …/participants/{pid}/breakdown), in a side drawer: every scored
// question with the response, points and speed bonus (expand a row to see the question with its key), and the
// score adjustment form, whose reason is required and kept in the audit trail.

import { t } from '/shared/i18n.js';
import { h, mount, letter, formatPoints, pointsDecimals } from '/shared/ui.js';
import { api, errorBox, formatSeconds, choiceLetters, field } from './common.js';

const questionCache = new Map();

function responseText(response) {
  if (!response) return t('console.breakdown.no_answer');
  if (response.choice) return choiceLetters(response.choice) || '–';
  if (response.blanks) return response.blanks.map((b) => b || '∅').join(' / ');
  return JSON.stringify(response);
}

async function questionDetail(uid, response, host) {
  try {
    if (!questionCache.has(uid)) questionCache.set(uid, await api.get(`/api/questions/${uid}`));
    const q = questionCache.get(uid);
    const key = q.answer || {};
    const picked = new Set(response && response.choice ? response.choice : []);
    const correct = new Set(key.choice || []);
    mount(host,
      h('p.stem.small-stem', q.stem),
      q.options && q.options.length ? h('ol.options.compact', q.options.map((o, i) => h('li.option' + (correct.has(i) ? '.correct' : '') + (picked.has(i) ? '.picked' : ''), {},
        h('span.opt-letter', letter(i)), h('span.opt-text', o),
        h('span.opt-tags',
          picked.has(i) ? h('span.pill' + (correct.has(i) ? '.green' : '.red'), t('console.breakdown.picked')) : null,
          h('span.opt-mark', correct.has(i) ? '✓' : ''))))) : null,
      key.blanks ? h('p', h('span.key-label', t('console.run.answer')), ' ', key.blanks.map((alts) => alts.join(' / ')).join('；')) : null,
      h('p.explanation', h('span.key-label', t('console.run.explanation')), ' ', q.explanation),
      h('p.muted.small', t('console.question.source'), ' ', q.source, ' · ', q.id,
        q.options && q.options.length ? ` · ${t('console.breakdown.bank_order')}` : ''));
  } catch (err) {
    mount(host, errorBox(err));
  }
}

/** Open the drawer for participant `pid`. */
export function openBreakdown(ctx, pid, { onAdjusted } = {}) {
  const dialog = h('dialog.drawer', { 'aria-labelledby': 'bd-title', dataset: { testid: 'breakdown' } });
  const body = h('div.drawer-body');
  const adjust = { delta: '', reason: '', error: null, busy: false };
  let data = null;
  let loadError = null;
  dialog.append(body);
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  document.body.append(dialog);
  dialog.showModal();

  async function load() {
    try {
      data = await api.get(`/api/contests/${ctx.id}/participants/${pid}/breakdown`);
      loadError = null;
    } catch (err) { loadError = err; }
    render();
  }

  function adjustForm() {
    const delta = h('input', {
      type: 'number', step: '0.01', value: adjust.delta, required: true, placeholder: '+5 / -2.5',
      dataset: { testid: 'adjust-delta' },
    });
    delta.addEventListener('input', () => { adjust.delta = delta.value; });
    const reason = h('textarea', { rows: 2, required: true, maxlength: 500, value: adjust.reason, dataset: { testid: 'adjust-reason' } });
    reason.value = adjust.reason;
    reason.addEventListener('input', () => { adjust.reason = reason.value; });
    return h('form.adjust-form', {
      onsubmit: submit, novalidate: true, 'aria-labelledby': 'adj-h', dataset: { testid: 'adjust-form' },
    },
    h('h3#adj-h', t('console.adjust.title')),
    h('div.grid.g-adjust',
      field(t('console.adjust.delta'), delta, t('console.adjust.delta_hint')),
      field(t('console.adjust.reason_required'), reason)),
    errorBox(adjust.error, 'adjust-error'),
    h('div.row.end', h('button.btn.primary', { type: 'submit', disabled: adjust.busy, dataset: { testid: 'adjust-submit' } },
      t('console.adjust.submit'))));
  }

  async function submit(e) {
    e.preventDefault();
    const delta = Number(adjust.delta);
    if (!adjust.delta || !Number.isFinite(delta) || delta === 0) {
      adjust.error = { code: 'invalid_delta', message: t('err.invalid_delta') };
      render();
      body.querySelector('[data-testid="adjust-delta"]').focus();
      return;
    }
    if (!adjust.reason.trim()) {
      adjust.error = { code: 'reason_required', message: t('err.reason_required') };
      render();
      body.querySelector('[data-testid="adjust-reason"]').focus();
      return;
    }
    adjust.busy = true;
    render();
    try {
      await api.post(`/api/contests/${ctx.id}/adjustments`, { participant_id: pid, delta, reason: adjust.reason.trim() });
      adjust.delta = '';
      adjust.reason = '';
      adjust.error = null;
      if (onAdjusted) onAdjusted();
      await load();
    } catch (err) {
      adjust.error = err;
    }
    adjust.busy = false;
    render();
  }

  function item(it, decimals) {
    const detail = h('div.bd-detail');
    const d = h('details.bd-item' + (it.correct ? '.ok' : it.answered ? '.bad' : '.none'), { dataset: { testid: 'breakdown-item' } },
      h('summary',
        h('span.bd-mark', { 'aria-label': it.correct ? t('console.breakdown.right') : t('console.breakdown.wrong') },
          it.correct ? '✓' : it.answered ? '✗' : '–'),
        h('span.bd-where.muted.small', h('span', { title: it.round_title }, it.round_title), h('span', t('console.run.question_no_short', { n: it.index + 1 }))),
        h('span.bd-stem', it.stem),
        h('span.bd-resp', responseText(it.response)),
        h('span.bd-time.muted.small', it.elapsed_ms != null ? formatSeconds(it.elapsed_ms) : ''),
        h('span.bd-pts.num', { dataset: { testid: 'breakdown-points' } }, formatPoints(it.points, decimals),
          it.bonus ? h('span.bonus', ` +${formatPoints(it.bonus, decimals)}`) : null)),
      detail);
    d.addEventListener('toggle', () => { if (d.open && !detail.childNodes.length) questionDetail(it.question_uid, it.response, detail); });
    return d;
  }

  function render() {
    const p = data && data.participant;
    // Each board has one number of decimals: the list (points and bonuses) and the figures at the top.
    const itemDecimals = data ? pointsDecimals(data.items.flatMap((it) => [it.points, it.bonus])) : 0;
    const statDecimals = data ? pointsDecimals([data.score, data.adjustment]) : 0;
    mount(body,
      h('div.drawer-head',
        h('div',
          h('h2#bd-title', p ? p.name : t('console.loading')),
          p ? h('div.muted', [p.badge, p.unit].filter(Boolean).join(' · ')) : null),
        h('div.spacer'),
        h('button.btn.ghost.small', { type: 'button', onclick: () => dialog.close(), dataset: { testid: 'breakdown-close' } }, t('console.close'))),
      loadError ? errorBox(loadError) : null,
      data ? h('div.bd-stats',
        h('div.stat', h('div.muted', t('common.rank')), h('div.big-num', data.rank ?? '–')),
        h('div.stat', h('div.muted', t('common.score')), h('div.big-num', { dataset: { testid: 'breakdown-score' } }, formatPoints(data.score, statDecimals))),
        h('div.stat', h('div.muted', t('common.correct')), h('div.big-num', data.correct ?? 0)),
        h('div.stat', h('div.muted', t('console.adjust.total')), h('div.big-num' + (data.adjustment < 0 ? '.neg' : ''), { dataset: { testid: 'breakdown-adjustment' } },
          (data.adjustment > 0 ? '+' : '') + formatPoints(data.adjustment, statDecimals)))) : null,
      data ? h('section',
        h('h3', t('console.breakdown.items'), ' ', h('span.muted', `(${data.items.length})`)),
        data.items.length === 0 ? h('p.muted', t('console.breakdown.no_items'))
          : h('div.bd-list', { dataset: { testid: 'breakdown-items' } },
            h('div.bd-head.muted.small', { 'aria-hidden': 'true' },
              h('span'), h('span', t('console.breakdown.where')), h('span', t('console.breakdown.question')),
              h('span', t('console.breakdown.response')), h('span', t('console.breakdown.time')), h('span', t('common.score'))),
            data.items.map((it) => item(it, itemDecimals)))) : null,
      data ? adjustForm() : null);
  }

  render();
  load();
}

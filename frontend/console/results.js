// The results tab: individual ranking with the tie-break that decided each place (absentees last, marked 未参赛),
// unit standings, the exports and printable documents, award tiers and the answer sheet switch (result-tools.js),
// each participant's printable answer sheet (答题卡), the per-question breakdown of one participant (with a score
// adjustment that requires a reason) and the audit trail of adjustments.

import { t } from '/shared/i18n.js';
import { h, mount, formatPoints, pointsDecimals } from '/shared/ui.js';
import { api, errorBox, formatSeconds, formatDateTime, debounce, toast } from './common.js';
import { openBreakdown } from './breakdown.js';
import { exportsCard, awardsCard, openPrintable } from './result-tools.js';

export function open(container, ctx) {
  const state = { results: null, adjustments: null, error: null };
  const root = h('div.results-grid');
  container.append(root);
  const exportsTool = exportsCard(ctx);
  const awardsTool = awardsCard(ctx);

  async function load() {
    try {
      const [results, adjustments] = await Promise.all([
        api.get(`/api/contests/${ctx.id}/results`),
        api.get(`/api/contests/${ctx.id}/adjustments`),
      ]);
      state.results = results;
      state.adjustments = adjustments;
      state.error = null;
      awardsTool.reload();
    } catch (err) {
      state.error = err;
    }
    render();
  }
  const reload = debounce(load, 400);

  const nameOf = (pid) => {
    const p = (ctx.snap.participants || []).find((x) => x.id === pid);
    return p ? p.name : `#${pid}`;
  };

  /** One ranking row; an absentee (never joined) has no place, answer time or tie-break: marked 未参赛. */
  function row(e, decimals) {
    const ranked = !e.absent && e.rank != null;
    return h('tr.clickable' + (ranked && e.rank <= 3 ? '.podium' : '') + (e.absent ? '.absent' : ''), {
      dataset: { testid: 'result-row', pid: e.participant_id, absent: e.absent ? 'true' : 'false' },
      onclick: (ev) => { if (!ev.target.closest('button')) show(e.participant_id); },
    },
    h('td.num.rank', ranked ? h('span.rank-badge.r' + Math.min(e.rank, 4), e.rank) : '–'),
    h('td', h('button.linkish', {
      type: 'button', onclick: () => show(e.participant_id),
      'aria-label': t('console.results.open_breakdown', { name: e.name }),
    }, e.name)),
    h('td.mono', e.badge || '–'),
    h('td', e.unit),
    h('td.num.strong', formatPoints(e.score, decimals)),
    h('td.num', e.absent ? '–' : String(e.correct)),
    h('td.num', formatSeconds(e.answer_time_ms)),
    h('td', e.absent
      ? h('span.tiebreak.absent', { dataset: { testid: 'result-absent' } }, t('console.results.absent'))
      : e.decided_by ? h('span.tiebreak.' + e.decided_by, t(`console.tiebreak.${e.decided_by}`)) : '–'),
    h('td', h('button.linkish.small', {
      type: 'button', dataset: { testid: 'result-answer-sheet', pid: e.participant_id },
      'aria-label': t('console.results.open_answer_sheet', { name: e.name }),
      onclick: () => openPrintable(ctx.id, `participants/${e.participant_id}/answer-sheet.html`),
    }, t('console.results.answer_sheet'))));
  }

  function ranking() {
    const list = state.results.ranking;
    const absent = list.filter((e) => e.absent).length;
    const decimals = pointsDecimals(list.map((e) => e.score));
    return h('section.card.flush', { 'aria-labelledby': 'rank-h' },
      h('div.card-head',
        h('h2#rank-h', t('console.results.ranking')),
        h('span.muted', t('console.results.count', { n: list.length - absent })),
        absent ? h('span.muted', { dataset: { testid: 'results-absent-count' } }, t('console.results.absent_count', { n: absent })) : null,
        h('div.spacer'),
        h('span.muted.small', t('console.results.click_hint')),
        h('a.btn.small', { href: `#/c/${ctx.id}/analysis`, dataset: { testid: 'results-analysis-link' } }, t('console.analysis.open'))),
      list.length === 0 ? h('p.empty', t('console.results.none'))
        : h('div.table-scroll.tall', h('table.data.ranking', { dataset: { testid: 'results-table' } },
          h('thead', h('tr',
            h('th.num', { scope: 'col' }, t('common.rank')),
            h('th', { scope: 'col' }, t('common.name')),
            h('th', { scope: 'col' }, t('console.people.badge')),
            h('th', { scope: 'col' }, t('common.unit')),
            h('th.num', { scope: 'col' }, t('common.score')),
            h('th.num', { scope: 'col' }, t('common.correct')),
            h('th.num', { scope: 'col' }, t('console.results.answer_time')),
            h('th', { scope: 'col' }, t('console.results.decided_by')),
            h('th', { scope: 'col' }, t('console.results.answer_sheet')))),
          h('tbody', list.map((e) => row(e, decimals))))));
  }

  function units() {
    const list = state.results.units;
    const decimals = pointsDecimals(list.map((u) => u.score));
    return h('section.card.flush', { 'aria-labelledby': 'units-h' },
      h('div.card-head', h('h2#units-h', t('console.results.units')),
        h('span.pill', t(`console.unit_scoring.${state.results.unit_scoring}`))),
      list.length === 0 ? h('p.empty', t('console.results.none'))
        : h('table.data', { dataset: { testid: 'units-table' } },
          h('thead', h('tr',
            h('th.num', { scope: 'col' }, t('common.rank')),
            h('th', { scope: 'col' }, t('common.unit')),
            h('th.num', { scope: 'col' }, t('console.results.members')),
            h('th.num', { scope: 'col' }, t('common.score')))),
          h('tbody', list.map((u) => h('tr', { dataset: { testid: 'unit-row' } },
            h('td.num.rank', u.rank), h('td', u.unit),
            // Members who joined / the unit's roster (absentees count in the unit's score: docs/scoring.md).
            h('td.num', u.joined != null && u.joined < u.members
              ? h('span', { title: t('console.results.members_joined', { joined: u.joined, members: u.members }) }, `${u.joined} / ${u.members}`)
              : u.members),
            h('td.num.strong', formatPoints(u.score, decimals)))))));
  }

  function audit() {
    const list = state.adjustments || [];
    return h('section.card.flush', { 'aria-labelledby': 'audit-h' },
      h('div.card-head', h('h2#audit-h', t('console.adjust.audit')), h('span.muted', `(${list.length})`)),
      list.length === 0 ? h('p.empty', t('console.adjust.none'))
        : h('ul.audit-list', { dataset: { testid: 'adjustments-list' } }, [...list].reverse().map((a) => h('li', { dataset: { testid: 'adjustment-row' } },
          h('div.audit-top',
            h('strong' + (a.delta_centi < 0 ? '.neg' : '.pos'), (a.delta_centi > 0 ? '+' : '') + formatPoints(a.delta_centi / 100)),
            h('button.linkish', { type: 'button', onclick: () => show(a.participant_id) }, nameOf(a.participant_id)),
            h('div.spacer'),
            h('span.muted.small', formatDateTime(a.created_at))),
          h('p.audit-reason', a.reason),
          h('div.muted.small', t('console.adjust.by'), ': ', a.created_by)))));
  }

  function render() {
    if (state.error && !state.results) { mount(root, errorBox(state.error)); return; }
    if (!state.results) { mount(root, h('p.empty', t('console.loading'))); return; }
    const c = ctx.snap.contest;
    mount(root,
      c.state !== 'finished' ? h('div.alert.info.col-full', t('console.results.provisional')) : null,
      h('div.col-main', ranking()),
      h('div.col-side', exportsTool.el, awardsTool.el, units(), audit()));
  }

  function show(pid) {
    openBreakdown(ctx, pid, {
      onAdjusted: () => { toast(t('console.adjust.saved')); load(); },
    });
  }

  render();
  load();
  return {
    update(kind) {
      if (['leaderboard', 'round_finished', 'contest_state', 'question_closed'].includes(kind)) reload();
    },
    relang() {
      exportsTool.relang();
      awardsTool.relang();
      render();
    },
  };
}

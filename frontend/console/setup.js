// The setup tab of a contest: its settings, the rounds (add with a checked blueprint, delete while pending),
// join link and QR code, the big-screen link, roster import and the participants table.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, errorBox, confirmDialog, toast, statePill, formatDateTime, actionButton } from './common.js';
import { newRound, roundEditor, toSpec, kindPill } from './round-editor.js';
import { isStageKind } from './stage-state.js';
import { defaultStageSettings, stageSettingsOf, stageSettingsSummary, stageTiming } from './stage-editor.js';
import { joinCard, screenCard } from './share.js';
import { rosterCard, participantsCard } from './roster.js';

export function roundTiming(r) {
  if (isStageKind(r.kind)) return stageTiming(r);
  if (r.kind === 'live') return t('console.round.live_timing', { s: r.question_seconds });
  const limit = t('console.round.exam_limit', { m: +(r.time_limit_seconds / 60).toFixed(1) });
  return r.window_seconds ? `${limit} · ${t('console.round.exam_window', { m: +(r.window_seconds / 60).toFixed(1) })}` : limit;
}

export function open(container, ctx) {
  // `stage`: the contest-wide stage settings of a round being added while the contest has no stage round yet.
  const state = { adding: null, addError: null, counts: [], banks: null, details: null, stage: defaultStageSettings() };
  const root = h('div.setup-grid');
  container.append(root);

  const infoEl = h('section.card', { 'aria-labelledby': 'info-h' });
  const roundsEl = h('section.card.flush', { 'aria-labelledby': 'rounds-h' });
  const join = joinCard(ctx);
  const screen = screenCard(ctx);
  const roster = rosterCard(ctx);
  const people = participantsCard(ctx);
  let editor = null;

  mount(root,
    h('div.col-main', roundsEl, roster.el),
    h('div.col-side', join.el, screen.el, infoEl),
    h('div.col-full', people.el));

  // The WebSocket snapshot has no bank ids; the HTTP contest view has them.
  async function loadDetails() {
    try {
      const [details, banks] = await Promise.all([api.get(`/api/contests/${ctx.id}`), api.get('/api/banks')]);
      state.details = details.contest;
      state.banks = banks;
      const ids = details.contest.bank_ids || [];
      state.counts = ids.length ? await api.get('/api/categories?banks=' + encodeURIComponent(ids.join(','))) : [];
      renderInfo();
      if (editor) editor.countsChanged();
    } catch { /* the header shows connection problems */ }
  }

  /** The stage settings a new stage round must carry: those of the contest's stage rounds, once there are any. */
  function stageFor() {
    const fixed = stageSettingsOf(ctx.snap.rounds);
    return fixed ? { settings: fixed, editable: false, fixed: true } : { settings: state.stage, editable: true };
  }

  function renderInfo() {
    const c = { ...ctx.snap.contest, ...state.details };
    const bankTitle = (id) => (state.banks && state.banks.find((b) => b.id === id) || { title: id }).title;
    const stage = stageSettingsOf(ctx.snap.rounds);
    mount(infoEl,
      h('h2#info-h', t('console.setup.info')),
      h('dl.facts',
        h('dt', t('console.new.banks')), h('dd', (c.bank_ids || []).map(bankTitle).join('、') || '…'),
        h('dt', t('console.new.join_mode')), h('dd', t(`console.join_mode.${c.join_mode}`)),
        h('dt', t('console.new.unit_scoring')), h('dd', c.unit_scoring ? t(`console.unit_scoring.${c.unit_scoring}`) : '…'),
        h('dt', t('console.contests.col.created')), h('dd', formatDateTime(c.created_at)),
        h('dt', t('console.setup.seed')), h('dd.mono.small', c.seed || '…'),
        stage ? [h('dt', t('console.stage.contest_settings')), h('dd', { dataset: { testid: 'info-stage' } }, stageSettingsSummary(stage))] : null));
  }

  function renderRounds(keepEditor = null) {
    const s = ctx.snap;
    const finished = s.contest.state === 'finished';
    mount(roundsEl,
      h('div.card-head', h('h2#rounds-h', t('console.new.rounds')), h('div.spacer'),
        !state.adding && !finished ? h('button.btn.small', {
          type: 'button', dataset: { testid: 'round-add' },
          onclick: () => { state.adding = newRound('live', s.rounds.length + 1); state.addError = null; renderRounds(); focusEditor(); },
        }, '＋ ', t('console.setup.add_round')) : null),
      s.rounds.length === 0 ? h('p.empty', t('console.setup.no_rounds'))
        : h('table.data', { dataset: { testid: 'rounds-table' } },
          h('thead', h('tr',
            h('th', { scope: 'col' }, '#'),
            h('th', { scope: 'col' }, t('console.round.title')),
            h('th', { scope: 'col' }, t('console.round.kind')),
            h('th.num', { scope: 'col' }, t('console.setup.questions')),
            h('th', { scope: 'col' }, t('console.setup.timing')),
            h('th', { scope: 'col' }, t('console.contests.col.state')),
            h('th', { scope: 'col' }, h('span.sr-only', t('console.contests.col.actions'))))),
          h('tbody', s.rounds.map((r) => h('tr', { dataset: { testid: 'round-row', id: r.id } },
            h('td', r.position + 1),
            h('td.strong', r.title),
            h('td', h('span.pill.' + kindPill(r.kind), t(`console.round.kind.${r.kind}`))),
            h('td.num', r.question_count),
            h('td', roundTiming(r)),
            h('td', statePill(r.state)),
            h('td.actions', r.state === 'pending' && !finished ? h('button.btn.small.danger', {
              type: 'button', dataset: { testid: 'round-delete' },
              'aria-label': t('console.setup.delete_round', { title: r.title }),
              onclick: () => deleteRound(r),
            }, t('console.delete')) : null))))),
      state.adding ? (keepEditor || renderAdd()) : null);
  }

  function renderAdd() {
    editor = roundEditor(state.adding, {
      index: ctx.snap.rounds.length,
      counts: () => state.counts,
      stage: stageFor,
      check: (spec) => api.post(`/api/contests/${ctx.id}/rounds/check`, { kind: spec.kind, config: spec.config }),
    });
    return h('div.add-round', { dataset: { testid: 'add-round' } },
      editor.el,
      errorBox(state.addError, 'round-error'),
      h('div.row.end',
        h('button.btn.ghost', { type: 'button', onclick: () => { state.adding = null; editor = null; renderRounds(); } }, t('console.cancel')),
        actionButton('button.btn.primary', { dataset: { testid: 'round-save' } }, t('console.setup.save_round'), saveRound)));
  }

  function focusEditor() {
    const input = roundsEl.querySelector('[data-testid="round-title"]');
    if (input) { input.focus(); input.select(); }
  }

  async function saveRound() {
    try {
      await api.post(`/api/contests/${ctx.id}/rounds`, toSpec(state.adding, stageFor().settings));
      toast(t('console.setup.round_added', { title: state.adding.title }));
      state.adding = null;
      state.addError = null;
      editor = null;
      await ctx.resync();
    } catch (err) {
      state.addError = err;
    }
    renderRounds();
  }

  async function deleteRound(r) {
    const ok = await confirmDialog({
      title: t('console.setup.delete_round', { title: r.title }),
      message: t('console.setup.delete_round_msg'), confirm: t('console.delete'), danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/api/contests/${ctx.id}/rounds/${r.id}`);
      toast(t('console.setup.round_deleted', { title: r.title }));
      await ctx.resync();
    } catch (err) {
      state.addError = err;
      renderRounds();
    }
  }

  function renderAll() {
    renderRounds();
    renderInfo();
    join.refresh();
    screen.refresh();
    roster.refresh();
    people.refresh();
  }

  renderAll();
  loadDetails();

  return {
    update(kind) {
      if (kind === 'participants' || kind === 'participants_delta' || kind === 'lobby') { people.update(); roster.update(); return; }
      if (kind === 'snapshot') {
        // Keep the round editor (and what is typed into it) while the snapshot refreshes the rest.
        renderRounds(roundsEl.querySelector('.add-round'));
        people.update();
        roster.update();
        renderInfo();
      }
    },
    relang: renderAll,
  };

}

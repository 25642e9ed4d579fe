// New contest: title, banks, join mode, unit scoring and the rounds inline. Availability per quota is computed
// from /api/categories of the chosen banks (the contest does not exist yet); the server checks again on create.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, go, errorBox, field, pageHeader, toast, nextId } from './common.js';
import { newRound, roundEditor, toSpec } from './round-editor.js';
import { isStageKind } from './stage-state.js';
import { defaultStageSettings, stageSettingsFields } from './stage-editor.js';

let draft = null;

function freshDraft() {
  return {
    title: '', bank_ids: null, join_mode: 'roster', unit_scoring: 'sum', join_code: '', rounds: [newRound('live', 1)],
    stage: defaultStageSettings(),
  };
}

export function open(container) {
  if (!draft) draft = freshDraft();
  // `ready` turns true once the bank list and the counts of the chosen banks have arrived (the form is then stable;
  // tests wait for data-ready="true"). Arriving data never rebuilds the form: the counts refill the round editors'
  // choices in place and the bank list is drawn once, so a title being typed keeps its every keystroke and its focus.
  const state = { banks: null, counts: [], error: null, busy: false, ready: false };
  const root = h('div.page.narrow');
  container.append(root);
  let editors = [];
  let countsSeq = 0;
  let form = null;
  const bankHost = h('div.bank-host');
  const roundsHost = h('div.stack.round-list');
  const errorHost = h('div');
  // The contest-wide stage settings: one card, shown while any round is a stage round, applied to all of them.
  const stageHost = h('div');
  let createBtn = null;

  async function loadCounts() {
    const seq = ++countsSeq;
    setReady(false);
    let counts = [];
    let error = null;
    if (draft.bank_ids && draft.bank_ids.length) {
      try {
        counts = await api.get('/api/categories?banks=' + encodeURIComponent(draft.bank_ids.join(',')));
      } catch (err) { error = err; }
    }
    if (seq !== countsSeq) return; // a later choice of banks has its own request
    state.counts = counts;
    if (error) { state.error = error; renderError(); }
    for (const e of editors) e.countsChanged();
    setReady(true);
  }

  function setReady(ready) {
    state.ready = ready;
    if (form) form.dataset.ready = String(ready);
  }

  function radios(name, value, choices, onset, testid) {
    const group = nextId(name);
    return h('div.seg', { role: 'radiogroup', 'aria-labelledby': group + '-l', dataset: { testid } },
      choices.map(([v, label]) => h('label.seg-item', {},
        h('input', { type: 'radio', name: group, value: v, checked: value === v, dataset: { testid: `${testid}-${v}` },
          onchange: () => { onset(v); } }),
        h('span', label))));
  }

  function renderBanks() {
    mount(bankHost, state.banks == null ? h('p.muted', t('console.loading'))
      : h('div.bank-choices', { role: 'group', 'aria-labelledby': 'banks-l', dataset: { testid: 'contest-banks' } },
        state.banks.map((b) => {
          const id = nextId('bank');
          const input = h('input', {
            type: 'checkbox', id, value: b.id, checked: draft.bank_ids.includes(b.id), dataset: { testid: `bank-${b.id}` },
            onchange: () => {
              draft.bank_ids = input.checked ? [...draft.bank_ids, b.id] : draft.bank_ids.filter((x) => x !== b.id);
              loadCounts();
            },
          });
          return h('label.bank-choice', { for: id }, input,
            h('span.bank-name', b.title), h('span.muted', t('console.banks.count', { n: b.question_count })));
        })));
  }

  /** The round editors: rebuilt only when a round is added or removed (the organizer's own click). */
  function renderRounds() {
    editors = draft.rounds.map((model, i) => roundEditor(model, {
      index: i,
      counts: () => state.counts,
      onRemove: draft.rounds.length > 1 ? () => { draft.rounds.splice(i, 1); renderRounds(); } : null,
      onChange: renderStage,
      stage: () => ({ settings: draft.stage, editable: false, fixed: false }),
    }));
    mount(roundsHost, editors.map((e) => h('div.card', e.el)));
    renderStage();
  }

  /** Shown while any round is a stage round; built once per showing so typing is never interrupted. */
  function renderStage() {
    const needed = draft.rounds.some((r) => isStageKind(r.kind));
    const shown = stageHost.firstChild != null;
    if (needed === shown) return;
    mount(stageHost, needed ? h('section.card.stack', { dataset: { testid: 'stage-settings-card' } },
      h('h2', t('console.stage.contest_settings')),
      h('p.hint', t('console.stage.contest_settings_hint')),
      stageSettingsFields(draft.stage, () => {})) : null);
  }

  function renderError() {
    mount(errorHost, errorBox(state.error, 'create-error'));
  }

  function renderBusy() {
    if (!createBtn) return;
    createBtn.disabled = state.busy;
    createBtn.textContent = state.busy ? t('console.busy') : t('console.new.create');
  }

  /** The whole form: on opening and on a language switch only. */
  function render() {
    const titleInput = h('input', {
      value: draft.title, maxlength: 100, required: true, placeholder: t('console.new.title_ph'),
      dataset: { testid: 'contest-title' },
    });
    titleInput.addEventListener('input', () => { draft.title = titleInput.value; });
    const codeInput = h('input', {
      value: draft.join_code, maxlength: 32, pattern: '[A-Za-z0-9]*', inputmode: 'numeric',
      placeholder: t('console.new.code_ph'), dataset: { testid: 'contest-join-code' },
    });
    codeInput.addEventListener('input', () => { draft.join_code = codeInput.value; });

    const modeHint = h('div.hint', t(`console.join_mode.${draft.join_mode}_hint`));
    const mode = radios('mode', draft.join_mode, [
      ['roster', t('console.join_mode.roster')], ['open', t('console.join_mode.open')],
    ], (v) => { draft.join_mode = v; modeHint.textContent = t(`console.join_mode.${v}_hint`); }, 'contest-join-mode');
    mode.setAttribute('aria-labelledby', 'mode-l');
    const scoring = radios('unit', draft.unit_scoring, [
      ['sum', t('console.unit_scoring.sum')], ['mean', t('console.unit_scoring.mean')],
    ], (v) => { draft.unit_scoring = v; }, 'contest-unit-scoring');
    scoring.setAttribute('aria-labelledby', 'unit-l');

    renderBanks();
    stageHost.replaceChildren();
    renderRounds();
    renderError();
    createBtn = h('button.btn.primary', { type: 'submit', dataset: { testid: 'contest-create' } });
    renderBusy();
    form = h('form', {
      onsubmit: submit, novalidate: true, 'aria-label': t('console.new.title'),
      dataset: { testid: 'contest-form', ready: String(state.ready) },
    },
    h('section.card.stack',
      h('h2', t('console.new.basics')),
      h('div.grid.g2',
        field(t('console.new.contest_title'), titleInput),
        field(t('console.new.join_code'), codeInput, t('console.new.code_hint'))),
      h('div.field', h('span.label#banks-l', t('console.new.banks')), bankHost),
      h('div.grid.g2',
        h('div.field', h('span.label#mode-l', t('console.new.join_mode')), mode, modeHint),
        h('div.field', h('span.label#unit-l', t('console.new.unit_scoring')), scoring,
          h('div.hint', t('console.unit_scoring.hint'))))),
    h('section.stack.rounds',
      h('div.row', h('h2', t('console.new.rounds')), h('div.spacer'),
        h('button.btn.small', { type: 'button', dataset: { testid: 'round-add-live' }, onclick: () => addRound('live') },
          '＋ ', t('console.round.add_live')),
        h('button.btn.small', { type: 'button', dataset: { testid: 'round-add-exam' }, onclick: () => addRound('exam') },
          '＋ ', t('console.round.add_exam')),
        h('button.btn.small', { type: 'button', dataset: { testid: 'round-add-stage' }, onclick: () => addRound('buzzer') },
          '＋ ', t('console.round.add_stage'))),
      roundsHost),
    stageHost,
    errorHost,
    h('div.row.end.sticky-actions',
      h('a.btn.ghost', { href: '#/' }, t('console.cancel')),
      createBtn));
    mount(root, pageHeader(t('console.new.title'), h('a.btn.ghost', { href: '#/' }, t('console.cancel'))), form);
  }

  function addRound(kind) {
    draft.rounds.push(newRound(kind, draft.rounds.length + 1));
    renderRounds();
    const last = root.querySelectorAll('[data-testid="round-title"]');
    if (last.length) last[last.length - 1].focus();
  }

  async function submit(e) {
    e.preventDefault();
    if (state.busy) return;
    state.error = null;
    if (!draft.title.trim()) {
      state.error = { code: 'invalid_title', message: t('console.new.need_title') };
      renderError();
      root.querySelector('[data-testid="contest-title"]').focus();
      return;
    }
    state.busy = true;
    renderError();
    renderBusy();
    const body = {
      title: draft.title.trim(),
      bank_ids: draft.bank_ids,
      join_mode: draft.join_mode,
      unit_scoring: draft.unit_scoring,
      rounds: draft.rounds.map((r) => toSpec(r, draft.stage)),
    };
    if (draft.join_code.trim()) body.join_code = draft.join_code.trim();
    try {
      const contest = await api.post('/api/contests', body);
      draft = null;
      toast(t('console.new.created', { title: contest.title }));
      go(`#/c/${contest.id}/setup`);
    } catch (err) {
      state.busy = false;
      state.error = err;
      renderBusy();
      renderError();
      const box = root.querySelector('[data-testid="create-error"]');
      if (box) box.scrollIntoView({ block: 'center' });
    }
  }

  api.get('/api/banks').then((banks) => {
    state.banks = banks;
    if (draft.bank_ids == null) {
      const preferred = banks.find((b) => b.language.startsWith('zh')) || banks[0];
      draft.bank_ids = preferred ? [preferred.id] : [];
    } else {
      draft.bank_ids = draft.bank_ids.filter((id) => banks.some((b) => b.id === id));
    }
    renderBanks();
    loadCounts();
  }).catch((err) => { state.error = err; state.banks = []; renderError(); renderBanks(); setReady(true); });
  render();
  return { relang: render };
}

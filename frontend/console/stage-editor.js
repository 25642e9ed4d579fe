// The settings forms of stage rounds (compulsory, buzzer, wager, tiebreak) for the round editor, the
// contest-wide stage settings (base score, team answer rule, podium places: the same on every stage round) and
// the optional elimination after a round. Defaults and ranges as in docs/stage-rules.md.

import { t } from '/shared/i18n.js';
import { h } from '/shared/ui.js';
import { field, checkbox, select } from './common.js';
import { isStageKind } from './stage-state.js';

/** The contest-wide stage settings with their defaults. */
export function defaultStageSettings() {
  return { base_score: 100, team_answer: 'first_answer', podium_places: 3 };
}

/** Fresh settings of every stage kind (a round model keeps all of them, so switching kinds loses nothing). */
export function defaultKindSettings() {
  return {
    compulsory: { mode: 'team_common', answer_seconds: 30, answer_by: 'judge', points: 10, wrong_penalty: 0, rotate_start: false },
    buzzer: {
      points: 10, wrong_penalty: 10, late_penalty: 10, foul_penalty: 10, answer_seconds: 10, buzz_window_seconds: 10,
      on_wrong: 'pass', answer_by: 'judge',
    },
    wager: {
      options: [{ points: 10, difficulty: 1 }, { points: 20, difficulty: 2 }, { points: 30, difficulty: 3 }],
      pick_order: 'high_to_low', allow_pass: false, answer_seconds: 60, answer_by: 'judge',
    },
    tiebreak: { answer_seconds: 10, buzz_window_seconds: 10, on_wrong: 'pass', answer_by: 'judge' },
    elimination: { enabled: false, advance: 4, tie_rule: 'tiebreak_round' },
  };
}

/** The blueprint quotas a new round of `kind` starts with. */
export function defaultQuotas(kind, model = null) {
  if (kind === 'wager') return wagerQuotas((model && model.wager) || defaultKindSettings().wager);
  const count = { live: 10, exam: 20, compulsory: 10, buzzer: 10, tiebreak: 5 }[kind] ?? 10;
  return [{ category: '', type: '', difficulty: '', count }];
}

/** One quota per difficulty the wager options use, so every pick finds a question of its difficulty. */
export function wagerQuotas(wager) {
  const difficulties = [...new Set(wager.options.map((o) => Number(o.difficulty)))].sort((a, b) => a - b);
  return difficulties.map((d) => ({ category: '', type: '', difficulty: String(d), count: 4 }));
}

const int = (v, fallback) => {
  const n = Number(v);
  return Number.isFinite(n) && String(v).trim() !== '' ? Math.floor(n) : fallback;
};

/** The contest-wide stage settings as the server takes them. */
export function stageSpec(settings) {
  return {
    base_score: int(settings.base_score, 100),
    team_answer: settings.team_answer,
    podium_places: int(settings.podium_places, 3),
  };
}

/** The kind-specific part of a stage round's config: `{stage, <kind>, elimination?}`. */
export function stageConfig(model, settings) {
  const config = { stage: stageSpec(settings) };
  const k = model[model.kind];
  switch (model.kind) {
    case 'compulsory':
      config.compulsory = {
        mode: k.mode, answer_seconds: int(k.answer_seconds, 30), answer_by: k.answer_by, points: int(k.points, 10),
        wrong_penalty: int(k.wrong_penalty, 0), rotate_start: !!k.rotate_start,
      };
      break;
    case 'buzzer':
      config.buzzer = {
        points: int(k.points, 10), wrong_penalty: int(k.wrong_penalty, 10), late_penalty: int(k.late_penalty, 10),
        foul_penalty: int(k.foul_penalty, 10), answer_seconds: int(k.answer_seconds, 10),
        buzz_window_seconds: int(k.buzz_window_seconds, 10), on_wrong: k.on_wrong, answer_by: k.answer_by,
      };
      break;
    case 'wager':
      config.wager = {
        options: k.options.map((o) => ({ points: int(o.points, 0), difficulty: int(o.difficulty, 1) })),
        pick_order: k.pick_order, allow_pass: !!k.allow_pass, answer_seconds: int(k.answer_seconds, 60), answer_by: k.answer_by,
      };
      break;
    case 'tiebreak':
      config.tiebreak = {
        answer_seconds: int(k.answer_seconds, 10), buzz_window_seconds: int(k.buzz_window_seconds, 10),
        on_wrong: k.on_wrong, answer_by: k.answer_by,
      };
      break;
    default:
      throw new Error(`not a stage round kind: ${model.kind}`);
  }
  const e = model.elimination;
  if (e && e.enabled && model.kind !== 'tiebreak') config.elimination = { advance: int(e.advance, 1), tie_rule: e.tie_rule };
  return config;
}

/** Read a round's stage settings back from the server's round config (to add rounds with the same). */
export function stageSettingsOf(rounds) {
  const stageRound = (rounds || []).find((r) => isStageKind(r.kind) && r.config && r.config.stage);
  return stageRound ? { ...stageRound.config.stage } : null;
}

function numberInput(value, onset, changed, props) {
  const input = h('input', { type: 'number', inputmode: 'numeric', value: value ?? '', ...props });
  input.addEventListener('input', () => { onset(input.value); changed(); });
  return input;
}

const answerByChoices = () => [['judge', t('console.stage.answer_by.judge')], ['device', t('console.stage.answer_by.device')]];
const onWrongChoices = () => ['pass', 'reopen', 'void'].map((v) => [v, t(`console.stage.on_wrong.${v}`)]);

function enumField(label, choices, obj, key, changed, testid, hint) {
  return field(label, select(choices, obj[key], (v) => { obj[key] = v; changed(); }, { dataset: { testid } }), hint);
}

function numField(label, obj, key, changed, testid, min, max, hint) {
  return field(label, numberInput(obj[key], (v) => { obj[key] = v; }, changed, { min, max, step: 1, dataset: { testid } }), hint);
}

/** The form of the contest-wide stage settings. `onChange` runs after every edit. */
export function stageSettingsFields(settings, onChange) {
  return h('div.grid.g4.stage-settings', { dataset: { testid: 'stage-settings' } },
    numField(t('console.stage.base_score'), settings, 'base_score', onChange, 'stage-base-score', 0, 100000, t('console.stage.base_score_hint')),
    enumField(t('console.stage.team_answer'), [
      ['first_answer', t('console.stage.team_answer.first_answer')], ['captain_only', t('console.stage.team_answer.captain_only')],
    ], settings, 'team_answer', onChange, 'stage-team-answer', t('console.stage.team_answer_hint')),
    numField(t('console.stage.podium_places'), settings, 'podium_places', onChange, 'stage-podium', 0, 10, t('console.stage.podium_hint')));
}

/** One line that states the contest-wide stage settings. */
export function stageSettingsSummary(settings) {
  return t('console.stage.settings_summary', {
    base: settings.base_score, rule: t(`console.stage.team_answer.${settings.team_answer}`), podium: settings.podium_places,
  });
}

/** The settings form of the round's stage kind, with the elimination after it. */
export function kindFields(model, changed, rerender) {
  const k = model[model.kind];
  const parts = [];
  switch (model.kind) {
    case 'compulsory':
      parts.push(h('div.grid.g4',
        enumField(t('console.stage.mode'), [
          ['team_common', t('console.stage.mode.team_common')], ['individual_by_seat', t('console.stage.mode.individual_by_seat')],
        ], k, 'mode', changed, 'compulsory-mode'),
        numField(t('console.stage.points'), k, 'points', changed, 'compulsory-points', 1, 1000),
        numField(t('console.stage.wrong_penalty'), k, 'wrong_penalty', changed, 'compulsory-wrong-penalty', 0, 1000, t('console.stage.penalty_hint')),
        numField(t('console.stage.answer_seconds'), k, 'answer_seconds', changed, 'compulsory-answer-seconds', 10, 60, t('console.stage.range_s', { a: 10, b: 60 })),
        enumField(t('console.stage.answer_by'), answerByChoices(), k, 'answer_by', changed, 'compulsory-answer-by'),
        h('div.field.checks', checkbox(t('console.stage.rotate_start'), k.rotate_start, (v) => { k.rotate_start = v; changed(); }, 'compulsory-rotate'))),
      h('p.hint', t('console.stage.compulsory_hint')));
      break;
    case 'buzzer':
      parts.push(h('div.grid.g4',
        numField(t('console.stage.points'), k, 'points', changed, 'buzzer-points', 0, 1000),
        numField(t('console.stage.wrong_penalty'), k, 'wrong_penalty', changed, 'buzzer-wrong-penalty', 0, 1000, t('console.stage.penalty_hint')),
        numField(t('console.stage.late_penalty'), k, 'late_penalty', changed, 'buzzer-late-penalty', 0, 1000),
        numField(t('console.stage.foul_penalty'), k, 'foul_penalty', changed, 'buzzer-foul-penalty', 0, 1000, t('console.stage.foul_hint')),
        numField(t('console.stage.answer_seconds'), k, 'answer_seconds', changed, 'buzzer-answer-seconds', 3, 120, t('console.stage.range_s', { a: 3, b: 120 })),
        numField(t('console.stage.buzz_window'), k, 'buzz_window_seconds', changed, 'buzzer-window-seconds', 3, 300, t('console.stage.buzz_window_hint')),
        enumField(t('console.stage.on_wrong'), onWrongChoices(), k, 'on_wrong', changed, 'buzzer-on-wrong', t(`console.stage.on_wrong_hint.${k.on_wrong}`)),
        enumField(t('console.stage.answer_by'), answerByChoices(), k, 'answer_by', changed, 'buzzer-answer-by')));
      break;
    case 'wager':
      parts.push(wagerOptions(model, changed, rerender), h('div.grid.g4',
        enumField(t('console.stage.pick_order'), ['high_to_low', 'low_to_high', 'seat_order'].map((v) => [v, t(`console.stage.pick_order.${v}`)]),
          k, 'pick_order', changed, 'wager-pick-order', t('console.stage.pick_order_hint')),
        numField(t('console.stage.answer_seconds'), k, 'answer_seconds', changed, 'wager-answer-seconds', 10, 300, t('console.stage.range_s', { a: 10, b: 300 })),
        enumField(t('console.stage.answer_by'), answerByChoices(), k, 'answer_by', changed, 'wager-answer-by'),
        h('div.field.checks', checkbox(t('console.stage.allow_pass'), k.allow_pass, (v) => { k.allow_pass = v; changed(); }, 'wager-allow-pass'))));
      break;
    case 'tiebreak':
      parts.push(h('div.grid.g4',
        numField(t('console.stage.answer_seconds'), k, 'answer_seconds', changed, 'tiebreak-answer-seconds', 3, 120, t('console.stage.range_s', { a: 3, b: 120 })),
        numField(t('console.stage.buzz_window'), k, 'buzz_window_seconds', changed, 'tiebreak-window-seconds', 3, 300),
        enumField(t('console.stage.on_wrong'), onWrongChoices(), k, 'on_wrong', changed, 'tiebreak-on-wrong', t(`console.stage.tiebreak_on_wrong_hint.${k.on_wrong}`)),
        enumField(t('console.stage.answer_by'), answerByChoices(), k, 'answer_by', changed, 'tiebreak-answer-by')),
      h('p.hint', t('console.stage.tiebreak_hint')));
      break;
    default:
      return [];
  }
  if (model.kind !== 'tiebreak') parts.push(eliminationFields(model, changed, rerender));
  return parts;
}

/** The wager's values: points and the difficulty of the question that goes with each, 1 to 10 rows. */
function wagerOptions(model, changed, rerender) {
  const options = model.wager.options;
  const seen = new Map();
  for (const o of options) seen.set(String(o.points), (seen.get(String(o.points)) || 0) + 1);
  const rows = options.map((o, i) => {
    const label = t('console.stage.option_n', { n: i + 1 });
    const dup = seen.get(String(o.points)) > 1;
    return h('div.wager-option', { role: 'group', 'aria-label': label, dataset: { testid: 'wager-option' } },
      h('span.quota-no', { 'aria-hidden': 'true' }, i + 1),
      numberInput(o.points, (v) => { o.points = v; }, () => { changed(); markDuplicates(); }, {
        min: 1, max: 1000, step: 1, 'aria-label': `${label} · ${t('console.stage.option_points')}`, dataset: { testid: 'wager-option-points' },
        class: dup ? 'invalid' : null,
      }),
      h('span.muted', t('unit.points')),
      select([1, 2, 3, 4, 5].map((d) => [d, t('console.difficulty.n', { n: d })]), o.difficulty, (v) => { o.difficulty = Number(v); changed(); },
        { 'aria-label': `${label} · ${t('console.quota.difficulty')}`, dataset: { testid: 'wager-option-difficulty' } }),
      h('button.btn.ghost.small.icon', {
        type: 'button', 'aria-label': t('console.stage.option_remove', { n: i + 1 }), title: t('console.stage.option_remove', { n: i + 1 }),
        disabled: options.length <= 1, dataset: { testid: 'wager-option-remove' },
        onclick: () => { options.splice(i, 1); rerender(); changed(); },
      }, '✕'));
  });
  const dupNote = h('p.field-error', { role: 'status', dataset: { testid: 'wager-option-duplicate' }, hidden: true });
  const list = h('div.wager-options', rows);
  function markDuplicates() {
    const counts = new Map();
    for (const o of options) counts.set(String(o.points).trim(), (counts.get(String(o.points).trim()) || 0) + 1);
    const inputs = list.querySelectorAll('[data-testid="wager-option-points"]');
    const dups = new Set();
    options.forEach((o, i) => {
      const dup = counts.get(String(o.points).trim()) > 1;
      inputs[i].classList.toggle('invalid', dup);
      if (dup) dups.add(String(o.points).trim());
    });
    dupNote.hidden = dups.size === 0;
    dupNote.textContent = dups.size ? t('console.stage.option_duplicate', { v: [...dups].join('、') }) : '';
  }
  queueMicrotask(markDuplicates);
  return h('div.field.wager-editor',
    h('span.label', t('console.stage.options')),
    list,
    dupNote,
    h('div.row',
      h('button.btn.small', {
        type: 'button', disabled: options.length >= 10, dataset: { testid: 'wager-option-add' },
        onclick: () => {
          const max = Math.max(0, ...options.map((o) => int(o.points, 0)));
          options.push({ points: max + 10, difficulty: Math.min(5, options.length + 1) });
          rerender();
          changed();
        },
      }, '＋ ', t('console.stage.option_add')),
      h('button.btn.small.ghost', {
        type: 'button', dataset: { testid: 'wager-quotas' }, title: t('console.stage.wager_quotas_hint'),
        onclick: () => { model.quotas = wagerQuotas(model.wager); rerender(); changed(); },
      }, t('console.stage.wager_quotas'))),
    h('div.hint', t('console.stage.options_hint')));
}

/** Optional elimination after the round: the top N go on; how a tie across the cut is decided. */
function eliminationFields(model, changed, rerender) {
  const e = model.elimination;
  return h('div.elimination', { dataset: { testid: 'elimination' } },
    h('div.field.checks', checkbox(t('console.stage.elimination'), e.enabled, (v) => { e.enabled = v; rerender(); changed(); }, 'elimination-enabled')),
    e.enabled ? h('div.grid.g4',
      numField(t('console.stage.advance'), e, 'advance', changed, 'elimination-advance', 1, 1000, t('console.stage.advance_hint')),
      enumField(t('console.stage.tie_rule'), ['tiebreak_round', 'keep_all_tied', 'previous_round_score', 'draw'].map((v) => [v, t(`console.stage.tie_rule.${v}`)]),
        e, 'tie_rule', changed, 'elimination-tie-rule', t(`console.stage.tie_rule_hint.${e.tie_rule}`))) : null);
}

/** A stage round's timing and key settings in one line (rounds table, run view). */
export function stageTiming(r) {
  const c = r.config || {};
  const k = c[r.kind] || r[r.kind] || null;
  if (!k) return t(`console.round.kind.${r.kind}`);
  switch (r.kind) {
    case 'compulsory':
      return t('console.stage.timing_compulsory', { s: k.answer_seconds, p: k.points });
    case 'buzzer':
      return t('console.stage.timing_buzzer', { s: k.answer_seconds, w: k.buzz_window_seconds, p: k.points });
    case 'wager':
      return t('console.stage.timing_wager', { s: k.answer_seconds, v: (k.options || []).map((o) => o.points).join('/') });
    case 'tiebreak':
      return t('console.stage.timing_tiebreak', { s: k.answer_seconds, w: k.buzz_window_seconds });
    default:
      return '';
  }
}

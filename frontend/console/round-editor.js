// The round editor: kind, timing, scoring and blueprint quotas with a live "available in bank" count. Used by
// the new-contest form (rounds inline, availability computed from /api/categories) and by the setup screen
// (add a round to an existing contest, availability from POST /api/contests/{id}/rounds/check). Stage rounds
// (compulsory, buzzer, wager, tiebreak) get their own settings form from stage-editor.js.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { field, checkbox, select, nextId } from './common.js';
import { STAGE_KINDS, isStageKind } from './stage-state.js';
import {
  defaultKindSettings, defaultQuotas, stageConfig, kindFields, stageSettingsFields, stageSettingsSummary,
} from './stage-editor.js';

export const TYPES = ['single', 'multiple', 'true_false', 'fill'];

/** The kinds of round, in the order the editor offers them: the everyone-answers kinds, then the stage kinds. */
export const KINDS = ['live', 'exam', ...STAGE_KINDS];

/** The pill colour of a round kind (rounds table, editor legend). */
export function kindPill(kind) {
  return kind === 'live' ? 'red' : kind === 'exam' ? 'gold' : 'blue';
}

/** A fresh round model with sensible defaults for the given kind. */
export function newRound(kind = 'live', number = 1) {
  return {
    title: t(`console.round.default_${kind}`, { n: number }),
    kind,
    question_seconds: 20,
    close_when_all_answered: true,
    time_limit_minutes: 30,
    window_minutes: '',
    grace_ms: 500,
    scoring: { default_points: 10, speed_bonus: 0, partial_credit: false, wrong_penalty: 0 },
    shuffle_questions: true,
    shuffle_options: true,
    quotas: defaultQuotas(kind),
    ...defaultKindSettings(),
  };
}

const num = (v, fallback = 0) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
};

/**
 * The server's RoundSpec {title, kind, config} of a model. Minutes are converted to seconds. A stage round takes
 * the contest-wide `stageSettings` (base score, team answer rule, podium places) into its config.
 */
export function toSpec(model, stageSettings = null) {
  const window = String(model.window_minutes ?? '').trim();
  const blueprint = {
    quotas: model.quotas.map((q) => ({
      category: q.category || null,
      type: q.type || null,
      difficulty: q.difficulty === '' || q.difficulty == null ? null : num(q.difficulty),
      count: Math.max(0, Math.floor(num(q.count))),
    })),
    shuffle_questions: !!model.shuffle_questions,
    shuffle_options: !!model.shuffle_options,
  };
  if (isStageKind(model.kind)) {
    if (!stageSettings) throw new Error('a stage round needs the contest-wide stage settings');
    return {
      title: model.title.trim(),
      kind: model.kind,
      config: { blueprint, grace_ms: Math.floor(num(model.grace_ms, 500)), ...stageConfig(model, stageSettings) },
    };
  }
  return {
    title: model.title.trim(),
    kind: model.kind,
    config: {
      blueprint,
      scoring: {
        default_points: Math.floor(num(model.scoring.default_points, 10)),
        speed_bonus: model.kind === 'live' ? num(model.scoring.speed_bonus) : 0,
        partial_credit: !!model.scoring.partial_credit,
        wrong_penalty: Math.floor(num(model.scoring.wrong_penalty)),
      },
      question_seconds: Math.floor(num(model.question_seconds, 20)),
      grace_ms: Math.floor(num(model.grace_ms, 500)),
      close_when_all_answered: !!model.close_when_all_answered,
      time_limit_seconds: Math.round(num(model.time_limit_minutes, 30) * 60),
      window_seconds: window === '' ? null : Math.round(num(window) * 60),
    },
  };
}

/** True when `category` lies under the path `prefix` (whole segments), as the server's category_matches. */
export function categoryMatches(category, prefix) {
  const p = (prefix || '').replace(/\/+$/, '');
  return p === '' || category === p || (category.startsWith(p) && category[p.length] === '/');
}

/** How many questions of `counts` (rows of /api/categories) a quota can draw from. */
export function availableFor(quota, counts) {
  let n = 0;
  for (const c of counts) {
    if (!categoryMatches(c.category, quota.category)) continue;
    if (quota.type && c.type !== quota.type) continue;
    if (quota.difficulty !== '' && quota.difficulty != null && Number(quota.difficulty) !== c.difficulty) continue;
    n += c.count;
  }
  return n;
}

/** Category choices: "any", then each top-level path with its sub-paths, with question counts. */
export function categoryOptions(counts, current, anyLabel = null) {
  const tops = new Map();
  for (const c of counts) {
    const top = c.category.split('/')[0];
    if (!tops.has(top)) tops.set(top, new Map());
    const subs = tops.get(top);
    subs.set(c.category, (subs.get(c.category) || 0) + c.count);
  }
  const opts = [h('option', { value: '', selected: !current }, anyLabel || t('console.quota.any_category'))];
  const known = new Set(['']);
  for (const [top, subs] of [...tops.entries()].sort()) {
    const total = [...subs.values()].reduce((a, b) => a + b, 0);
    const group = h('optgroup', { label: top });
    if (!subs.has(top) || subs.size > 1) {
      group.append(h('option', { value: top, selected: current === top }, `${t('console.quota.all_of', { c: top })} (${total})`));
      known.add(top);
    }
    for (const [path, count] of [...subs.entries()].sort()) {
      const label = path === top ? top : path.slice(top.length + 1);
      group.append(h('option', { value: path, selected: current === path }, `${label} (${count})`));
      known.add(path);
    }
    opts.push(group);
  }
  if (current && !known.has(current)) opts.push(h('option', { value: current, selected: true }, current));
  return opts;
}

/**
 * roundEditor(model, {counts: () => rows, check?: async (spec) => {available, problems, settings_error}, onRemove?,
 *   onChange?, index, stage?: () => {settings, editable}}) → {el, refresh(), countsChanged()}
 * Edits `model` in place. Without `check`, availability is computed from counts(). `stage` gives the contest-wide
 * stage settings for stage rounds: `editable` shows their form inside this editor (the setup tab, when the
 * contest has no stage round yet); otherwise they are edited elsewhere (the new-contest form) or fixed, and
 * shown as one line.
 */
export function roundEditor(model, opts) {
  const el = h('fieldset.round-editor', { dataset: { testid: 'round-editor' } });
  const availEls = [];
  // The selects whose choices come from the counts: refilled in place when the counts change (countsChanged),
  // so nothing the organizer is typing into is ever rebuilt under the fingers.
  const categoryEls = [];
  const difficultyEls = [];
  let problemsEl = null;
  let totalEl = null;
  let checkSeq = 0;

  const changed = () => { updateAvailability(); if (opts.onChange) opts.onChange(); };

  function numberInput(value, onset, props) {
    const input = h('input', { type: 'number', inputmode: 'decimal', value: value ?? '', ...props });
    input.addEventListener('input', () => { onset(input.value); changed(); });
    return input;
  }

  function quotaRow(q, i) {
    const avail = h('span.avail', { dataset: { testid: 'quota-available' }, 'aria-live': 'polite' });
    availEls[i] = avail;
    const rowLabel = t('console.quota.row', { n: i + 1 });
    const category = h('select.q-category', {
      'aria-label': `${rowLabel} · ${t('console.quota.category')}`, dataset: { testid: 'quota-category' },
      onchange: (e) => { q.category = e.target.value; changed(); },
    }, categoryOptions(opts.counts(), q.category));
    const difficulty = select(difficultyChoices(), q.difficulty, (v) => { q.difficulty = v; changed(); },
      { class: 'q-difficulty', 'aria-label': `${rowLabel} · ${t('console.quota.difficulty')}`, dataset: { testid: 'quota-difficulty' } });
    categoryEls[i] = category;
    difficultyEls[i] = difficulty;
    return h('div.quota-row', { role: 'group', 'aria-label': rowLabel, dataset: { testid: 'quota-row' } },
      h('span.quota-no', { 'aria-hidden': 'true' }, i + 1),
      category,
      select([['', t('console.quota.any_type')], ...TYPES.map((ty) => [ty, t(`type.${ty}`)])], q.type,
        (v) => { q.type = v; changed(); },
        { class: 'q-type', 'aria-label': `${rowLabel} · ${t('console.quota.type')}`, dataset: { testid: 'quota-type' } }),
      difficulty,
      numberInput(q.count, (v) => { q.count = v; }, {
        class: 'q-count', min: 1, max: 500, step: 1, 'aria-label': `${rowLabel} · ${t('console.quota.count')}`,
        dataset: { testid: 'quota-count' },
      }),
      avail,
      h('button.btn.ghost.small.icon', {
        type: 'button', 'aria-label': t('console.quota.remove', { n: i + 1 }), title: t('console.quota.remove', { n: i + 1 }),
        disabled: model.quotas.length <= 1, dataset: { testid: 'quota-remove' },
        onclick: () => { model.quotas.splice(i, 1); render(); changed(); },
      }, '✕'));
  }

  function difficulties() {
    const set = new Set(opts.counts().map((c) => c.difficulty));
    if (set.size === 0) [1, 2, 3].forEach((d) => set.add(d));
    return [...set].sort((a, b) => a - b);
  }

  function difficultyChoices() {
    return [['', t('console.quota.any_difficulty')], ...difficulties().map((d) => [d, t('console.difficulty.n', { n: d })])];
  }

  /** New counts (other banks chosen, or the first counts arrived): refill the choices, keep every control. */
  function countsChanged() {
    model.quotas.forEach((q, i) => {
      const category = categoryEls[i];
      if (category) {
        category.replaceChildren(...categoryOptions(opts.counts(), q.category));
        category.value = q.category || '';
      }
      const difficulty = difficultyEls[i];
      if (difficulty) {
        const choices = difficultyChoices();
        if (q.difficulty !== '' && q.difficulty != null && !choices.some(([v]) => String(v) === String(q.difficulty))) {
          choices.push([q.difficulty, t('console.difficulty.n', { n: q.difficulty })]);
        }
        difficulty.replaceChildren(...choices.map(([v, label]) => h('option', { value: v }, label)));
        difficulty.value = q.difficulty == null ? '' : String(q.difficulty);
      }
    });
    updateAvailability();
  }

  function render() {
    availEls.length = 0;
    categoryEls.length = 0;
    difficultyEls.length = 0;
    const idx = opts.index ?? 0;
    const kindName = `kind-${nextId('k')}`;
    const kindRadio = (kind) => h('label.seg-item', {},
      h('input', {
        type: 'radio', name: kindName, value: kind, checked: model.kind === kind, dataset: { testid: `round-kind-${kind}` },
        onchange: () => {
          // A title still at its default follows the kind.
          const n = (opts.index ?? 0) + 1;
          if (model.title === newRound(model.kind, n).title) model.title = newRound(kind, n).title;
          // Quotas still at the old kind's defaults take the new kind's (a wager draws by its values' difficulties).
          if (JSON.stringify(model.quotas) === JSON.stringify(defaultQuotas(model.kind, model))) model.quotas = defaultQuotas(kind, model);
          model.kind = kind;
          render();
          changed();
        },
      }),
      h('span', t(`console.round.kind.${kind}`)));
    const title = h('input', { value: model.title, maxlength: 100, dataset: { testid: 'round-title' } });
    title.addEventListener('input', () => { model.title = title.value; if (opts.onChange) opts.onChange(); });

    const stageKind = isStageKind(model.kind);
    const timing = stageKind ? [] : model.kind === 'live'
      ? [
        field(t('console.round.question_seconds'), numberInput(model.question_seconds, (v) => { model.question_seconds = v; },
          { min: 3, max: 3600, step: 1, dataset: { testid: 'round-seconds' } }), t('console.round.question_seconds_hint')),
        h('div.field.checks', checkbox(t('console.round.close_all'), model.close_when_all_answered,
          (v) => { model.close_when_all_answered = v; changed(); }, 'round-close-all')),
      ]
      : [
        field(t('console.round.time_limit'), numberInput(model.time_limit_minutes, (v) => { model.time_limit_minutes = v; },
          { min: 1, max: 1440, step: 'any', dataset: { testid: 'round-time-limit' } }), t('console.round.minutes_hint')),
        field(t('console.round.window'), numberInput(model.window_minutes, (v) => { model.window_minutes = v; },
          { min: 1, max: 10080, step: 'any', placeholder: t('console.round.window_none'), dataset: { testid: 'round-window' } }),
        t('console.round.window_hint')),
      ];

    const s = model.scoring;
    const grace = field(t('console.round.grace'), numberInput(model.grace_ms, (v) => { model.grace_ms = v; },
      { min: 0, max: 10000, step: 100, dataset: { testid: 'round-grace' } }), stageKind ? t('console.stage.grace_hint') : t('console.round.grace_hint'));
    const scoringPart = stageKind ? stagePart() : [
      h('div.grid.g4',
        ...timing,
        grace),
      h('h3.sub', t('console.round.scoring')),
      h('div.grid.g4',
        field(t('console.scoring.default_points'), numberInput(s.default_points, (v) => { s.default_points = v; },
          { min: 1, max: 1000, step: 1, dataset: { testid: 'scoring-points' } })),
        model.kind === 'live'
          ? field(t('console.scoring.speed_bonus'), numberInput(s.speed_bonus, (v) => { s.speed_bonus = v; },
            { min: 0, max: 0.5, step: 0.05, dataset: { testid: 'scoring-speed' } }), t('console.scoring.speed_hint'))
          : null,
        field(t('console.scoring.wrong_penalty'), numberInput(s.wrong_penalty, (v) => { s.wrong_penalty = v; },
          { min: 0, max: 1000, step: 1, dataset: { testid: 'scoring-penalty' } })),
        h('div.field.checks',
          checkbox(t('console.scoring.partial_credit'), s.partial_credit, (v) => { s.partial_credit = v; changed(); }, 'scoring-partial'))),
    ];

    function stagePart() {
      const stage = opts.stage ? opts.stage() : null;
      return [
        h('h3.sub', t(`console.stage.settings_of.${model.kind}`)),
        ...kindFields(model, changed, () => { render(); }),
        h('div.grid.g4', grace),
        stage && stage.editable
          ? h('div.stage-contest', h('h3.sub', t('console.stage.contest_settings')), h('p.hint', t('console.stage.contest_settings_hint')),
            stageSettingsFields(stage.settings, changed))
          : stage ? h('p.stage-summary', { dataset: { testid: 'stage-summary' } },
            h('span.muted', t('console.stage.contest_settings'), '：'), stageSettingsSummary(stage.settings),
            h('span.muted', ' · ', stage.fixed ? t('console.stage.contest_settings_fixed') : t('console.stage.contest_settings_shared'))) : null,
      ];
    }

    mount(el,
      h('legend', h('span.round-no', t('console.round.number', { n: idx + 1 })),
        h('span.pill.' + kindPill(model.kind), t(`console.round.kind.${model.kind}`))),
      opts.onRemove ? h('button.btn.ghost.small.danger.round-remove', {
        type: 'button', dataset: { testid: 'round-remove' }, onclick: opts.onRemove,
        'aria-label': t('console.round.remove_n', { n: idx + 1 }),
      }, t('console.round.remove')) : null,
      h('div.grid.g-round-head',
        field(t('console.round.title'), title),
        h('div.field', h('span.label', { id: kindName + '-l' }, t('console.round.kind')),
          h('div.kind-groups',
            h('div.seg', { role: 'radiogroup', 'aria-labelledby': kindName + '-l', dataset: { testid: 'round-kind' } },
              kindRadio('live'), kindRadio('exam')),
            h('div.seg.stage-kinds', { role: 'radiogroup', 'aria-label': t('console.stage.kinds'), dataset: { testid: 'round-kind-stage' } },
              STAGE_KINDS.map(kindRadio))))),
      ...scoringPart,
      h('div.row.sub-head',
        h('h3.sub', t('console.round.blueprint')),
        h('div.spacer'),
        checkbox(t('console.blueprint.shuffle_questions'), model.shuffle_questions, (v) => { model.shuffle_questions = v; changed(); }, 'shuffle-questions'),
        checkbox(t('console.blueprint.shuffle_options'), model.shuffle_options, (v) => { model.shuffle_options = v; changed(); }, 'shuffle-options')),
      h('div.quota-head', { 'aria-hidden': 'true' },
        h('span'), h('span', t('console.quota.category')), h('span', t('console.quota.type')),
        h('span', t('console.quota.difficulty')), h('span', t('console.quota.count')), h('span', t('console.quota.available')), h('span')),
      h('div.quotas', model.quotas.map(quotaRow)),
      h('div.row',
        h('button.btn.small', {
          type: 'button', dataset: { testid: 'quota-add' },
          onclick: () => { model.quotas.push({ category: '', type: '', difficulty: '', count: 5 }); render(); changed(); },
        }, '＋ ', t('console.quota.add')),
        h('div.spacer'),
        totalEl = h('span.total', { dataset: { testid: 'round-total' } })),
      problemsEl = h('div.problems', { 'aria-live': 'polite' }));
    updateAvailability();
  }

  function showAvailability(available, problems, settingsError) {
    let total = 0;
    model.quotas.forEach((q, i) => {
      const count = Math.floor(num(q.count));
      total += count;
      const a = available ? available[i] : null;
      const elA = availEls[i];
      if (!elA) return;
      if (a == null) { elA.textContent = '…'; elA.className = 'avail'; return; }
      const short = count > a;
      elA.className = 'avail' + (short ? ' short' : ' ok');
      elA.textContent = t('console.quota.available_n', { n: a });
      elA.title = short ? t('console.quota.short', { n: a }) : '';
    });
    totalEl.textContent = t('console.round.total', { n: total });
    const lines = [];
    if (settingsError) lines.push(settingsError);
    for (const p of problems || []) {
      lines.push(p.quota != null ? `${t('console.err.quota', { n: p.quota + 1 })} ${p.message}` : p.message);
    }
    mount(problemsEl, lines.length
      ? h('div.alert.small', { role: 'status', dataset: { testid: 'round-problems' } }, h('ul.error-lines', lines.map((l) => h('li', l))))
      : null);
  }

  function updateAvailability() {
    const counts = opts.counts();
    showAvailability(counts.length ? model.quotas.map((q) => availableFor(q, counts)) : null, [], null);
    if (!opts.check) return;
    const seq = ++checkSeq;
    clearTimeout(updateAvailability.timer);
    updateAvailability.timer = setTimeout(async () => {
      try {
        const res = await opts.check(toSpec(model, opts.stage ? opts.stage().settings : null));
        if (seq === checkSeq) showAvailability(res.available, res.problems, res.settings_error);
      } catch (err) {
        if (seq === checkSeq) showAvailability(null, [], err.message);
      }
    }, 250);
  }

  render();
  return { el, refresh: render, countsChanged };
}

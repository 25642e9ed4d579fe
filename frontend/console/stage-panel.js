// The stage control panel of the run tab, for rounds played between teams (compulsory, buzzer, wager,
// tiebreak): large buttons fit for a stage, keyboard shortcuts (with a help overlay on "?"), whose turn it is or
// who holds the floor with the answer countdown, the buzz order, the judgements, the team standings and the
// ledger with an undo per entry. Everything is drawn from the snapshot's `buzzer` and `stage` (kept current by
// stage-state.js); every action goes through ctx.control and a refusal shows as a toast.

import { t, errorText } from '/shared/i18n.js';
import { h, formatClock, formatPoints, pointsDecimals } from '/shared/ui.js';
import { remainingMs } from '/shared/live.js';
import { confirmDialog, toast, nextId, field } from './common.js';
import { questionView, roundQuestionsView } from './run-views.js';
import { presenter, keyHidden, keySecret } from './presenter.js';
import { BUZZ_KINDS } from './stage-state.js';
import { stageTiming } from './stage-editor.js';
import { kindPill } from './round-editor.js';

/** Ledger reasons made by the rules (a judgement, a foul): what "undo the last judgement" takes back. */
const RULE_REASONS = new Set(['foul', 'buzzer_right', 'buzzer_wrong', 'buzzer_late', 'compulsory_right', 'compulsory_wrong', 'wager_right', 'wager_wrong']);

/** The keyboard shortcuts: the keys (KeyboardEvent.key) of each action. */
export const SHORTCUTS = [
  ['arm', [' ', 'a', 'A']],
  ['right', ['y', 'Y', 'ArrowRight']],
  ['wrong', ['n', 'N', 'ArrowLeft']],
  ['next', ['Enter']],
  ['undo', ['z', 'Z']],
  ['adjust', ['s', 'S']],
  ['help', ['?']],
];

/** Key caps shown on the buttons and in the help overlay. */
const CAPS = {
  arm: ['Space', 'A'], right: ['Y', '→'], wrong: ['N', '←'], next: ['Enter'], undo: ['Z'], adjust: ['S'], help: ['?'],
};

const keyCap = (k) => (k === 'Space' ? t('console.stage.key_space') : k);

/** Is the keyboard in a place where a letter is text (a field, an open dialog)? Then no shortcut fires. */
function typing(e) {
  const el = e.target;
  if (el && el.closest && el.closest('input, textarea, select, [contenteditable=""], [contenteditable=true]')) return true;
  return !!document.querySelector('dialog[open]');
}

/** The facts of the stage round `round` that the buttons depend on. */
export function stageSituation(s, round) {
  const finished = s.contest.state === 'finished';
  const running = !finished && round.state === 'running';
  const q = s.question && s.question.round_id === round.id ? s.question : null;
  const b = q && s.buzzer && s.buzzer.round_id === round.id && s.buzzer.index === q.index ? s.buzzer : null;
  const open = running && !!q && q.state === 'open' && !!b && b.phase !== 'closed' && b.phase !== 'skipped';
  const questions = s.round && s.round.id === round.id && Array.isArray(s.round_questions) ? s.round_questions : [];
  const pendingQ = questions.some((x) => x.state === 'pending');
  const stage = s.stage || null;
  const ledger = (stage && stage.ledger) || [];
  const lastRule = [...ledger].reverse().find((e) => RULE_REASONS.has(e.reason) && e.undone_by == null) || null;
  const wager = stage && stage.wager && stage.wager.round_id === round.id ? stage.wager : null;
  const tiebreak = stage && stage.tiebreak && stage.tiebreak.round_id === round.id ? stage.tiebreak : null;
  const buzzes = BUZZ_KINDS.includes(round.kind);
  const floor = open && b.phase === 'answering' ? b.floor : null;
  return {
    finished, running, q, b, open, pendingQ, stage, lastRule, wager, tiebreak, floor,
    enabled: {
      next: running && !open && pendingQ && round.kind !== 'wager' && !(tiebreak && tiebreak.finished),
      arm: open && buzzes && b.phase === 'opened',
      right: floor != null,
      wrong: floor != null,
      close: open,
      end_round: running,
      undo: !!lastRule,
      adjust: !!stage && (stage.teams || []).length > 0,
      pick: running && round.kind === 'wager' && !open && !!wager && wager.next_to_pick != null,
      draw: running && round.kind === 'tiebreak' && !open && !!tiebreak && !tiebreak.finished,
    },
  };
}

/** A team's unit name, by id. */
function unitOf(stage, team) {
  const found = stage && (stage.teams || []).find((x) => x.id === team);
  return found ? found.unit : t('console.stage.team_n', { n: team });
}

/** Who made a ledger entry: the organizer's user name, or the rules' own sources in words. */
function createdBy(by) {
  return ['buzz', 'device', 'timer'].includes(by) ? t(`console.stage.created_by.${by}`) : by;
}

/** A score change with its sign: +10, −10. */
function signed(delta, decimals) {
  const text = formatPoints(Math.abs(delta), decimals);
  return delta > 0 ? `+${text}` : delta < 0 ? `−${text}` : text;
}

/** Server time with milliseconds: 14:03:07.215. */
function clockMs(ms) {
  if (ms == null) return '–';
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * A modal form. `fields` are nodes; `submit()` returns an error text to show (the dialog stays open) or null
 * (it closes). Resolves true when submitted, false when cancelled.
 */
function formDialog({ title, testid, intro, fields, submitLabel, submit, danger = false }) {
  return new Promise((resolve) => {
    const errorEl = h('p.field-error', { role: 'alert', dataset: { testid: `${testid}-error` }, hidden: true });
    const ok = h('button.btn' + (danger ? '.primary' : '.gold'), { type: 'submit', dataset: { testid: `${testid}-submit` } }, submitLabel);
    const cancel = h('button.btn.ghost', { type: 'button', dataset: { testid: `${testid}-cancel` }, onclick: () => close(false) }, t('console.cancel'));
    const titleId = nextId('dlg');
    let busy = false;
    const form = h('form.stack', {
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        if (busy) return;
        busy = true;
        ok.disabled = true;
        let problem = null;
        try { problem = await submit(); } finally {
          busy = false;
          ok.disabled = false;
        }
        if (problem) {
          errorEl.textContent = problem;
          errorEl.hidden = false;
          return;
        }
        close(true);
      },
    }, intro ? h('p', intro) : null, fields, errorEl, h('div.row.end', cancel, ok));
    const dialog = h('dialog.confirm.stage-dialog', { 'aria-labelledby': titleId, dataset: { testid } }, h('h2', { id: titleId }, title), form);
    let done = false;
    function close(value) {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(false); });
    document.body.append(dialog);
    dialog.showModal();
    const first = dialog.querySelector('input, select, textarea');
    (first || cancel).focus();
  });
}

/** The help overlay of the keyboard shortcuts. */
function helpDialog() {
  const dialog = h('dialog.confirm.stage-help', { 'aria-labelledby': 'stage-help-h', dataset: { testid: 'stage-help' } },
    h('h2#stage-help-h', t('console.stage.help_title')),
    h('table.data.compact.shortcut-table',
      h('tbody', SHORTCUTS.map(([action]) => h('tr',
        h('td', CAPS[action].map((k, i) => [i ? h('span.muted', ` ${t('console.stage.key_or')} `) : null, h('kbd', keyCap(k))])),
        h('td', t(`console.stage.help.${action}`)))))),
    h('p.hint', t('console.stage.help_note')),
    h('div.row.end', h('button.btn', { type: 'button', dataset: { testid: 'stage-help-close' }, onclick: () => dialog.close() }, t('console.close'))));
  dialog.addEventListener('close', () => dialog.remove());
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  document.body.append(dialog);
  dialog.showModal();
}

/**
 * createStagePanel(ctx, {rerender}) → {main(round), side(round), status(round), tick(), destroy()}
 *   main / side   the run tab's main card and side column for the stage round `round`
 *   status        the status line for the run tab's top bar
 *   tick()        refresh the countdowns (called several times a second)
 * While the panel's round is on screen, the keyboard shortcuts act on it.
 */
/** The control action behind each panel action. */
const CONTROL = {
  next: 'next', arm: 'arm', right: 'judge', wrong: 'judge', close: 'close', end_round: 'end_round', undo: 'undo',
  adjust: 'adjust_team', draw: 'draw', pick: 'wager_pick',
};

export function createStagePanel(ctx, { rerender }) {
  // Control actions on their way to the server. One of a kind at a time (a second Y while the first judgement is
  // in flight does nothing); different actions may overlap, the server takes them in order.
  const inFlight = new Set();
  const busy = (action) => inFlight.has(CONTROL[action] || action);
  let current = null; // the stage round on screen, or null
  const clockEl = h('div.clock', { role: 'timer', dataset: { testid: 'stage-clock' } });
  const floorClockEl = h('span.floor-clock', { dataset: { testid: 'stage-floor-clock' } });

  const sit = () => stageSituation(ctx.snap, current);

  /** Run a control action; a refusal is a toast (`quiet`: the caller shows it, e.g. inside a dialog). */
  async function act(action, extra = {}, { quiet = false } = {}) {
    if (inFlight.has(action)) return false;
    inFlight.add(action);
    rerender();
    try {
      await ctx.control(action, extra);
      return true;
    } catch (err) {
      if (!quiet) toast(errorText(err), 'error');
      throw err;
    } finally {
      inFlight.delete(action);
      rerender();
    }
  }

  /** Run an action and report a refusal as a toast (the buttons' path). */
  const run = (action, extra) => act(action, extra).catch(() => false);

  const handlers = {
    next: () => run('next'),
    arm: () => run('arm'),
    right: () => run('judge', { correct: true, team: sit().floor }),
    wrong: () => run('judge', { correct: false, team: sit().floor }),
    close: async () => {
      const ok = await confirmDialog({
        title: t('console.stage.confirm_close_title'), message: t('console.stage.confirm_close_msg'),
        confirm: t('console.stage.close'), danger: true,
      });
      if (ok) await run('close');
    },
    end_round: async () => {
      const ok = await confirmDialog({
        title: t('console.confirm.end_title', { title: current.title }), message: t('console.stage.confirm_end_msg'),
        confirm: t('console.ctl.end_round'), danger: true,
      });
      if (ok) await run('end_round');
    },
    undo: () => { const e = sit().lastRule; if (e) undoDialog(e); },
    adjust: () => adjustDialog(),
    help: () => helpDialog(),
    draw: async () => {
      const ok = await confirmDialog({
        title: t('console.stage.confirm_draw_title'), message: t('console.stage.confirm_draw_msg'), confirm: t('console.stage.draw'), danger: true,
      });
      if (ok) await run('draw');
    },
  };

  function trigger(action) {
    if (!current || busy(action)) return;
    if (action !== 'help' && !sit().enabled[action]) {
      toast(t('console.stage.key_unavailable', { action: t(`console.stage.${action}`) }), 'info');
      return;
    }
    handlers[action]();
  }

  function onKey(e) {
    if (!current || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e)) return;
    const hit = SHORTCUTS.find(([, keys]) => keys.includes(e.key));
    if (!hit) return;
    // The shortcut acts, not the focused button (Space or Enter would press it too).
    e.preventDefault();
    if (e.repeat) return;
    trigger(hit[0]);
  }
  document.addEventListener('keydown', onKey);

  async function undoDialog(entry) {
    const decimals = pointsDecimals([entry.delta]);
    const note = h('input', { maxlength: 200, dataset: { testid: 'undo-note' }, placeholder: t('console.stage.note_ph') });
    await formDialog({
      title: t('console.stage.undo_title', { id: entry.id }),
      testid: 'undo-dialog',
      intro: t('console.stage.undo_msg', {
        unit: entry.unit || unitOf(ctx.snap.stage, entry.team), delta: signed(entry.delta, decimals), reason: t(`console.stage.reason.${entry.reason}`),
      }),
      fields: field(t('console.stage.note_label'), note, t('console.stage.undo_note_hint')),
      submitLabel: t('console.stage.undo_confirm'),
      danger: true,
      submit: async () => {
        if (!note.value.trim()) return t('console.stage.note_required');
        try {
          await act('undo', { entry: entry.id, note: note.value.trim() }, { quiet: true });
        } catch (err) {
          return errorText(err);
        }
        toast(t('console.stage.undone_toast', { id: entry.id }));
        return null;
      },
    });
  }

  async function adjustDialog() {
    const s = ctx.snap;
    const st = sit();
    const teams = (s.stage && s.stage.teams) || [];
    const last = st.b && st.b.judgements && st.b.judgements.length ? st.b.judgements[st.b.judgements.length - 1].team : null;
    const preset = st.floor ?? last ?? (teams[0] && teams[0].id);
    const team = h('select', { dataset: { testid: 'adjust-team' } }, teams.map((x) => h('option', { value: x.id, selected: x.id === preset }, x.unit)));
    const delta = h('input', { type: 'number', step: '0.01', min: -100000, max: 100000, inputmode: 'decimal', dataset: { testid: 'adjust-delta' }, placeholder: t('console.stage.delta_ph') });
    const note = h('input', { maxlength: 200, dataset: { testid: 'adjust-note' }, placeholder: t('console.stage.note_ph') });
    await formDialog({
      title: t('console.stage.adjust_title'),
      testid: 'adjust-dialog',
      fields: [
        h('div.grid.g2', field(t('console.stage.adjust_team'), team), field(t('console.stage.adjust_delta'), delta, t('console.stage.delta_hint'))),
        field(t('console.stage.note_label'), note, t('console.stage.adjust_note_hint')),
      ],
      submitLabel: t('console.stage.adjust_confirm'),
      submit: async () => {
        const value = Number(delta.value);
        if (delta.value.trim() === '' || !Number.isFinite(value) || value === 0) return t('console.stage.delta_invalid');
        if (Math.abs(value) > 100000) return t('console.stage.delta_range');
        if (Math.round(value * 100) !== value * 100 && Math.abs(Math.round(value * 100) - value * 100) > 1e-6) return t('console.stage.delta_step');
        if (!note.value.trim()) return t('console.stage.note_required');
        try {
          await act('adjust_team', { team: Number(team.value), delta: Math.round(value * 100) / 100, note: note.value.trim() }, { quiet: true });
        } catch (err) {
          return errorText(err);
        }
        toast(t('console.stage.adjusted_toast', { unit: unitOf(ctx.snap.stage, Number(team.value)), delta: signed(value, pointsDecimals([value])) }));
        return null;
      },
    });
  }

  // --- Rendering -------------------------------------------------------------------------------------

  const TESTIDS = { right: 'stage-judge-right', wrong: 'stage-judge-wrong', end_round: 'stage-end-round' };

  function bigButton(action, cls, label) {
    const st = sit();
    return h(`button.btn.stage-btn.${cls}`, {
      type: 'button', disabled: busy(action) || !st.enabled[action], 'aria-busy': String(busy(action)),
      'aria-keyshortcuts': CAPS[action] ? CAPS[action].map((k) => (k === '→' ? 'ArrowRight' : k === '←' ? 'ArrowLeft' : k)).join(' ') : null,
      dataset: { testid: TESTIDS[action] || `stage-${action}` }, onclick: () => trigger(action),
    },
    h('span.stage-btn-label', label),
    CAPS[action] ? h('span.keys', { 'aria-hidden': 'true' }, CAPS[action].map((k) => h('kbd', keyCap(k)))) : null);
  }

  /** The big status line: whose turn it is, who holds the floor, or how the question ended. */
  function floorView(round, st) {
    const s = ctx.snap;
    const b = st.b;
    const turn = s.stage && s.stage.turn && round.kind === 'compulsory' ? s.stage.turn : null;
    let cls = 'idle';
    let main;
    let sub = null;
    if (!st.q || !b) {
      if (!st.running) main = t('console.stage.floor_not_running');
      else if (round.kind === 'wager' && st.wager && st.wager.next_to_pick != null) {
        main = t('console.stage.floor_pick', { unit: unitOf(s.stage, st.wager.next_to_pick) });
      } else if (st.tiebreak && st.tiebreak.finished) main = t('console.stage.floor_tiebreak_done');
      else main = t(st.enabled.next ? 'console.stage.floor_press_next' : 'console.stage.floor_round_done');
    } else if (b.phase === 'opened') {
      cls = 'opened';
      main = t('console.stage.floor_opened');
      sub = t('console.stage.floor_opened_hint');
    } else if (b.phase === 'armed') {
      cls = 'armed';
      main = t('console.stage.floor_armed');
      sub = b.window > 1 ? t('console.stage.floor_reopened', { n: b.window }) : null;
    } else if (b.phase === 'answering' && b.floor != null) {
      cls = 'answering';
      main = h('span', h('strong.floor-team', { dataset: { testid: 'stage-floor-team' } }, b.floor_unit || unitOf(s.stage, b.floor)), ' ',
        t(round.kind === 'compulsory' || round.kind === 'wager' ? 'console.stage.floor_turn' : 'console.stage.floor_holds'));
      if (turn && turn.member) sub = t('console.stage.floor_member', { name: turn.member.name });
      else if ((b.queue || []).length) sub = t('console.stage.floor_queue', { units: b.queue.map((x) => unitOf(s.stage, x)).join('、') });
    } else if (b.phase === 'answering') {
      cls = 'answering';
      main = t('console.stage.floor_judged');
    } else if (b.phase === 'closed') {
      cls = 'closed';
      const o = b.outcome || (st.q.result && st.q.result.outcome);
      main = o && o.result === 'won' ? t('console.stage.outcome_won', { unit: o.unit || unitOf(s.stage, o.team) })
        : t(`console.stage.outcome_void.${(o && o.reason) || 'closed_by_organizer'}`);
      sub = !st.running ? null
        : round.kind === 'wager' ? (st.wager && st.wager.next_to_pick != null ? t('console.stage.floor_pick', { unit: unitOf(s.stage, st.wager.next_to_pick) }) : null)
          : st.enabled.next ? t('console.stage.floor_press_next') : null;
    } else {
      cls = 'closed';
      main = t('console.stage.outcome_skipped');
    }
    return h(`div.stage-floor.${cls}`, { dataset: { testid: 'stage-floor', phase: b ? b.phase : 'none' }, 'aria-live': 'polite' },
      h('div.floor-text', h('div.floor-main', main), sub ? h('div.floor-sub', sub) : null),
      floorClockEl);
  }

  /** The buzz order: team, who pressed, server time, +ms after the first buzz after arming, fouls marked. */
  function orderView(st, withOrder) {
    const s = ctx.snap;
    const b = st.b;
    const order = (b && b.order) || [];
    const first = order.find((x) => !x.foul);
    const verdicts = new Map(((b && b.judgements) || []).map((j) => [j.team, j.verdict]));
    const status = (x) => {
      if (x.foul) return ['foul', t('console.stage.buzz_foul')];
      if (verdicts.has(x.team)) return [verdicts.get(x.team), t(`console.stage.verdict.${verdicts.get(x.team)}`)];
      if (b.floor === x.team) return ['floor', t('console.stage.buzz_floor')];
      if ((b.queue || []).includes(x.team)) return ['queued', t('console.stage.buzz_queued', { n: b.queue.indexOf(x.team) + 1 })];
      return ['', '–'];
    };
    return h('section.stage-order', { 'aria-labelledby': 'stage-order-h' },
      withOrder ? h('h3#stage-order-h', t('console.stage.buzz_order'), ' ', h('span.muted', `(${order.length})`))
        : h('h3#stage-order-h', t('console.stage.judgements')),
      !withOrder ? null : order.length === 0 ? h('p.muted', { dataset: { testid: 'stage-buzz-order' } }, b && b.phase === 'armed' ? t('console.stage.buzz_waiting') : t('console.stage.buzz_none'))
        : h('table.data.compact.order-table', { dataset: { testid: 'stage-buzz-order' } },
          h('thead', h('tr',
            h('th.num', { scope: 'col' }, '#'), h('th', { scope: 'col' }, t('console.stage.team')), h('th', { scope: 'col' }, t('console.stage.buzzer_name')),
            h('th.num', { scope: 'col' }, t('console.stage.server_time')), h('th.num', { scope: 'col' }, t('console.stage.after_first')),
            h('th', { scope: 'col' }, t('console.stage.buzz_state')))),
          h('tbody', order.map((x, i) => {
            const [cls, text] = status(x);
            return h('tr' + (x.foul ? '.foul' : '') + (cls ? '.' + cls : ''), { dataset: { testid: 'stage-buzz-row', team: x.team } },
              h('td.num', i + 1),
              h('td.strong', x.unit),
              h('td', x.name || '–'),
              h('td.num.mono', { title: x.client_ms != null ? t('console.stage.client_time', { time: clockMs(x.client_ms) }) : '' }, clockMs(x.server_ms)),
              h('td.num.mono', x.foul || !first ? '–' : x === first ? '0' : `+${x.server_ms - first.server_ms}`),
              h('td', h('span.verdict.' + (cls || 'none'), text)));
          }))),
      b && (b.judgements || []).length ? h('ol.judgements', { dataset: { testid: 'stage-judgements' } }, b.judgements.map((j) => h('li.verdict-row.' + j.verdict,
        h('span.strong', j.unit || unitOf(s.stage, j.team)), ' ',
        h('span.verdict.' + j.verdict, t(`console.stage.verdict.${j.verdict}`)),
        h('span.muted.small', ' · ', j.by === 'device' ? t('console.stage.by_device', { name: j.name || '' }) : j.by === 'timer' ? t('console.stage.by_timer') : j.by, ' · ', clockMs(j.at))))) : null);
  }

  /** Wager: the picking order, each team's pick, and the value buttons for the team whose turn it is. */
  function wagerView(round, st) {
    const w = st.wager;
    if (!w) return h('section.stage-wager', h('p.muted', t('console.stage.wager_waiting')));
    const picks = new Map((w.picks || []).map((p) => [p.team, p]));
    const turn = w.next_to_pick;
    const decimals = pointsDecimals((w.order || []).map((o) => o.total));
    return h('section.stage-wager', { 'aria-labelledby': 'stage-wager-h', dataset: { testid: 'stage-wager' } },
      h('h3#stage-wager-h', t('console.stage.wager_order')),
      h('ol.wager-order', (w.order || []).map((o) => {
        const p = picks.get(o.team);
        return h('li' + (o.team === turn ? '.turn' : '') + (p ? '.done' : ''), { dataset: { testid: 'wager-row', team: o.team } },
          h('span.strong', o.unit),
          h('span.muted.num', formatPoints(o.total, decimals)),
          o.decided_by_draw ? h('span.pill.small-pill', { title: t('console.stage.by_draw_hint') }, t('console.stage.by_draw')) : null,
          h('span.spacer'),
          p ? h('span.pick', p.points == null ? t('console.stage.passed') : t('console.stage.picked', { p: p.points }))
            : o.team === turn ? h('span.pill.red', t(st.open ? 'console.stage.picks_next' : 'console.stage.picking')) : h('span.muted', t('console.stage.waiting')));
      })),
      turn != null ? h('div.wager-picks', { role: 'group', 'aria-label': t('console.stage.pick_for', { unit: unitOf(ctx.snap.stage, turn) }) },
        h('div.muted', t(st.open ? 'console.stage.pick_after' : 'console.stage.pick_for', { unit: unitOf(ctx.snap.stage, turn) })),
        h('div.row.wrap',
          (w.options || []).map((o) => h('button.btn.stage-btn.gold.pick-btn', {
            type: 'button', disabled: busy('pick') || !st.enabled.pick, dataset: { testid: `wager-pick-${o.points}` },
            onclick: () => run('wager_pick', { team: turn, points: o.points }),
          }, h('span.stage-btn-label', t('console.stage.pick_value', { p: o.points })), h('span.keys', t('console.difficulty.n', { n: o.difficulty })))),
          w.allow_pass ? h('button.btn.stage-btn.pick-btn', {
            type: 'button', disabled: busy('pick') || !st.enabled.pick, dataset: { testid: 'wager-pass' },
            onclick: () => run('wager_pick', { team: turn, points: null }),
          }, h('span.stage-btn-label', t('console.stage.pass'))) : null))
        : h('p.ok-text', t('console.stage.wager_all_picked')));
  }

  /** Tie-break: the tied teams, the places decided so far, and the recorded draw as the last resort. */
  function tiebreakView(round, st) {
    const tb = st.tiebreak;
    if (!tb) return h('section.stage-tiebreak', h('p.muted', t('console.stage.tiebreak_waiting')));
    const stage = ctx.snap.stage;
    return h('section.stage-tiebreak', { 'aria-labelledby': 'stage-tb-h', dataset: { testid: 'stage-tiebreak' } },
      h('h3#stage-tb-h', t(`console.stage.tiebreak_purpose.${tb.purpose || 'podium'}`, { p: tb.first_place })),
      h('p', h('span.muted', t('console.stage.tied_teams'), '：'), (tb.teams || []).map((x) => unitOf(stage, x)).join('、')),
      (tb.remaining || []).length && !tb.finished
        ? h('p', h('span.muted', t('console.stage.still_tied'), '：'), h('strong', tb.remaining.map((x) => unitOf(stage, x)).join('、'))) : null,
      (tb.placings || []).length ? h('ol.placings', { dataset: { testid: 'tiebreak-placings' } }, [...tb.placings].sort((a, b) => a.place - b.place).map((p) => h('li',
        h('span.place', t('console.stage.place_n', { n: p.place })), ' ', h('strong', p.unit || unitOf(stage, p.team)),
        p.shared ? h('span.muted', ' ', t('console.stage.shared')) : null))) : null,
      tb.finished ? h('p.ok-text', t('console.stage.tiebreak_finished'))
        : h('div.row',
          h('button.btn.danger', { type: 'button', disabled: busy('draw') || !st.enabled.draw, dataset: { testid: 'tiebreak-draw' }, onclick: () => trigger('draw') },
            t('console.stage.draw')),
          h('span.muted.small', t('console.stage.draw_hint'))));
  }

  function main(round) {
    current = round;
    const s = ctx.snap;
    const st = sit();
    const parts = [
      h('div.round-head',
        h('div',
          h('div.muted.small', t('console.round.number', { n: round.position + 1 }), ' · ',
            h('span.pill.small-pill.' + kindPill(round.kind), t(`console.round.kind.${round.kind}`)), ' · ', stageTiming(round),
            st.q ? [' · ', t('console.run.question_no', { n: st.q.index + 1, total: st.q.total })] : null),
          h('h2', { dataset: { testid: 'run-round-title' } }, round.title)),
        h('div.spacer'),
        clockEl),
      floorView(round, st),
      h('div.stage-buttons', { role: 'toolbar', 'aria-label': t('console.stage.controls'), dataset: { testid: 'stage-panel' } },
        round.kind !== 'wager' ? bigButton('next', 'primary', t('console.stage.next')) : null,
        BUZZ_KINDS.includes(round.kind) ? bigButton('arm', 'gold', t('console.stage.arm')) : null,
        bigButton('right', 'right', t('console.stage.right')),
        bigButton('wrong', 'wrong', t('console.stage.wrong')),
        bigButton('close', 'plain', t('console.stage.close'))),
      h('div.stage-tools',
        bigButton('undo', 'small-tool', t('console.stage.undo')),
        bigButton('adjust', 'small-tool', t('console.stage.adjust')),
        h('div.spacer'),
        bigButton('end_round', 'small-tool.danger', t('console.ctl.end_round')),
        h('button.btn.ghost.small.help-btn', { type: 'button', dataset: { testid: 'stage-help-open' }, onclick: () => helpDialog(), 'aria-keyshortcuts': '?' },
          t('console.stage.shortcuts'), ' ', h('kbd', '?'))),
    ];
    if (round.kind === 'wager') parts.push(wagerView(round, st));
    if (round.kind === 'tiebreak') parts.push(tiebreakView(round, st));
    if (st.q) {
      const q = st.q;
      const hidden = keyHidden(ctx.id, q);
      const reveal = (shown) => () => { presenter.reveal(ctx.id, q, shown); rerender(); };
      parts.push(questionView(ctx, q, { hidden, onReveal: reveal(true), onHide: presenter.on && keySecret(q) ? reveal(false) : null }));
    }
    if (BUZZ_KINDS.includes(round.kind) && st.b) parts.push(orderView(st, true));
    else if (st.b && (st.b.judgements || []).length) parts.push(orderView(st, false));
    return h('section.card.run-card.stage-card', { dataset: { testid: 'stage-card', kind: round.kind } }, parts);
  }

  /** Team standings: total, place, eliminated teams greyed; the last elimination cut under it. */
  function standingsView(st) {
    const stage = ctx.snap.stage;
    const rows = (stage && stage.standings) || [];
    const decimals = pointsDecimals(rows.map((r) => r.total));
    const teams = new Map(((stage && stage.teams) || []).map((x) => [x.id, x]));
    const cut = stage && (stage.cuts || []).length ? stage.cuts[stage.cuts.length - 1] : null;
    return h('section.card.side-card', { 'aria-labelledby': 'stage-standings-h' },
      h('h2#stage-standings-h', t('console.stage.standings'),
        stage ? h('span.muted.small', ' ', t('console.stage.base_note', { n: stage.settings.base_score })) : null),
      rows.length === 0 ? h('p.muted', { dataset: { testid: 'stage-standings' } }, t('console.stage.no_teams'))
        : h('table.data.compact.standings-table', { dataset: { testid: 'stage-standings' } },
          h('thead', h('tr', h('th.num', { scope: 'col' }, t('console.stage.place')), h('th', { scope: 'col' }, t('console.stage.team')),
            h('th.num', { scope: 'col' }, t('console.stage.total')))),
          h('tbody', rows.map((r) => {
            const active = r.active !== false && (teams.get(r.team) || {}).active !== false;
            const place = r.place ?? r.rank;
            return h('tr' + (active ? '' : '.out') + (st.floor === r.team ? '.floor' : ''), { dataset: { testid: 'standing-row', team: r.team } },
              h('td.num.rank', place, place !== r.rank ? h('span.muted.small', { title: t('console.stage.rank_hint', { n: r.rank }) }, '*') : null),
              h('td.who', h('div.ellip', r.unit), active ? null : h('div.muted.small', t('console.stage.eliminated'))),
              h('td.num.strong', { dataset: { testid: 'standing-total' } }, formatPoints(r.total, decimals)));
          }))),
      cut ? h('p.muted.small.cut-note', { dataset: { testid: 'stage-cut' } }, t('console.stage.cut_note', {
        n: cut.advance, out: (cut.eliminated || []).map((x) => unitOf(stage, x)).join('、') || '–', by: t(`console.stage.decided_by.${cut.decided_by}`),
      })) : null);
  }

  /** The ledger, newest first, each rule entry or adjustment with an undo. */
  function ledgerView() {
    const stage = ctx.snap.stage;
    const entries = ((stage && stage.ledger) || []).slice().reverse();
    const decimals = pointsDecimals(entries.map((e) => e.delta));
    return h('section.card.side-card', { 'aria-labelledby': 'stage-ledger-h' },
      h('h2#stage-ledger-h', t('console.stage.ledger'), ' ', h('span.muted', `(${entries.length})`)),
      entries.length === 0 ? h('p.muted', t('console.stage.ledger_empty'))
        : h('ol.ledger', { dataset: { testid: 'stage-ledger', keepScroll: 'ledger' } }, entries.map((e) => {
          const undoable = e.reason !== 'undo_of' && e.undone_by == null;
          return h('li' + (e.undone_by != null ? '.undone' : '') + (e.reason === 'undo_of' ? '.undo' : ''), { dataset: { testid: 'ledger-entry', entry: e.id } },
            h('span.ledger-id.muted', `#${e.id}`),
            h('span.ledger-body',
              h('span.ledger-head', h('strong', e.unit || unitOf(stage, e.team)), ' ',
                h('span.delta' + (e.delta > 0 ? '.plus' : e.delta < 0 ? '.minus' : ''), signed(e.delta, decimals))),
              h('span.muted.small', e.reason === 'undo_of' ? t('console.stage.reason.undo_of', { n: e.undoes }) : t(`console.stage.reason.${e.reason}`),
                e.index != null ? ` · ${t('console.run.question_no_short', { n: e.index + 1 })}` : '',
                e.note ? ` · ${e.note}` : '',
                e.undone_by != null ? ` · ${t('console.stage.undone_by', { n: e.undone_by })}` : '',
                e.created_by ? ` · ${createdBy(e.created_by)}` : '')),
            undoable ? h('button.btn.ghost.small.linkish', {
              type: 'button', disabled: busy('undo'), dataset: { testid: 'ledger-undo', entry: e.id },
              'aria-label': t('console.stage.undo_entry', { id: e.id }), onclick: () => undoDialog(e),
            }, t('console.stage.undo_short')) : null);
        })));
  }

  function side(round) {
    current = round;
    const st = sit();
    return [standingsView(st), ledgerView(), roundQuestionsView(ctx)];
  }

  /** The status line of the run tab's top bar. */
  function status(round) {
    current = round;
    const st = sit();
    if (st.finished) return t('console.run.status_finished');
    if (!st.running) return t(`console.state.${round.state}`);
    if (st.open) return t('console.run.status_question', { title: round.title, n: st.q.index + 1 });
    if (round.kind === 'wager' && st.wager && st.wager.next_to_pick != null) return t('console.stage.status_pick', { title: round.title, unit: unitOf(ctx.snap.stage, st.wager.next_to_pick) });
    if (st.enabled.next) return t('console.run.status_between', { title: round.title });
    return t('console.run.status_round_done', { title: round.title });
  }

  function tick() {
    if (!current || !clockEl.isConnected) return;
    const b = sit().b;
    let text = '';
    let cls = 'clock';
    let floorText = '';
    if (b && b.phase === 'armed' && b.window_deadline) {
      const ms = remainingMs(b.window_deadline, ctx.serverNow);
      text = formatClock(ms);
      if (ms <= 3000) cls += ' urgent';
    } else if (b && b.phase === 'answering' && b.floor_deadline) {
      // The answer time counts down in the floor banner, beside the team that answers.
      const ms = remainingMs(b.floor_deadline, ctx.serverNow);
      floorText = formatClock(ms);
      text = t('console.stage.phase.answering');
      cls += ' dim';
      if (ms <= 5000 && !floorClockEl.classList.contains('urgent')) floorClockEl.classList.add('urgent');
      if (ms > 5000 && floorClockEl.classList.contains('urgent')) floorClockEl.classList.remove('urgent');
    } else if (b) {
      text = t(`console.stage.phase.${b.phase}`);
      cls += ' dim';
    } else {
      text = t(`console.state.${current.state}`);
      cls += ' dim';
    }
    if (clockEl.textContent !== text) clockEl.textContent = text;
    if (clockEl.className !== cls) clockEl.className = cls;
    if (floorClockEl.textContent !== floorText) floorClockEl.textContent = floorText;
    clockEl.setAttribute('aria-label', b && b.phase === 'armed' ? t('console.stage.clock_window') : t('console.stage.clock_answer'));
  }

  return {
    main,
    side,
    status,
    tick,
    /** The round the run tab shows is not a stage round (any more): shortcuts off. */
    idle() { current = null; },
    destroy() {
      current = null;
      document.removeEventListener('keydown', onKey);
    },
  };
}


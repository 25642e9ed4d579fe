// The run tab: control buttons (enabled only when they fit the state; destructive ones confirmed), the clock
// by the server's time, the current question with its answer, live answer progress, who has not answered,
// the round's questions, the top places and the participants. A stage round (compulsory, buzzer, wager,
// tiebreak) is run from the stage panel (stage-panel.js) instead of the live question view.

import { t } from '/shared/i18n.js';
import { h, mount, formatClock } from '/shared/ui.js';
import { remainingMs } from '/shared/live.js';
import { errorBox, confirmDialog, toast } from './common.js';
import { participantsCard } from './roster.js';
import { deviceRequestsCard } from './seats.js';
import {
  answeredView, questionView, examView, roundQuestionsView, missingView, topView, examPendingView, tickPending, keepScroll,
} from './run-views.js';
import { presenter, keyHidden, keySecret, fillsScreen, presenterToggle, keyWarning } from './presenter.js';
import { roundTiming } from './setup.js';
import { icon } from './icons.js';
import { createStagePanel } from './stage-panel.js';
import { isStageKind } from './stage-state.js';

const ACTIONS = ['start_round', 'next', 'close', 'pause', 'resume', 'skip', 'end_round', 'finish'];
/** Actions of the bar that the stage panel's large buttons take over while a stage round runs. */
const STAGE_OWN = ['next', 'close', 'pause', 'resume', 'end_round'];

/** What the contest allows now: which actions, and the facts they depend on. */
function situation(s) {
  const finished = s.contest.state === 'finished';
  const running = s.rounds.find((r) => r.state === 'running') || null;
  const pending = s.rounds.find((r) => r.state === 'pending') || null;
  const live = running && running.kind === 'live';
  const stage = !!running && isStageKind(running.kind);
  const q = s.question;
  const openQ = live && q && q.round_id === running.id && (q.state === 'open' || q.state === 'paused') ? q : null;
  const stageOpen = stage && q && q.round_id === running.id && q.state === 'open';
  const rq = (live || stage) && s.round_questions ? s.round_questions : [];
  const pendingQ = rq.some((x) => x.state === 'pending');
  return {
    finished, running, pending, live, stage, openQ, pendingQ,
    enabled: {
      start_round: !finished && !running && !!pending,
      next: !finished && live && !openQ && pendingQ,
      close: !finished && !!openQ,
      pause: !finished && !!openQ && openQ.state === 'open',
      resume: !finished && !!openQ && openQ.state === 'paused',
      skip: !finished && ((live && (!!openQ || pendingQ)) || (stage && (stageOpen || (pendingQ && running.kind !== 'wager')))),
      end_round: !finished && !!running,
      finish: !finished,
    },
  };
}

export function open(container, ctx) {
  let error = null;
  // Actions on their way to the server: a second click of the same one does nothing; another action (finish
  // while end_round is in flight) goes ahead, the server takes them in order.
  const inFlight = new Set();
  const buttons = {};
  const controlBar = h('div.control-bar', { role: 'toolbar', tabindex: '-1', 'aria-label': t('console.run.controls') });
  const statusEl = h('div.run-status', { 'aria-live': 'polite' });
  const errorEl = h('div');
  const mainEl = h('div.run-main');
  const sideEl = h('div.run-side');
  const people = participantsCard(ctx, { compact: true });
  const seats = deviceRequestsCard(ctx);
  const clockEl = h('div.clock', { dataset: { testid: 'clock' }, role: 'timer', 'aria-label': t('console.run.clock') });
  const toggleEl = h('div.presenter');
  // The exam's "not handed in" list: its own host, redrawn when the participants' papers change.
  const pendingEl = h('div.pending-host');
  // Stage rounds (compulsory, buzzer, wager, tiebreak): the stage panel draws the main card and the side column.
  const stagePanel = createStagePanel(ctx, { rerender: () => render() });
  const enablePresenter = () => { presenter.set(true); render(); };
  let warningEl = keyWarning(enablePresenter);
  // Is a secret key (of an open question) on the screen now? Set by renderMain; the clock checks the screen.
  let keyShown = false;

  container.append(
    h('div.run-top', controlBar, h('div.run-status-row', statusEl, h('div.spacer'), toggleEl), warningEl),
    errorEl,
    seats.el,
    h('div.run-grid', mainEl, sideEl),
    people.el);

  function buildButtons() {
    const spec = {
      start_round: ['btn.primary', 'play'], next: ['btn.primary', 'next'], close: ['btn.gold', 'stop'],
      pause: ['btn', 'pause'], resume: ['btn', 'play'], skip: ['btn', 'skip'], end_round: ['btn.danger', 'end'], finish: ['btn.danger', 'flag'],
    };
    controlBar.replaceChildren();
    for (const action of ACTIONS) {
      const [cls, iconName] = spec[action];
      const btn = h('button.' + cls + '.ctl', { type: 'button', dataset: { testid: `ctl-${action.replace('_', '-')}` }, onclick: () => act(action) },
        icon(iconName), h('span', t(`console.ctl.${action}`)));
      buttons[action] = btn;
      controlBar.append(btn);
      if (action === 'skip') controlBar.append(h('span.ctl-sep', { 'aria-hidden': 'true' }));
    }
  }

  async function act(action) {
    const s = ctx.snap;
    const sit = situation(s);
    if (!sit.enabled[action] || inFlight.has(action)) return;
    const confirm = await confirmFor(action, sit);
    if (!confirm) return;
    const hadFocus = document.activeElement === buttons[action];
    inFlight.add(action);
    updateButtons();
    try {
      const extra = action === 'start_round' ? { round_id: sit.pending.id } : {};
      await ctx.control(action, extra);
      error = null;
      if (action === 'finish') toast(t('console.run.finished_toast'));
    } catch (err) {
      error = err;
    } finally {
      inFlight.delete(action);
    }
    mount(errorEl, errorBox(error, 'control-error'));
    render();
    if (hadFocus && buttons[action].disabled) rescueFocus();
  }

  // Only ever move to harmless, reversible actions, so a repeated key press does no damage; else keep the focus
  // on the toolbar itself.
  function rescueFocus() {
    const target = ['next', 'start_round', 'pause', 'resume'].find((a) => !buttons[a].disabled);
    if (target) buttons[target].focus(); else controlBar.focus();
  }

  async function confirmFor(action, sit) {
    const p = ctx.progress;
    switch (action) {
      case 'close': {
        const missing = p && sit.openQ && p.index === sit.openQ.index ? p.joined - p.answered : 0;
        if (missing <= 0) return true;
        return confirmDialog({ title: t('console.confirm.close_title'), message: t('console.confirm.close_msg', { n: missing }), confirm: t('console.ctl.close') });
      }
      case 'skip':
        return confirmDialog({
          title: t('console.confirm.skip_title'),
          message: sit.openQ ? t('console.confirm.skip_open_msg') : t('console.confirm.skip_next_msg'),
          confirm: t('console.ctl.skip'), danger: true,
        });
      case 'end_round':
        return confirmDialog({
          title: t('console.confirm.end_title', { title: sit.running.title }),
          message: sit.running.kind === 'exam' ? t('console.confirm.end_exam_msg') : t('console.confirm.end_live_msg'),
          confirm: t('console.ctl.end_round'), danger: true,
        });
      case 'finish':
        return confirmDialog({
          title: t('console.confirm.finish_title'),
          message: sit.pending ? t('console.confirm.finish_pending_msg') : t('console.confirm.finish_msg'),
          confirm: t('console.ctl.finish'), danger: true,
        });
      default:
        return true;
    }
  }

  function updateButtons() {
    const sit = situation(ctx.snap);
    const hadFocus = ACTIONS.find((a) => document.activeElement === buttons[a]);
    for (const action of ACTIONS) {
      buttons[action].disabled = !sit.enabled[action];
      buttons[action].setAttribute('aria-busy', String(inFlight.has(action)));
      buttons[action].hidden = sit.stage && STAGE_OWN.includes(action);
    }
    buttons.start_round.title = sit.pending ? t('console.run.next_round', { title: sit.pending.title }) : '';
    // A button that became disabled under the keyboard focus (by an event) hands the focus on.
    if (hadFocus && buttons[hadFocus].disabled && inFlight.size === 0) rescueFocus();
  }

  function renderStatus(sit) {
    const s = ctx.snap;
    let text;
    if (sit.stage) text = stagePanel.status(sit.running);
    else if (sit.finished) text = t('console.run.status_finished');
    else if (sit.running && sit.live && sit.openQ) text = t('console.run.status_question', { title: sit.running.title, n: sit.openQ.index + 1 });
    else if (sit.running && sit.live && sit.pendingQ) text = t('console.run.status_between', { title: sit.running.title });
    else if (sit.running && sit.live) text = t('console.run.status_round_done', { title: sit.running.title });
    else if (sit.running) text = t('console.run.status_exam', { title: sit.running.title });
    else if (sit.pending) text = t('console.run.status_ready', { title: sit.pending.title, n: sit.pending.position + 1 });
    else if (s.rounds.length === 0) text = t('console.run.status_no_rounds');
    else text = t('console.run.status_all_played');
    mount(statusEl, h('span', text), s.rounds.length ? h('span.muted', ' · ', t('console.run.rounds_done', {
      done: s.rounds.filter((r) => r.state === 'finished').length, total: s.rounds.length,
    })) : null);
  }

  function renderMain(sit) {
    const s = ctx.snap;
    const round = sit.running || s.round;
    keyShown = false;
    if (round && isStageKind(round.kind)) {
      const q = s.question && s.question.round_id === round.id ? s.question : null;
      keyShown = !!q && keySecret(q) && !keyHidden(ctx.id, q);
      mount(mainEl, stagePanel.main(round));
      tick();
      return;
    }
    stagePanel.idle();
    const parts = [];
    if (round) {
      parts.push(h('div.round-head',
        h('div',
          h('div.muted.small', t('console.round.number', { n: round.position + 1 }), ' · ', t(`console.round.kind.${round.kind}`), ' · ', roundTiming(round)),
          h('h2', { dataset: { testid: 'run-round-title' } }, round.title)),
        h('div.spacer'),
        clockEl));
    }
    keyShown = false;
    if (round && round.kind === 'live' && s.question && s.question.round_id === round.id) {
      const q = s.question;
      const hidden = keyHidden(ctx.id, q);
      keyShown = keySecret(q) && !hidden;
      const reveal = (shown) => () => { presenter.reveal(ctx.id, q, shown); render(); };
      parts.push(answeredView(ctx, q), questionView(ctx, q, {
        hidden,
        onReveal: reveal(true),
        onHide: presenter.on && keySecret(q) ? reveal(false) : null,
      }));
    } else if (round && round.kind === 'exam') {
      parts.push(examView(ctx, round));
      if (round.state === 'running') {
        renderPending(round);
        parts.push(pendingEl);
      }
    } else if (round && round.state === 'running') {
      parts.push(h('div.idle', h('p', t('console.run.press_next')), h('p.muted', t('console.run.press_next_hint'))));
    } else {
      parts.push(h('div.idle',
        h('p', sit.finished ? t('console.run.status_finished') : sit.pending ? t('console.run.press_start', { title: sit.pending.title })
          : s.rounds.length === 0 ? t('console.run.status_no_rounds') : t('console.run.status_all_played')),
        !sit.finished && s.rounds.length === 0 ? h('a.btn', { href: `#/c/${ctx.id}/setup` }, t('console.setup.add_round')) : null,
        sit.finished ? h('a.btn.primary', { href: `#/c/${ctx.id}/results` }, t('console.run.see_results')) : null));
    }
    mount(mainEl, h('section.card.run-card', parts));
    tick();
  }

  function renderSide(sit) {
    const shown = sit.running || ctx.snap.round;
    if (shown && isStageKind(shown.kind)) {
      mount(sideEl, stagePanel.side(shown));
      return;
    }
    const live = sit.live || (ctx.snap.round && ctx.snap.round.kind === 'live');
    mount(sideEl,
      sit.live && sit.openQ ? missingView(ctx) : null,
      live ? roundQuestionsView(ctx) : null,
      topView(ctx));
  }

  function tick() {
    stagePanel.tick();
    updateWarning();
    if (!clockEl.isConnected) return;
    const s = ctx.snap;
    const round = s.rounds.find((r) => r.state === 'running') || s.round;
    let text = '';
    let cls = 'clock';
    if (round && round.kind === 'live' && s.question && s.question.round_id === round.id) {
      const q = s.question;
      if (q.state === 'open') {
        const ms = remainingMs(q.deadline, ctx.serverNow);
        text = formatClock(ms);
        if (ms <= 5000) cls += ' urgent';
      } else if (q.state === 'paused') {
        text = formatClock(q.remaining_ms || 0);
        cls += ' paused';
      } else {
        text = t(`console.state.${q.state}`);
        cls += ' dim';
      }
    } else if (round && round.kind === 'exam' && round.state === 'running') {
      if (round.ends_at) {
        const ms = remainingMs(round.ends_at, ctx.serverNow);
        text = formatClock(ms);
        if (ms <= 60000) cls += ' urgent';
      } else if (round.started_at) {
        text = '+' + formatClock(ctx.serverNow() - round.started_at);
        cls += ' dim';
      }
    } else if (round) {
      text = t(`console.state.${round.state}`);
      cls += ' dim';
    }
    if (clockEl.textContent !== text) clockEl.textContent = text;
    if (clockEl.className !== cls) clockEl.className = cls;
    tickPending(pendingEl, ctx.serverNow());
    updateWarning();
  }

  function updateWarning() {
    const show = keyShown && fillsScreen();
    if (warningEl.hidden === show) warningEl.hidden = !show;
  }

  function renderPending(round) {
    keepScroll(pendingEl, () => mount(pendingEl, examPendingView(ctx, round)));
  }

  function renderToggle() {
    mount(toggleEl, presenterToggle(render));
  }

  function render() {
    if (!ctx.snap) return;
    const sit = situation(ctx.snap);
    updateButtons();
    renderStatus(sit);
    renderToggle();
    keepScroll(container, () => {
      renderMain(sit);
      renderSide(sit);
    });
  }

  buildButtons();
  render();
  const timer = setInterval(tick, 200);
  document.addEventListener('fullscreenchange', updateWarning);
  window.addEventListener('resize', updateWarning);

  return {
    update(kind) {
      if (kind === 'participants' || kind === 'participants_delta' || kind === 'lobby') {
        people.update();
        if (kind === 'lobby') render();
        // The exam's "not handed in" list follows the participants' paper states.
        else {
          const exam = ctx.snap && ctx.snap.rounds.find((r) => r.state === 'running' && r.kind === 'exam');
          if (exam && pendingEl.isConnected) renderPending(exam);
        }
        return;
      }
      if (kind === 'conn' || kind === 'device_requests') return;
      render();
      if (kind === 'snapshot') people.update();
    },
    relang() {
      controlBar.setAttribute('aria-label', t('console.run.controls'));
      clockEl.setAttribute('aria-label', t('console.run.clock'));
      buildButtons();
      people.refresh();
      seats.refresh();
      mount(errorEl, errorBox(error, 'control-error'));
      const warning = keyWarning(enablePresenter);
      warningEl.replaceWith(warning);
      warningEl = warning;
      render();
    },
    destroy() {
      clearInterval(timer);
      stagePanel.destroy();
      seats.destroy();
      document.removeEventListener('fullscreenchange', updateWarning);
      window.removeEventListener('resize', updateWarning);
    },
  };
}

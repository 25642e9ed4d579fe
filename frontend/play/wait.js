// Calm waiting screens: the lobby before the contest starts, "get ready" when a live round has started but no
// question is open yet, the pause between rounds, and the end of the contest with the final rank and score.

import { h } from '/shared/ui.js';
import { t } from '/shared/i18n.js';
import { part, pointsBig } from './question.js';
import { rankCard, rankTotal } from './live.js';
import { contestReview, answerSheetSection } from './review.js';
import { stageFinalCard } from './stage.js';

function initials(name) {
  if (/[A-Za-z]/.test(name)) return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
  return name.slice(-2);
}

function identity(app) {
  const me = app.state.me || {};
  const name = me.name || app.session.name || '';
  return h('div.card.identity',
    h('div.avatar', { 'aria-hidden': 'true' }, initials(name) || '?'),
    h('div.identity-text',
      h('div.identity-name', { 'data-testid': 'lobby-name' }, name),
      h('div.identity-unit.muted', { 'data-testid': 'lobby-unit' }, me.unit || app.session.unit || ''),
      me.badge ? h('div.identity-badge.muted', t('play.badge_is', { badge: me.badge })) : null));
}

/** phase: 'lobby' | 'ready' | 'between' */
export function waitScreen(app, phase) {
  const bodyEl = h('div.stack');
  const body = part(bodyEl);
  // Between rounds: the answer sheet of the rounds that have ended, when the organizer allows it.
  const sheet = phase === 'between' ? answerSheetSection(app) : null;
  const el = h('section.wait', { 'data-testid': phase === 'lobby' ? 'lobby' : `wait-${phase}` }, bodyEl, sheet && sheet.el);
  function update() {
    if (sheet) sheet.update();
    const s = app.state;
    const me = s.me || {};
    const sig = [phase, s.joined_count, s.roster_count, me.name, me.rank, me.score, s.round && s.round.id,
      s.contest.title, app.lang()].join('|');
    body(sig, () => {
      const round = s.round;
      let title;
      let hint;
      if (phase === 'ready') {
        title = t('play.round_started', { title: round.title || '' });
        hint = t('play.ready_hint');
      } else if (phase === 'between') {
        title = t('play.round_done', { title: round.title || '' });
        hint = t('play.wait_next_round');
      } else {
        title = t('play.lobby_title');
        hint = t('play.lobby_hint');
      }
      const next = (s.rounds || []).find((r) => r.state === 'pending');
      return [
        h('div.wait-hero',
          h('div.pulse', { 'aria-hidden': 'true' }, h('span')),
          h('h1.wait-title', title),
          h('p.wait-hint', hint)),
        identity(app),
        phase === 'between' ? rankCard(me, s) : null,
        phase === 'between' ? null : h('div.card.lobby-stats',
          h('div.stat',
            h('div.stat-value', { 'data-testid': 'lobby-joined' }, String(s.joined_count ?? 0),
              s.roster_count ? h('span.stat-of', ` / ${s.roster_count}`) : null),
            h('div.stat-label', t('play.joined_label')))),
        phase !== 'ready' && next ? h('p.muted.center.small',
          t('play.next_round', { title: next.title || '', kind: t(`play.kind_${next.kind}`) })) : null,
        phase === 'lobby' ? h('ul.tips',
          h('li', t('play.tip_keep_open')),
          h('li', t('play.tip_no_switch')),
          h('li', t('play.tip_final'))) : null,
      ];
    });
  }
  return { el, update, destroy: sheet ? sheet.destroy : undefined };
}

/** How long the phones wait, at most, before asking for the review: spreads a full hall's requests. */
const REVIEW_SPREAD_MS = 1500;
const REVIEW_TRIES = 5;
/** A number per review received, for the screen's signature. */
const reviewIds = new WeakMap();
let reviewSeq = 0;
const reviewId = (review) => {
  if (!review) return 0;
  if (!reviewIds.has(review)) reviewIds.set(review, ++reviewSeq);
  return reviewIds.get(review);
};

/** The points a review adds up to (its questions and the adjustment), to the hundredth. */
function reviewTotal(review) {
  const items = (review.rounds || []).flatMap((r) => r.items || []);
  const sum = items.reduce((a, i) => a + (i.points || 0) + (i.bonus || 0), review.adjustment || 0);
  return Math.round(sum * 100) / 100;
}

export function finalScreen(app) {
  const bodyEl = h('div.stack');
  const body = part(bodyEl);
  const el = h('section.final', { 'data-testid': 'final' }, bodyEl);
  let timer = null;
  let busy = false;
  let tries = 0;

  // A phone that saw the contest finish live has no review yet (the event is the same for everyone), and one
  // whose score was adjusted afterwards has an outdated one: fetch a fresh snapshot, which carries it.
  function fetchReview() {
    timer = null;
    if (!app.state || !el.isConnected) return;
    busy = true;
    tries += 1;
    app.refresh().catch(() => {}).finally(() => {
      busy = false;
      if (el.isConnected) update();
    });
  }

  function update() {
    const s = app.state;
    const me = s.me || {};
    const of = rankTotal(me, s);
    const outdated = !s.review || (me.score != null && Math.abs(reviewTotal(s.review) - me.score) > 0.005);
    if (!outdated) tries = 0; // up to date: a later adjustment gets the full number of tries again
    if (outdated && !busy && timer == null && tries < REVIEW_TRIES) {
      timer = setTimeout(fetchReview, tries === 0 ? Math.random() * REVIEW_SPREAD_MS : 2000 * tries);
    }
    const gaveUp = !s.review && !busy && timer == null;
    const team = s.stage ? JSON.stringify(s.stage.standings) : '';
    const sig = [me.rank, me.score, me.correct, of, app.lang(), reviewId(s.review), gaveUp, team].join('|');
    body(sig, () => [
      stageFinalCard(s),
      h('div.card.hero.final-hero',
        h('div.hero-kicker', t('play.contest_over')),
        h('div.hero-title', s.contest.title),
        h('div.final-grid',
          h('div',
            h('div.hero-label', t('play.final_rank')),
            h('div.hero-value', { 'data-testid': 'final-rank' }, me.rank != null ? String(me.rank) : '–',
              of ? h('span.rank-of', ` / ${of}`) : null)),
          h('div',
            h('div.hero-label', t('play.final_score')),
            h('div.hero-value', { 'data-testid': 'final-score' }, pointsBig(me.score ?? 0)))),
        me.correct != null ? h('p.hero-sub', t('play.final_correct', { n: me.correct })) : null),
      identity(app),
      h('p.muted.center', t('play.thanks')),
      s.review ? contestReview(s.review)
        : (gaveUp ? null : h('p.loading', { 'data-testid': 'review-loading' },
          h('span.spinner', { 'aria-hidden': 'true' }), t('play.review_loading'))),
    ]);
  }
  return { el, update, destroy() { clearTimeout(timer); } };
}

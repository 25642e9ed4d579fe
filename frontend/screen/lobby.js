// Lobby (QR code, joined count, units filling in), round intro, exam progress and plain messages.

import { t } from '/shared/i18n.js';
import { h, formatClock } from '/shared/ui.js';
import { roundLabel, titleNamesRound, progressBar, setBar, joinFooter } from './parts.js';

export function messageView({ title = null, titleKey = null, bodyKey = null, spinner = false }) {
  const el = h('section.s-message', { 'data-testid': 'screen-message' },
    h('div.s-emblem', { 'aria-hidden': 'true' }, '★'),
    spinner ? h('div.s-spinner', { 'aria-hidden': 'true' }) : null,
    h('h1', titleKey ? t(titleKey) : title),
    bodyKey ? h('p', t(bodyKey)) : null);
  return { el };
}

// ---------------------------------------------------------------- lobby

function unitTile(u) {
  const done = u.total > 0 && u.joined >= u.total;
  const tile = h('div.s-unit', { 'data-testid': 'unit-tile', dataset: { unit: u.unit }, class: done ? 'done' : '' },
    h('span.s-unit-name', { title: u.unit }, u.unit),
    h('span.s-unit-count', h('b', String(u.joined)), ` / ${u.total}`),
    progressBar(u.total ? u.joined / u.total : 0));
  return tile;
}

/** True when the grid scrolls or a unit name does not show whole (names wrap to at most two lines). */
function unitsOverflow(grid) {
  if (grid.scrollHeight > grid.clientHeight + 1 || grid.scrollWidth > grid.clientWidth + 1) return true;
  for (const el of grid.querySelectorAll('.s-unit-name')) {
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) return true;
  }
  return false;
}

const FIT_STEPS = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6];

/**
 * Lay the unit tiles out so that all of them show whole: the largest type (--fit) at which some number of columns
 * fits. Many units (more than 12) get one-line tiles. When even the smallest type does not fit, the units still
 * waiting for members are shown first and the rest are summed up in a last tile ("+N"). Returns nothing; the
 * grid must be in the document.
 */
export function fitUnits(grid, units, tile) {
  if (!grid || !grid.isConnected || !units.length) return;
  const n = units.length;
  grid.classList.toggle('compact', n > 12);
  const columns = n <= 6 ? [3] : n <= 12 ? [4, 3] : n <= 20 ? [5, 4, 6] : [6, 5, 7, 8];
  const attempt = () => {
    for (const fit of FIT_STEPS) {
      grid.style.setProperty('--fit', String(fit));
      for (const cols of columns) {
        grid.style.setProperty('--cols', String(cols));
        if (!unitsOverflow(grid)) return true;
      }
    }
    return false;
  };
  if (attempt()) return;
  // Too many for the screen at the smallest type: incomplete units first, then as many as fit and "+N".
  const waiting = [...units].sort((a, b) => (a.total > 0 && a.joined >= a.total) - (b.total > 0 && b.joined >= b.total));
  for (let shown = waiting.length - 1; shown > 0; shown--) {
    grid.replaceChildren(...waiting.slice(0, shown).map(tile),
      h('div.s-unit.s-unit-more', { 'data-testid': 'unit-more' },
        h('span.s-unit-name', t('lobby.more_units', { n: waiting.length - shown }))));
    grid.style.setProperty('--fit', String(FIT_STEPS[FIT_STEPS.length - 1]));
    grid.style.setProperty('--cols', String(columns[columns.length - 1]));
    if (!unitsOverflow(grid)) return;
  }
}

/** Long titles get a smaller size so that they stay on one or two lines. */
function titleClass(title) {
  const n = [...(title || '')].length;
  return n > 24 ? 'xlong' : n > 16 ? 'long' : '';
}

export function lobbyView(state) {
  const c = state.contest;
  const betweenRounds = state.rounds.some((r) => r.state === 'finished');
  const showRoster = c.join_mode !== 'open' && state.roster > 0;

  const qr = state.joinUrl
    ? h('img.s-qr', { src: `/api/qr.svg?text=${encodeURIComponent(state.joinUrl)}`, alt: state.joinUrl, 'data-testid': 'qr' })
    : h('div.s-qr.s-qr-wait', { 'data-testid': 'qr' });
  const shortUrl = (u) => (u || '').replace(/^https?:\/\//, '');
  const url = h('div.s-join-url', { 'data-testid': 'join-url', title: state.joinUrl || '' }, shortUrl(state.joinUrl));

  const count = h('b.s-joined-num', { 'data-testid': 'joined-count' }, String(state.joined));
  const roster = h('span.s-joined-of', showRoster ? t('lobby.of_roster', { total: state.roster }) : t('lobby.people'));
  const bar = progressBar(showRoster ? state.joined / state.roster : 0, 'joined-bar');
  bar.hidden = !showRoster;

  const grid = h('div.s-units', { 'data-testid': 'unit-grid' });
  const unitsTitle = h('h2.s-units-title', t('lobby.units'));
  const fillGrid = () => {
    // Units are known only from lobby events (the snapshot does not carry them yet): hide the section rather
    // than claim nobody has joined when people have.
    const unknown = !state.units.length && state.joined > 0;
    grid.hidden = unknown;
    unitsTitle.hidden = unknown;
    grid.replaceChildren(...(state.units.length
      ? state.units.map(unitTile)
      : [h('p.s-units-empty', t('lobby.no_units'))]));
    fitUnits(grid, state.units, unitTile);
  };
  fillGrid();

  const el = h('section.s-lobby', { 'data-testid': 'lobby', class: state.units.length > 12 ? 'many' : '' },
    h('header.s-lobby-head',
      h('div.s-emblem', { 'aria-hidden': 'true' }, '★'),
      h('h1.s-lobby-title', { 'data-testid': 'contest-title', class: titleClass(c.title) }, c.title),
      h('p.s-lobby-sub', t(betweenRounds ? 'lobby.between' : 'lobby.waiting'))),
    h('div.s-lobby-body',
      h('div.s-join-card',
        h('div.s-join-label', t('lobby.scan')),
        qr,
        h('div.s-join-or', t('lobby.or_open')),
        url,
        h('div.s-join-code', t('lobby.code'), h('b', { 'data-testid': 'join-code' }, c.join_code))),
      h('div.s-lobby-right',
        h('div.s-joined',
          h('span.s-joined-label', t('lobby.joined')),
          h('span.s-joined-line', count, roster),
          bar),
        unitsTitle,
        grid)));

  return {
    el,
    update(s) {
      count.textContent = String(s.joined);
      const withRoster = s.contest.join_mode !== 'open' && s.roster > 0;
      roster.textContent = withRoster ? t('lobby.of_roster', { total: s.roster }) : t('lobby.people');
      bar.hidden = !withRoster;
      setBar(bar, withRoster ? s.joined / s.roster : 0);
      el.classList.toggle('many', s.units.length > 12);
      fillGrid();
      if (s.joinUrl && url.title !== s.joinUrl) {
        url.title = s.joinUrl;
        url.textContent = shortUrl(s.joinUrl);
        const img = h('img.s-qr', { src: `/api/qr.svg?text=${encodeURIComponent(s.joinUrl)}`, alt: s.joinUrl, 'data-testid': 'qr' });
        el.querySelector('[data-testid="qr"]').replaceWith(img);
      }
    },
    mounted() { fitUnits(grid, state.units, unitTile); },
  };
}

// ---------------------------------------------------------------- round intro (live round, between questions)

export function introView(state) {
  const r = state.round;
  const played = state.question && state.question.round_id === r.id;
  const details = [
    t(r.kind === 'exam' ? 'round.exam' : 'round.live'),
    t('round.questions', { n: r.question_count }),
    r.question_seconds ? t('round.seconds', { n: r.question_seconds }) : null,
  ].filter(Boolean).join(' · ');
  const joined = h('b', { 'data-testid': 'joined-count' }, String(state.joined));
  const el = h('section.s-intro', { 'data-testid': 'round-intro' },
    h('div.s-intro-contest', state.contest.title),
    titleNamesRound(r) ? null : h('div.s-intro-no', t('round.of', { n: r.position + 1 })),
    h('h1.s-intro-title', { 'data-testid': 'round-title' }, r.title),
    h('div.s-intro-details', details),
    h('div.s-intro-ready', t(played ? 'round.next_soon' : 'round.get_ready')),
    h('div.s-intro-joined', t('lobby.joined'), ' ', joined, ' ', state.roster && state.contest.join_mode !== 'open'
      ? t('lobby.of_roster', { total: state.roster }) : t('lobby.people')),
    joinFooter(state));
  return {
    el,
    update(s) { joined.textContent = String(s.joined); },
  };
}

// ---------------------------------------------------------------- exam round

function statCard(labelKey, testid) {
  const num = h('b.s-stat-num', { 'data-testid': testid }, '0');
  const of = h('span.s-stat-of');
  const bar = progressBar(0);
  const card = h('div.s-stat', h('div.s-stat-label', t(labelKey)), h('div.s-stat-line', num, of), bar);
  return {
    card,
    set(n, total) {
      num.textContent = String(n);
      of.textContent = total ? ` / ${total}` : '';
      setBar(bar, total ? n / total : 0);
    },
  };
}

export function examView(state) {
  const r = state.round;
  const started = statCard('exam.started', 'exam-started');
  const submitted = statCard('exam.submitted', 'exam-submitted');
  const clock = h('div.s-exam-clock', { 'data-testid': 'exam-time-left' });
  const clockBox = h('div.s-exam-time', h('div.s-stat-label', t('exam.time_left')), clock);
  clockBox.hidden = !r.ends_at;

  const el = h('section.s-exam', { 'data-testid': 'exam' },
    h('div.s-intro-contest', state.contest.title),
    h('div.s-intro-no', roundLabel(r)),
    h('h1.s-exam-title', t('exam.title')),
    h('div.s-exam-sub', [
      t('round.questions', { n: r.question_count }),
      r.time_limit_seconds ? t('exam.per_paper', { n: Math.round(r.time_limit_seconds / 60) }) : null,
    ].filter(Boolean).join(' · ')),
    h('div.s-exam-stats', started.card, submitted.card, clockBox),
    h('div.s-exam-hint', t('exam.hint')),
    joinFooter(state));

  const update = (s) => {
    const p = s.examProgress || { started: 0, submitted: 0, joined: s.joined };
    const joined = p.joined ?? s.joined;
    started.set(p.started, joined);
    submitted.set(p.submitted, joined);
  };
  update(state);
  return {
    el,
    update,
    tick(now) {
      if (!r.ends_at) return;
      const text = formatClock(Math.max(0, r.ends_at - now));
      if (clock.textContent !== text) clock.textContent = text;
      clock.classList.toggle('low', r.ends_at - now < 60_000);
    },
  };
}

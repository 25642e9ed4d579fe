// One contest: a header (title, state, join code, who has joined) and three tabs, setup / run / results. The
// page owns the contest's live connection; the tabs render from it and are told about every change.

import { t, errorText } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { statePill, session, go, toast } from './common.js';
import { createContestLive } from './live-state.js';
import * as setup from './setup.js';
import * as run from './run.js';
import * as results from './results.js';

const TABS = { setup, run, results };

export function open(container, [idText, tabName]) {
  const id = Number(idText);
  const ctx = createContestLive(id);
  let tab = tabName || null;
  let view = null;

  const head = h('div.contest-head');
  const tabBody = h('div.tab-body', { role: 'tabpanel', id: 'contest-tabpanel' });
  const banner = h('div.conn-banner', { hidden: true, role: 'status' });
  container.append(h('div.page.wide', head, tabBody), banner);

  function defaultTab() {
    const s = ctx.snap;
    if (!s) return 'setup';
    if (s.contest.state === 'running') return 'run';
    if (s.contest.state === 'finished') return 'results';
    return 'setup';
  }

  function renderHead() {
    const s = ctx.snap;
    const c = s && s.contest;
    const tabLink = (name) => h('a.tab' + (tab === name ? '.active' : ''), {
      href: `#/c/${id}/${name}`, role: 'tab', 'aria-selected': String(tab === name),
      'aria-controls': 'contest-tabpanel', dataset: { testid: `tab-${name}` },
    }, t(`console.tab.${name}`));
    mount(head,
      h('div.contest-title',
        h('h1', { dataset: { testid: 'contest-title-heading' }, title: c ? c.title : '' }, c ? c.title : t('console.loading')),
        c ? statePill(c.state, 'contest-state') : null),
      h('nav.tabs', { role: 'tablist', 'aria-label': t('console.contest.tabs') },
        tabLink('setup'), tabLink('run'), tabLink('results')),
      c ? h('div.head-facts',
        h('span.fact', h('span.muted', t('console.contest.join_code')), ' ',
          h('code.code.big', { dataset: { testid: 'header-join-code' } }, c.join_code)),
        h('span.fact', h('span.muted', t('console.contest.joined')), ' ',
          h('strong', { dataset: { testid: 'header-joined' } }, `${s.joined_count}`),
          c.join_mode === 'roster' ? h('span.muted', ` / ${s.roster_count}`) : null),
        h('span.fact.conn.' + ctx.conn, { title: t(`console.conn.${ctx.conn}`), dataset: { testid: 'conn-state' } },
          h('span.dot', { 'aria-hidden': 'true' }), t(`console.conn.${ctx.conn}`)),
        h('a.fact', { href: `#/c/${id}/audit`, dataset: { testid: 'audit-link' } }, t('console.audit.open'))) : null);
    banner.hidden = ctx.conn === 'open' || ctx.conn === 'connecting' && !ctx.snap;
    banner.textContent = ctx.conn === 'denied' ? t('console.conn.denied') : t('conn.closed');
  }

  function showTab() {
    if (!ctx.snap) {
      mount(tabBody, ctx.error ? h('div.alert', { role: 'alert' }, errorText(ctx.error)) : h('p.empty', t('console.loading')));
      return;
    }
    if (!tab) {
      tab = defaultTab();
      history.replaceState(null, '', `#/c/${id}/${tab}`);
    }
    if (view && view.name === tab) return;
    if (view && view.destroy) view.destroy();
    tabBody.replaceChildren();
    view = { name: tab, ...(TABS[tab].open(tabBody, ctx) || {}) };
    renderHead();
  }

  const off = ctx.on((kind, msg) => {
    if (kind === 'conn' && msg === 'denied') {
      // Logged out in another tab or on another laptop, password changed, or expired: say so on the way out.
      session.setToken(null);
      toast(t('console.conn.denied'), 'error');
      go('#/login');
      return;
    }
    if (kind === 'snapshot' && !view) { renderHead(); showTab(); return; }
    if (['snapshot', 'lobby', 'contest_state', 'conn'].includes(kind)) renderHead();
    if (view && view.update) view.update(kind, msg);
  });
  ctx.on((kind, err) => { if (kind === 'error' && !ctx.snap) { ctx.error = err; showTab(); } });

  // The socket delivers the first snapshot; fetch one over HTTP too in case the socket is slow or refused.
  ctx.resync();
  renderHead();
  showTab();

  return {
    navigate([, next]) {
      tab = next || defaultTab();
      renderHead();
      showTab();
    },
    relang() {
      renderHead();
      if (view && view.relang) view.relang();
    },
    destroy() {
      off();
      if (view && view.destroy) view.destroy();
      ctx.close();
      banner.remove();
    },
  };
}

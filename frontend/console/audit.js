// The audit log of a contest (#/c/ID/audit): every organizer action, oldest first, with who, when (server time),
// what and its outcome, and whether the log's hash chain is whole (GET /api/contests/{id}/audit). Filters by action
// and by refused actions. What each action records and how the chain works: docs/audit.md.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, errorBox, actionButton, select, checkbox } from './common.js';

// Time and action stay on one line; the detail wraps.
const NOWRAP = { whiteSpace: 'nowrap' };

/** Server time with seconds, local: 2025-06-01 09:30:05. */
function formatStamp(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** An action's name in the interface language; an action this console does not know keeps its own name. */
function actionLabel(action) {
  const key = `console.audit.action.${action}`;
  const label = t(key);
  return label === key ? action : label;
}

/** A row's detail as short `key: value` pairs (long values cut; the whole text is in the title). */
function detailText(text) {
  let detail;
  try { detail = JSON.parse(text); } catch { return text; }
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return JSON.stringify(detail);
  const short = (value) => {
    const s = typeof value === 'string' ? value : JSON.stringify(value);
    return s.length > 40 ? `${s.slice(0, 16)}…` : s;
  };
  return Object.entries(detail)
    .filter(([key]) => key !== 'action')
    .map(([key, value]) => `${key}: ${short(value)}`)
    .join(' · ');
}

export function open(container, [id]) {
  const root = h('div.page.wide.audit-page', { dataset: { testid: 'audit-page' } });
  container.append(root);
  const state = { log: null, title: null, error: null, action: '', refusedOnly: false };

  async function load() {
    try {
      const [log, contest] = await Promise.all([
        api.get(`/api/contests/${id}/audit`),
        api.get(`/api/contests/${id}`).catch(() => null),
      ]);
      state.log = log;
      state.title = contest && contest.contest ? contest.contest.title : null;
      state.error = null;
    } catch (err) {
      state.error = err;
    }
    render();
  }

  function chainBanner(log) {
    return log.chain_ok
      ? h('div.alert.ok', { role: 'status', dataset: { testid: 'audit-chain', chain: 'ok' } },
        t('console.audit.chain_ok', { n: log.entries.length }))
      : h('div.alert', { role: 'alert', dataset: { testid: 'audit-chain', chain: 'broken' } },
        h('div.alert-title', t('console.audit.chain_broken')),
        h('div.alert-detail', log.chain_error || ''));
  }

  function filters(log) {
    const actions = [...new Set(log.entries.map((e) => e.action))].sort();
    return h('div.row',
      h('label.row.tight', h('span.muted.small', t('console.audit.filter_action')),
        select([['', t('console.audit.all_actions')], ...actions.map((a) => [a, actionLabel(a)])], state.action,
          (value) => { state.action = value; render(); }, { dataset: { testid: 'audit-filter-action' } })),
      checkbox(t('console.audit.refused_only'), state.refusedOnly,
        (checked) => { state.refusedOnly = checked; render(); }, 'audit-filter-refused'));
  }

  function table(entries) {
    if (entries.length === 0) return h('p.empty', { dataset: { testid: 'audit-empty' } }, t('console.audit.none'));
    return h('div.table-scroll.tall', h('table.data.audit-table', { dataset: { testid: 'audit-table' } },
      h('thead', h('tr',
        h('th.num', { scope: 'col' }, '#'),
        h('th', { scope: 'col' }, t('console.audit.col_time')),
        h('th', { scope: 'col' }, t('console.audit.col_actor')),
        h('th', { scope: 'col' }, t('console.audit.col_action')),
        h('th', { scope: 'col' }, t('console.audit.col_detail')),
        h('th', { scope: 'col' }, t('console.audit.col_outcome')))),
      h('tbody', entries.map((e) => h('tr', { dataset: { testid: 'audit-row', action: e.action, outcome: e.outcome } },
        h('td.num.mono', String(e.id)),
        h('td.mono.small', { style: NOWRAP }, formatStamp(e.at_ms)),
        h('td', e.actor),
        h('td', { style: NOWRAP }, h('span', { title: e.action }, actionLabel(e.action))),
        h('td.small', { title: e.detail }, detailText(e.detail)),
        h('td', e.outcome === 'ok'
          ? h('span.pill.green', t('console.audit.ok'))
          : h('span.pill.red', { title: t('console.audit.refused_hint') }, e.outcome)))))));
  }

  function render() {
    const log = state.log;
    const shown = log ? log.entries.filter((e) => (!state.action || e.action === state.action)
      && (!state.refusedOnly || e.outcome !== 'ok')) : [];
    mount(root,
      h('div.page-head',
        h('a.btn.ghost.small', { href: `#/c/${id}/results`, dataset: { testid: 'audit-back' } }, `← ${t('console.tab.results')}`),
        h('h1', t('console.audit.title'), state.title ? h('span.muted.title-contest', ` · ${state.title}`) : null),
        h('div.spacer'),
        actionButton('button.btn.small', { dataset: { testid: 'audit-refresh' } }, t('console.audit.refresh'), load)),
      state.error ? errorBox(state.error) : null,
      !log ? (state.error ? null : h('p.empty', t('console.loading'))) : [
        chainBanner(log),
        h('p.muted.small.lead', t('console.audit.lead')),
        h('section.card.flush',
          h('div.card-head',
            h('h2', t('console.audit.entries')),
            h('span.muted', { dataset: { testid: 'audit-count' } }, t('console.audit.count', { n: shown.length, total: log.entries.length })),
            h('div.spacer'),
            filters(log)),
          table(shown)),
        h('p.muted.small', t('console.audit.verify_hint'), ' ', h('code.mono', `jingsai audit verify ${id}`)),
      ]);
  }

  render();
  load();
  return { relang: render };
}

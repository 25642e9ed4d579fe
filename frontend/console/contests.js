// The contest list: every contest with its state, join code and creation time; "new contest".

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, errorBox, formatDateTime, pageHeader, statePill } from './common.js';

export function open(container) {
  const state = { contests: null, error: null };
  const root = h('div.page');
  container.append(root);

  function render() {
    const list = state.contests;
    mount(root,
      pageHeader(t('console.contests.title'),
        h('a.btn.primary', { href: '#/new', dataset: { testid: 'new-contest' } }, '＋ ', t('console.contests.new'))),
      errorBox(state.error),
      h('div.card.flush',
        list == null ? h('p.empty', t('console.loading'))
          : list.length === 0 ? h('div.empty',
            h('p', t('console.contests.empty')),
            h('a.btn.primary', { href: '#/new' }, t('console.contests.new')))
            : h('table.data', { dataset: { testid: 'contest-table' } },
              h('caption.sr-only', t('console.contests.title')),
              h('thead', h('tr',
                h('th', { scope: 'col' }, t('console.contests.col.title')),
                h('th', { scope: 'col' }, t('console.contests.col.state')),
                h('th', { scope: 'col' }, t('console.contests.col.code')),
                h('th', { scope: 'col' }, t('console.contests.col.mode')),
                h('th', { scope: 'col' }, t('console.contests.col.created')),
                h('th', { scope: 'col' }, h('span.sr-only', t('console.contests.col.actions'))))),
              h('tbody', list.map((c) => h('tr', { dataset: { testid: 'contest-row', id: c.id } },
                h('td', h('a.strong', { href: `#/c/${c.id}` }, c.title)),
                h('td', statePill(c.state)),
                h('td', h('code.code', c.join_code)),
                h('td', t(`console.join_mode.${c.join_mode}`)),
                h('td.nowrap', formatDateTime(c.created_at)),
                h('td.actions',
                  h('a.btn.small', { href: `#/c/${c.id}/setup` }, t('console.tab.setup')),
                  h('a.btn.small', { href: `#/c/${c.id}/run` }, t('console.tab.run')),
                  h('a.btn.small', { href: `#/c/${c.id}/results` }, t('console.tab.results')))))))));
  }

  api.get('/api/contests').then((list) => { state.contests = list; render(); })
    .catch((err) => { state.error = err; state.contests = []; render(); });
  render();
  return { relang: render };
}

// The organizer console: shell (top bar, navigation, language) and a hash router. Each screen module exports
// open(container, params) → { destroy?(), relang?() }; a screen without relang is reopened on a language switch.

import { t, toggleLang, onLangChange, addStrings } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { STRINGS } from './strings.js';
import { session, go, api } from './common.js';
import * as login from './login.js';
import * as contests from './contests.js';
import * as newContest from './new-contest.js';
import * as contestPage from './contest.js';
import * as banks from './banks.js';
import * as slips from './slips.js';
import * as analysis from './analysis.js';
import * as audit from './audit.js';

addStrings(STRINGS);

const routes = [
  [/^#\/login$/, login, null],
  [/^#\/?$/, contests, 'contests'],
  [/^#\/new$/, newContest, 'contests'],
  [/^#\/banks$/, banks, 'banks'],
  [/^#\/c\/(\d+)\/slips$/, slips, 'contests'],
  [/^#\/c\/(\d+)\/analysis$/, analysis, 'contests'],
  [/^#\/c\/(\d+)\/audit$/, audit, 'contests'],
  [/^#\/c\/(\d+)(?:\/(setup|run|results))?$/, contestPage, 'contests'],
];

const topbar = document.getElementById('topbar');
const main = document.getElementById('main');
let current = null;
let currentKey = null;

function renderTopbar(section) {
  const loggedIn = !!session.token;
  const link = (href, key, name) => h('a.nav-link' + (section === name ? '.active' : ''), {
    href, 'aria-current': section === name ? 'page' : null, dataset: { testid: `nav-${name}` },
  }, t(key));
  mount(topbar,
    h('a.brand-mark', { href: '#/', 'aria-label': t('console.title') },
      h('span.seal', '竞'), h('span.brand-text', h('span.brand', t('console.brand')), h('span.brand-sub', t('console.subtitle')))),
    loggedIn ? h('nav.nav', { 'aria-label': t('console.nav') },
      link('#/', 'console.nav.contests', 'contests'),
      link('#/banks', 'console.nav.banks', 'banks')) : null,
    h('div.spacer'),
    h('button.btn.ghost.small.lang-switch', {
      type: 'button', onclick: toggleLang, dataset: { testid: 'lang-toggle' },
      'aria-label': t('console.lang.aria'),
    }, t('lang.switch')),
    loggedIn ? h('button.btn.ghost.small', {
      type: 'button', dataset: { testid: 'logout' },
      // Revoke the token on the server too (every organizer login ends), then forget it here even if offline.
      onclick: () => { api.post('/api/auth/logout').catch(() => {}); session.setToken(null); go('#/login'); },
    }, t('console.logout')) : null);
}

function route() {
  const hash = location.hash || '#/';
  if (!session.token && hash !== '#/login') {
    go('#/login');
    return;
  }
  for (const [pattern, module, section] of routes) {
    const m = hash.match(pattern);
    if (!m) continue;
    const key = `${module === contestPage ? 'contest:' + m[1] : hash}`;
    renderTopbar(section);
    // Moving between tabs of the same contest keeps the contest page (and its live connection).
    if (current && currentKey === key && current.navigate) {
      current.navigate(m.slice(1));
      return;
    }
    if (current && current.destroy) current.destroy();
    main.replaceChildren();
    currentKey = key;
    current = module.open(main, m.slice(1)) || {};
    main.focus({ preventScroll: true });
    return;
  }
  go('#/');
}

onLangChange(() => {
  document.title = t('console.title');
  const m = (location.hash || '#/').match(/^#\/([a-z]*)/);
  renderTopbar(m && m[1] === 'banks' ? 'banks' : (m && m[1] === 'login' ? null : 'contests'));
  if (current && current.relang) current.relang();
  else route();
});

window.addEventListener('hashchange', route);
document.title = t('console.title');
route();

// Keep the session fresh: a stale token sends the organizer to the login screen at once.
if (session.token) api.get('/api/contests').catch(() => {});

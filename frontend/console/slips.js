// Printable join slips (#/c/ID/slips): one per roster officer with the contest title, name, badge, unit, the
// join code, the join link (the contest's join address, share.js) and its QR code, and the officer's PIN (or phone/ID digits) when the roster has one.
// A4 sheets of ten slips (two columns, five rows) with dashed cut lines; slips.css holds the print layout.
// The secrets come from the organizer-only roster listing and are shown nowhere else in the console.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, errorBox } from './common.js';
import { joinLink, joinLinkIsLocal, loadServerInfo, qrSrc } from './share.js';

const PER_SHEET = 10;

function sheets(list) {
  const out = [];
  for (let i = 0; i < list.length; i += PER_SHEET) out.push(list.slice(i, i + PER_SHEET));
  return out;
}

function slip(contest, link, kind, p) {
  return h('article.slip', { dataset: { testid: 'slip', badge: p.badge } },
    h('div.slip-head',
      h('span.slip-seal', { 'aria-hidden': 'true' }, '竞'),
      h('span.slip-contest', contest.title)),
    h('div.slip-body',
      h('div.slip-info',
        h('div.slip-name', { dataset: { testid: 'slip-name' } }, p.name),
        h('dl.slip-facts',
          h('dt', t('console.people.badge')), h('dd.mono', { dataset: { testid: 'slip-badge' } }, p.badge),
          h('dt', t('common.unit')), h('dd', p.unit),
          h('dt', t('console.contest.join_code')), h('dd.mono', { dataset: { testid: 'slip-code' } }, contest.join_code),
          kind && p.secret ? [
            h('dt', t(`console.secret.${kind}`)),
            h('dd.mono.slip-secret', { dataset: { testid: 'slip-secret' } }, p.secret),
          ] : null)),
      h('img.slip-qr', { src: qrSrc(link), alt: t('console.share.qr_alt'), width: 112, height: 112, dataset: { testid: 'slip-qr' } })),
    h('div.slip-foot',
      h('span.slip-steps', kind ? t('console.slips.steps_secret', { label: t(`console.secret.${kind}`) }) : t('console.slips.steps')),
      h('span.slip-url.mono', { dataset: { testid: 'slip-url' } }, link)));
}

export function open(container, [id]) {
  const el = h('div.slips-page', { dataset: { testid: 'slips-page' } });
  container.append(el);
  document.body.classList.add('slips-mode');
  const state = { contest: null, people: [], kind: null, error: null, loaded: false };

  async function load() {
    try {
      const [details, listing] = await Promise.all([
        api.get(`/api/contests/${id}`),
        api.get(`/api/contests/${id}/participants`),
        loadServerInfo(id),
      ]);
      state.contest = details.contest;
      state.kind = listing.secret_kind || null;
      // In roster order: the organizer's spreadsheet order, usually already grouped by unit.
      state.people = (listing.participants || []).filter((p) => p.badge).sort((a, b) => a.id - b.id);
    } catch (err) {
      state.error = err;
    }
    state.loaded = true;
    render();
  }

  function render() {
    document.title = t('console.slips.title');
    const c = state.contest;
    const link = c ? joinLink(c.join_code, id) : '';
    const toolbar = h('div.slips-toolbar.card',
      h('div.slips-toolbar-text',
        h('h1', t('console.slips.title')),
        h('p.muted', c ? t('console.slips.lead', { title: c.title, n: state.people.length }) : t('console.loading')),
        c && state.kind ? h('p.muted.small', t('console.slips.with_secret', { label: t(`console.secret.${state.kind}`) })) : null,
        c && joinLinkIsLocal(id) ? h('p.hint.warn', t('console.share.no_lan')) : null),
      h('div.spacer'),
      h('a.btn', { href: `#/c/${id}/setup`, dataset: { testid: 'slips-back' } }, t('console.slips.back')),
      h('button.btn.primary', {
        type: 'button', dataset: { testid: 'slips-print' }, disabled: !state.people.length || null,
        onclick: () => window.print(),
      }, t('console.slips.print')));
    if (state.error) { mount(el, toolbar, errorBox(state.error, 'slips-error')); return; }
    if (!state.loaded) { mount(el, toolbar); return; }
    if (!state.people.length) { mount(el, toolbar, h('p.empty.card', { dataset: { testid: 'slips-empty' } }, t('console.slips.none'))); return; }
    mount(el, toolbar,
      h('div.slip-sheets', { dataset: { testid: 'slip-sheets', ready: 'true' } },
        sheets(state.people).map((page) => h('section.slip-sheet', page.map((p) => slip(c, link, state.kind, p))))));
  }

  render();
  load();
  return {
    destroy() { document.body.classList.remove('slips-mode'); document.title = t('console.title'); },
    relang: render,
  };
}

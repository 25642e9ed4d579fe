// Join link with QR code, and the big-screen link (a display token). Phones cannot reach "localhost", so when the
// console itself runs on a loopback address the join link uses the server's first LAN address.

import { t, errorText } from '/shared/i18n.js';
import { h, mount, store } from '/shared/ui.js';
import { api, copyText, toast, actionButton, select, confirmDialog } from './common.js';

const BASE_KEY = 'jingsai.console.joinBase';
let serverInfo = null;

const isLoopback = () => ['localhost', '127.0.0.1', '[::1]', '::1'].includes(location.hostname);

function baseChoices() {
  const urls = serverInfo && Array.isArray(serverInfo.lan_urls) ? serverInfo.lan_urls : [];
  const list = isLoopback() ? [...urls, location.origin] : [location.origin, ...urls];
  return [...new Set(list)];
}

function joinBase() {
  const choices = baseChoices();
  const saved = store.get(BASE_KEY);
  return choices.includes(saved) ? saved : choices[0];
}

export const joinLink = (code) => `${joinBase()}/?c=${encodeURIComponent(code)}`;

/** The QR code image (SVG, drawn by the server) of a link. */
export const qrSrc = (link) => `/api/qr.svg?text=${encodeURIComponent(link)}`;

/** True when the join link can only say "localhost": the server reported no LAN address. */
export const joinLinkIsLocal = () => isLoopback() && !(serverInfo && serverInfo.lan_urls && serverInfo.lan_urls.length);

let serverInfoLoad = null;
/** Fetch the server's LAN addresses once (join links must not say "localhost"); resolves when known. */
export function loadServerInfo() {
  if (!serverInfoLoad) {
    serverInfoLoad = api.get('/api/server-info')
      .then((info) => { serverInfo = info; })
      .catch(() => { serverInfoLoad = null; });
  }
  return serverInfoLoad;
}

/** The join card: QR code, link with copy, code. Returns {el, refresh}. */
export function joinCard(ctx) {
  const el = h('section.card.share', { 'aria-labelledby': 'join-h' });
  function render() {
    const c = ctx.snap.contest;
    const link = joinLink(c.join_code);
    const choices = baseChoices();
    mount(el,
      h('h2#join-h', t('console.share.join')),
      h('div.share-body',
        h('a.qr', { href: link, target: '_blank', rel: 'noopener', 'aria-label': t('console.share.qr_alt') },
          h('img', { src: qrSrc(link), alt: t('console.share.qr_alt'), width: 140, height: 140, dataset: { testid: 'join-qr' } })),
        h('div.share-text',
          h('div.muted', t('console.contest.join_code')),
          h('div.join-code', { dataset: { testid: 'join-code' } }, c.join_code),
          h('div.muted.small', t('console.share.scan_hint')))),
      h('div.muted.link-label', t('console.share.link')),
      h('div.link-row',
        h('a.link', { href: link, target: '_blank', rel: 'noopener', dataset: { testid: 'join-link' } }, link),
        h('button.btn.small', {
          type: 'button', dataset: { testid: 'join-link-copy' },
          onclick: async () => toast(await copyText(link) ? t('console.copied') : t('console.copy_failed'), 'info'),
        }, t('console.copy'))),
      choices.length > 1 ? h('div.field.compact',
        h('label', { for: 'join-base' }, t('console.share.address')),
        select(choices.map((u) => [u, u]), joinBase(), (v) => { store.set(BASE_KEY, v); render(); },
          { id: 'join-base', dataset: { testid: 'join-base' } })) : null,
      joinLinkIsLocal() ? h('div.hint.warn', t('console.share.no_lan')) : null);
  }
  if (!serverInfo) loadServerInfo().then(() => { if (el.isConnected) render(); });
  render();
  return { el, refresh: render };
}

/**
 * The big-screen card: create a display token, then open or copy /screen?token=…; or revoke every big-screen link
 * of the contest made so far (open big screens disconnect), after which a new link can be created.
 */
export function screenCard(ctx) {
  const el = h('section.card.share', { 'aria-labelledby': 'screen-h' });
  let link = null;
  let error = null;
  let revoked = false;

  async function revoke() {
    const ok = await confirmDialog({
      title: t('console.share.revoke_title'),
      message: t('console.share.revoke_msg'),
      confirm: t('console.share.revoke_confirm'),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/api/contests/${ctx.id}/display-token`);
      link = null;
      error = null;
      revoked = true;
      toast(t('console.share.revoked'));
    } catch (err) { error = err; }
    render();
  }

  function render() {
    mount(el,
      h('h2#screen-h', t('console.share.screen')),
      h('p.muted', t('console.share.screen_lead')),
      error ? h('div.alert', { role: 'alert' }, errorText(error)) : null,
      revoked && !link ? h('div.hint.revoked-note', { role: 'status', dataset: { testid: 'display-revoked' } }, t('console.share.revoked_hint')) : null,
      h('div.row',
        actionButton('button.btn.gold', { dataset: { testid: 'display-link' } },
          link ? t('console.share.screen_new') : t('console.share.screen_create'), async () => {
            try {
              const res = await api.post(`/api/contests/${ctx.id}/display-token`);
              link = `${location.origin}/screen?token=${encodeURIComponent(res.token)}`;
              error = null;
              revoked = false;
            } catch (err) { error = err; }
            render();
          }),
        link ? h('a.btn', { href: link, target: '_blank', rel: 'noopener', dataset: { testid: 'display-open' } }, t('console.share.screen_open')) : null,
        link ? h('button.btn', {
          type: 'button', dataset: { testid: 'display-copy' },
          onclick: async () => toast(await copyText(link) ? t('console.copied') : t('console.copy_failed'), 'info'),
        }, t('console.copy')) : null),
      link ? h('input.link-box', { readonly: true, value: link, 'aria-label': t('console.share.screen_link'), dataset: { testid: 'display-url' }, onfocus: (e) => e.target.select() }) : null,
      h('div.row.revoke-row',
        actionButton('button.btn.ghost.small.danger-text', { dataset: { testid: 'display-revoke' }, title: t('console.share.revoke_hint') },
          t('console.share.revoke'), revoke)));
  }
  render();
  return { el, refresh: render };
}

// Join link with QR code, and the big-screen link (a display token). The join address (the base of the join link)
// is chosen per contest and stored on the server, so the big screen's QR code and the printed slips use the same
// one: the server offers the addresses it listens on (and --public-url first); the organizer picks one here or
// types another. Without a choice: the public URL, else this page's own address, or the first LAN address the
// server offers when the console runs on a loopback address (phones cannot reach "localhost"). The big screen
// applies the same default (screen/app.js, defaultJoinBase).

import { t, errorText } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, copyText, toast, actionButton, select, confirmDialog } from './common.js';

const CUSTOM = '__custom__';
/** contest id (as a string: routes give strings, snapshots numbers) → its server-info ({lan_urls, public_url,
 * join_base_url, …}) */
const infoMap = new Map();
const infos = {
  get: (id) => infoMap.get(String(id)),
  set: (id, info) => infoMap.set(String(id), info),
  has: (id) => infoMap.has(String(id)),
};
/** contest id → the pending load */
const loads = new Map();

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;
const isLoopbackUrl = (url) => { try { return LOOPBACK_HOST.test(new URL(url).hostname); } catch { return false; } };
const isLoopback = () => isLoopbackUrl(location.origin);

/** The default join base when the organizer chose none (the big screen uses the same rule). */
function defaultBase(info) {
  if (info && info.public_url) return info.public_url;
  if (!isLoopback()) return location.origin;
  const urls = (info && info.lan_urls) || [];
  return urls.find((u) => !isLoopbackUrl(u)) || urls[0] || location.origin;
}

/** The addresses offered in the picker: the chosen one, the server's, and this page's own. */
function baseChoices(contestId) {
  const info = infos.get(contestId);
  const urls = info && Array.isArray(info.lan_urls) ? info.lan_urls : [];
  const list = [defaultBase(info), ...urls, location.origin];
  if (info && info.join_base_url) list.unshift(info.join_base_url);
  return [...new Set(list)];
}

/** The contest's join base: the organizer's choice, else the default. */
export function joinBase(contestId) {
  const info = infos.get(contestId);
  return (info && info.join_base_url) || defaultBase(info);
}

export const joinLink = (code, contestId) => `${joinBase(contestId)}/?c=${encodeURIComponent(code)}`;

/** The QR code image (SVG, drawn by the server) of a link. */
export const qrSrc = (link) => `/api/qr.svg?text=${encodeURIComponent(link)}`;

/** True when the join link points at this computer only (loopback): phones cannot reach it. */
export const joinLinkIsLocal = (contestId) => isLoopbackUrl(joinBase(contestId));

/** Fetch the offered addresses and the contest's chosen join address once; resolves when known. */
export function loadServerInfo(contestId) {
  const key = String(contestId);
  if (!loads.has(key)) {
    loads.set(key, api.get(`/api/server-info?contest=${encodeURIComponent(key)}`)
      .then((info) => { infos.set(key, info); })
      .catch(() => { loads.delete(key); }));
  }
  return loads.get(key);
}

/** Store the contest's join address on the server (null: back to the default). */
async function saveJoinBase(contestId, url) {
  const res = await api.put(`/api/contests/${contestId}/join-base`, { join_base_url: url });
  const info = infos.get(contestId) || { lan_urls: [] };
  infos.set(contestId, { ...info, join_base_url: res.join_base_url });
  return res.join_base_url;
}

/** The join card: QR code, link with copy, code, and the join address picker. Returns {el, refresh}. */
export function joinCard(ctx) {
  const el = h('section.card.share', { 'aria-labelledby': 'join-h' });
  let custom = false;       // the "other address" field is open
  let error = null;
  let draft = '';

  async function choose(url) {
    try {
      await saveJoinBase(ctx.id, url);
      error = null;
      custom = false;
      toast(t('console.share.address_saved'), 'info');
    } catch (err) { error = err; }
    render();
  }

  function picker() {
    const choices = baseChoices(ctx.id);
    const current = joinBase(ctx.id);
    const options = choices.map((u) => [u, isLoopbackUrl(u) ? `${u} ${t('console.share.address_local')}` : u]);
    options.push([CUSTOM, t('console.share.address_other')]);
    const input = h('input', {
      type: 'url', value: draft, placeholder: 'http://192.168.1.20:8080',
      'aria-label': t('console.share.address_other'), dataset: { testid: 'join-base-custom' },
      oninput: (e) => { draft = e.target.value; },
      onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); choose(draft.trim()); } },
    });
    return h('div.field.compact',
      h('label', { for: 'join-base' }, t('console.share.address')),
      select(options, custom ? CUSTOM : current, (v) => {
        if (v === CUSTOM) { custom = true; draft = draft || current; render(); return; }
        choose(v);
      }, { id: 'join-base', dataset: { testid: 'join-base' } }),
      custom ? h('div.row.join-base-custom',
        input,
        actionButton('button.btn.small.primary', { dataset: { testid: 'join-base-save' } }, t('console.share.address_save'),
          () => choose(draft.trim())),
        h('button.btn.small', { type: 'button', onclick: () => { custom = false; error = null; render(); } }, t('console.cancel'))) : null,
      error ? h('div.hint.warn', { role: 'alert', dataset: { testid: 'join-base-error' } }, errorText(error)) : null,
      h('div.muted.small', t('console.share.address_hint')));
  }

  function render() {
    const c = ctx.snap.contest;
    const link = joinLink(c.join_code, ctx.id);
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
      picker(),
      joinLinkIsLocal(ctx.id) ? h('div.hint.warn', { dataset: { testid: 'join-base-local' } }, t('console.share.no_lan')) : null);
  }
  if (!infos.has(ctx.id)) loadServerInfo(ctx.id).then(() => { if (el.isConnected) render(); });
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

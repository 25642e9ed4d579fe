// Device changes: a phone asked for a badge whose seat another phone holds (see docs/api.md, "Seats"). The
// organizer approves (the waiting phone takes the seat and the old one is signed out) or refuses. The list comes
// from GET /api/contests/{id}/device-requests and is replaced by every `device_requests` event.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, errorBox, toast } from './common.js';

export function deviceRequestsCard(ctx) {
  const el = h('section.card.device-requests', { 'data-testid': 'device-requests' });
  let requests = [];
  let error = null;
  let busy = false;

  async function load() {
    try {
      const body = await api.get(`/api/contests/${ctx.id}/device-requests`);
      requests = body.requests || [];
      error = null;
    } catch (err) {
      error = err;
    }
    render();
  }

  async function decide(pid, approve) {
    busy = true;
    render();
    try {
      const body = await api.post(`/api/contests/${ctx.id}/participants/${pid}/device-change`, { approve });
      requests = body.requests || [];
      error = null;
      toast(t(approve ? 'console.seat.approved' : 'console.seat.refused'));
    } catch (err) {
      error = err;
      load();
    }
    busy = false;
    render();
  }

  function render() {
    // Nothing pending and nothing wrong: stay out of the way.
    el.hidden = requests.length === 0 && !error;
    mount(el,
      h('h2', t('console.seat.title')),
      h('p.muted', t('console.seat.hint')),
      errorBox(error, 'device-requests-error'),
      h('ul.device-request-list', requests.map((r) => h('li', { 'data-testid': 'device-request' },
        h('span', `${r.name} · ${r.badge || ''} · ${r.unit}`), ' ',
        h('button.btn.primary', {
          type: 'button', disabled: busy || null, 'data-testid': 'device-approve',
          onclick: () => decide(r.participant_id, true),
        }, t('console.seat.approve')), ' ',
        h('button.btn', {
          type: 'button', disabled: busy || null, 'data-testid': 'device-refuse',
          onclick: () => decide(r.participant_id, false),
        }, t('console.seat.refuse'))))));
  }

  const off = ctx.on((kind, msg) => {
    if (kind === 'device_requests') { requests = msg.requests || []; render(); }
    if (kind === 'snapshot') load();
  });
  load();
  return { el, refresh: render, destroy: off };
}

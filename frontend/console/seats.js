// Device changes: a phone asked for a badge whose seat another phone holds (see docs/api.md, "Seats"). The
// organizer approves (the waiting phone takes the seat and the old one is signed out) or refuses. The list is part
// of every organizer snapshot (`device_requests`) and is replaced by every `device_requests` event, so a console
// that (re)connects shows it at once, in order with everything else on the socket.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, errorBox, toast } from './common.js';

export function deviceRequestsCard(ctx) {
  const el = h('section.card.device-requests', { 'data-testid': 'device-requests', 'aria-labelledby': 'device-requests-h' });
  let error = null;
  let busy = false;

  const requests = () => (ctx.snap && ctx.snap.device_requests) || [];
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

  async function decide(pid, approve) {
    busy = true;
    render();
    try {
      const body = await api.post(`/api/contests/${ctx.id}/participants/${pid}/device-change`, { approve });
      // The answer carries the list after the decision; the event that follows says the same.
      if (ctx.snap) ctx.snap.device_requests = body.requests || [];
      error = null;
      toast(t(approve ? 'console.seat.approved' : 'console.seat.refused'));
    } catch (err) {
      error = err;
      ctx.resync();
    }
    busy = false;
    render();
  }

  function item(r) {
    return h('li.device-request', { 'data-testid': 'device-request', 'data-pid': String(r.participant_id) },
      h('div.device-request-who',
        h('div',
          h('strong', r.name),
          h('span.muted', ` · ${t('console.seat.badge')} `, h('span.mono', r.badge || '')),
          h('span.muted', ` · ${r.unit}`)),
        r.requested_at ? h('div.hint', t('console.seat.requested_at', { time: clock(r.requested_at) })) : null),
      h('div.row.tight.device-request-actions',
        h('button.btn.primary.small', {
          type: 'button', disabled: busy || null, 'data-testid': 'device-approve',
          onclick: () => decide(r.participant_id, true),
        }, t('console.seat.approve')),
        h('button.btn.small', {
          type: 'button', disabled: busy || null, 'data-testid': 'device-refuse',
          onclick: () => decide(r.participant_id, false),
        }, t('console.seat.refuse'))));
  }

  function render() {
    const list = requests();
    // Nothing pending and nothing wrong: stay out of the way.
    el.hidden = list.length === 0 && !error;
    mount(el,
      h('h2#device-requests-h', t('console.seat.title'), list.length ? h('span.count-badge', String(list.length)) : null),
      h('p.muted', t('console.seat.hint')),
      errorBox(error, 'device-requests-error'),
      h('ul.device-request-list', list.map(item)));
  }

  const off = ctx.on((kind) => {
    if (kind === 'device_requests' || kind === 'snapshot') render();
  });
  render();
  return { el, refresh: render, destroy: off };
}

// Roster import (CSV pasted or chosen as a file; all rows or none, every error with its row; an optional
// per-person secret column), the link to the printable join slips, and the participants table with joined /
// connected / tab-switch state, kept current by `participants` events. Secrets are not shown here.

import { t } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, errorBox, readBytes, toast, actionButton, nextId } from './common.js';

/** The roster import card. */
export function rosterCard(ctx) {
  const el = h('section.card', { 'aria-labelledby': 'roster-h' });
  const state = { text: '', file: null, error: null, result: null };
  const slipsEl = h('div.slips-row-host');

  function render() {
    const finished = ctx.snap.contest.state === 'finished';
    const areaId = nextId('roster');
    const fileId = nextId('rosterfile');
    const area = h('textarea.mono', {
      id: areaId, rows: 6, value: state.text, placeholder: '姓名,警号,单位\n张三,010001,刑侦大队',
      spellcheck: false, dataset: { testid: 'roster-text' },
    });
    area.value = state.text;
    area.addEventListener('input', () => { state.text = area.value; if (state.text) clearFile(); });
    const file = h('input', { type: 'file', id: fileId, accept: '.csv,text/csv,text/plain', dataset: { testid: 'roster-file' } });
    file.addEventListener('change', () => { state.file = file.files[0] || null; render(); });
    function clearFile() { if (state.file) { state.file = null; file.value = ''; fileName.textContent = ''; } }
    const fileName = h('span.muted', state.file ? state.file.name : '');
    if (finished) {
      mount(el, h('h2#roster-h', t('console.roster.title')), h('p.muted', t('console.roster.closed')));
      return;
    }
    mount(el,
      h('h2#roster-h', t('console.roster.title')),
      h('p.muted', ctx.snap.contest.join_mode === 'open' ? t('console.roster.lead_open') : t('console.roster.lead')),
      h('div.field',
        h('label', { for: areaId }, t('console.roster.paste')),
        area),
      h('div.row',
        file,
        h('label.btn.small.file-btn', { for: fileId }, t('console.roster.choose')),
        fileName,
        h('div.spacer'),
        actionButton('button.btn.primary', { dataset: { testid: 'roster-import' } }, t('console.roster.import'), doImport)),
      h('p.hint', { dataset: { testid: 'roster-secret-hint' } }, t('console.roster.secret_hint')),
      state.result ? h('div.alert.ok', { role: 'status', dataset: { testid: 'roster-result' } },
        t('console.roster.imported', { n: state.result.imported }),
        state.result.secret_kind ? ` · ${t('console.roster.with_secret', { label: t(`console.secret.${state.result.secret_kind}`) })}` : null) : null,
      errorBox(state.error, 'roster-error'),
      slipsEl);
    updateSlips();
  }

  /** Printable join slips, once there are roster officers (opens in a new tab, ready to print). */
  function updateSlips() {
    const officers = (ctx.snap.participants || []).filter((p) => p.badge).length;
    if (ctx.snap.contest.join_mode === 'open' && !officers) { mount(slipsEl); return; }
    mount(slipsEl, h('div.row.slips-row',
      h('span.muted.small', t('console.slips.lead_short')),
      h('div.spacer'),
      officers
        ? h('a.btn.small', {
          href: `#/c/${ctx.id}/slips`, target: '_blank', rel: 'noopener', dataset: { testid: 'slips-open' },
        }, t('console.slips.open'))
        : h('button.btn.small', { type: 'button', disabled: true, dataset: { testid: 'slips-open' } }, t('console.slips.open'))));
  }

  async function doImport() {
    state.error = null;
    state.result = null;
    let body = null;
    if (state.file) body = await readBytes(state.file);
    else if (state.text.trim()) body = state.text;
    if (body == null) {
      state.error = { code: 'roster_empty', message: t('console.roster.empty') };
      render();
      return;
    }
    try {
      state.result = await api.upload(`/api/contests/${ctx.id}/roster`, body, 'text/csv');
      state.text = '';
      state.file = null;
      toast(t('console.roster.imported', { n: state.result.imported }));
      ctx.resync();
    } catch (err) {
      state.error = err;
    }
    render();
  }

  render();
  return { el, refresh: render, update: updateSlips };
}

/** The participants table. */
export function participantsCard(ctx, { compact = false } = {}) {
  const el = h('section.card.flush', { 'aria-labelledby': 'people-h' });
  const state = { filter: '', onlyMissing: false };
  let bodyEl = null;
  let summaryEl = null;

  function rows() {
    const q = state.filter.trim().toLowerCase();
    return (ctx.snap.participants || []).filter((p) => {
      if (state.onlyMissing && p.joined && p.connected) return false;
      if (!q) return true;
      return [p.name, p.badge, p.unit].some((v) => v && String(v).toLowerCase().includes(q));
    });
  }

  function renderRows() {
    const list = ctx.snap.participants || [];
    const joined = list.filter((p) => p.joined).length;
    const connected = list.filter((p) => p.connected).length;
    summaryEl.textContent = t('console.people.summary', { total: list.length, joined, connected });
    const shown = rows();
    mount(bodyEl, shown.length === 0
      ? h('tr', h('td.empty', { colspan: 6 }, list.length ? t('console.people.none_match') : t('console.people.none')))
      : shown.map((p) => h('tr', { dataset: { testid: 'participant-row', id: p.id } },
        h('td', p.name),
        h('td.mono', p.badge || '–'),
        h('td', p.unit),
        h('td', p.joined ? h('span.pill.green', t('console.people.joined_yes')) : h('span.pill', t('console.people.joined_no'))),
        h('td', h('span.presence' + (p.connected ? '.on' : ''), h('span.dot', { 'aria-hidden': 'true' }),
          p.connected ? t('console.people.online') : t('console.people.offline'))),
        h('td.num', p.tab_switches ? h('span.pill.gold', { title: t('console.people.tab_switches') }, p.tab_switches) : '0'))));
  }

  function render() {
    const search = h('input.search', {
      type: 'search', value: state.filter, placeholder: t('console.people.search'),
      'aria-label': t('console.people.search'), dataset: { testid: 'participant-search' },
    });
    search.addEventListener('input', () => { state.filter = search.value; renderRows(); });
    const missing = h('input', { type: 'checkbox', id: nextId('miss'), checked: state.onlyMissing });
    missing.addEventListener('change', () => { state.onlyMissing = missing.checked; renderRows(); });
    mount(el,
      h('div.card-head',
        h('h2#people-h', t('console.people.title')),
        summaryEl = h('span.muted', { dataset: { testid: 'participant-summary' } }),
        h('div.spacer'),
        h('label.check', { for: missing.id }, missing, h('span', t('console.people.only_missing'))),
        search),
      h('div.table-scroll' + (compact ? '.short' : ''),
        h('table.data', { dataset: { testid: 'participants-table' } },
          h('thead', h('tr',
            h('th', { scope: 'col' }, t('common.name')),
            h('th', { scope: 'col' }, t('console.people.badge')),
            h('th', { scope: 'col' }, t('common.unit')),
            h('th', { scope: 'col' }, t('console.people.joined')),
            h('th', { scope: 'col' }, t('console.people.connection')),
            h('th.num', { scope: 'col' }, t('console.people.tab_switches')))),
          bodyEl = h('tbody'))));
    renderRows();
  }

  render();
  return { el, refresh: render, update: renderRows };
}

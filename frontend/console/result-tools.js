// Results tools of the results tab (docs/results.md): the exports (Excel workbook, CSV of the ranking), the
// printable results report and certificates, each participant's printable answer sheet (答题卡), the award tier
// editor and the switch that lets participants see their answer sheet on the phone.
//
// Downloads carry the organizer token in the header (fetched, then handed to the browser as a blob). Printable
// pages open in a new tab: the tab is opened at once (inside the click, so no popup blocker stops it), then sent
// to the page with a short-lived print ticket (POST …/print-tickets), never with the token in the URL.

import { t, errorText, getLang } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, session, toast, errorBox, actionButton, checkbox, select, nextId } from './common.js';

// The view's stylesheet, added once to the document (the console's index.html lists only the shared sheets).
function ensureStyles() {
  if (document.querySelector('link[data-results-css]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/console/results.css', dataset: { resultsCss: '1' } }));
}

/** The documents' language and the reader's time zone (minutes east of UTC). */
function docParams(extra = {}) {
  return new URLSearchParams({
    lang: getLang() === 'en' ? 'en' : 'zh',
    tz: String(-new Date().getTimezoneOffset()),
    ...extra,
  });
}

/** Fetch a file with the organizer token and hand it to the browser as a download named `filename`. */
async function download(path, filename, label) {
  try {
    const response = await fetch(path, { headers: { authorization: `Bearer ${session.token}` } });
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try { message = errorText((await response.json()).error) || message; } catch { /* not JSON */ }
      throw new Error(message);
    }
    const url = URL.createObjectURL(await response.blob());
    const a = h('a', { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (err) {
    toast(`${label}: ${err.message}`, 'error');
  }
}

/** A file name from the contest title (characters file systems refuse replaced). */
function fileName(title, key) {
  return t(key, { title: String(title || 'contest').replace(/[\\/:*?"<>|]+/g, '_') });
}

/**
 * Open a printable page of contest `id` (path under /api/contests/{id}/) in a new tab, with a print ticket.
 * Must be called from a click handler.
 */
export async function openPrintable(id, path) {
  const tab = window.open('', '_blank');
  if (!tab) { toast(t('console.results.popup_blocked'), 'error'); return; }
  tab.document.title = t('console.loading');
  try {
    const { ticket } = await api.post(`/api/contests/${id}/print-tickets`);
    tab.opener = null;
    tab.location.href = `/api/contests/${id}/${path}?${docParams({ ticket })}`;
  } catch (err) {
    tab.close();
    toast(errorText(err), 'error');
  }
}

/** The card with the exports and the printable documents. */
export function exportsCard(ctx) {
  ensureStyles();
  const el = h('section.card.results-tools', { 'aria-labelledby': 'tools-h', dataset: { testid: 'results-tools' } });
  function render() {
    const title = ctx.snap.contest.title;
    mount(el,
      h('h2#tools-h', t('console.results.tools')),
      h('div.tool-buttons',
        actionButton('button.btn.small', { dataset: { testid: 'results-export-xlsx' } }, t('console.results.export_xlsx'),
          () => download(`/api/contests/${ctx.id}/results.xlsx?${docParams()}`, fileName(title, 'console.results.file_xlsx'), t('console.results.export_xlsx'))),
        actionButton('button.btn.small', { dataset: { testid: 'results-export' } }, t('console.results.export'),
          () => download(`/api/contests/${ctx.id}/results.csv?${docParams()}`, fileName(title, 'console.results.file_csv'), t('console.results.export'))),
        h('button.btn.small', { type: 'button', dataset: { testid: 'results-report' }, onclick: () => openPrintable(ctx.id, 'report') },
          t('console.results.print_report')),
        h('button.btn.small', { type: 'button', dataset: { testid: 'results-certificates' }, onclick: () => openPrintable(ctx.id, 'certificates') },
          t('console.results.print_certificates'))),
      h('p.muted.small', t('console.results.tools_hint')));
  }
  render();
  return { el, relang: render };
}

const RULES = ['count', 'min_score'];

/** Problems of the tiers as edited, in the UI language (the server checks again). */
function tierProblems(tiers) {
  const problems = [];
  tiers.forEach((tier, i) => {
    const n = i + 1;
    const name = tier.name.trim();
    if (!name || name.length > 20) problems.push(t('console.awards.bad_name', { n }));
    else if (tiers.slice(0, i).some((other) => other.name.trim() === name)) problems.push(t('console.awards.same_name', { n, name }));
    const value = Number(tier.value);
    if (tier.rule === 'count' && !(Number.isInteger(value) && value >= 1 && value <= 100000)) problems.push(t('console.awards.bad_count', { n }));
    if (tier.rule === 'min_score' && (tier.value === '' || !Number.isFinite(value) || Math.abs(value) > 100000)) problems.push(t('console.awards.bad_score', { n }));
  });
  if (!tiers.length) problems.push(t('console.awards.none'));
  return problems;
}

/** The award tier editor (with how many each tier holds now) and the answer sheet switch. */
export function awardsCard(ctx) {
  ensureStyles();
  const state = { tiers: null, saved: false, awarded: [], visible: null, error: null, problems: [], dirty: false };
  const el = h('section.card.awards-card', { 'aria-labelledby': 'awards-h', dataset: { testid: 'awards-editor' } });

  function fromServer(view) {
    state.tiers = view.tiers.map((tier) => ({
      name: tier.name,
      rule: tier.rule,
      value: String(tier.rule === 'count' ? tier.count : tier.min_score),
    }));
    state.saved = view.saved;
    state.awarded = view.awarded || [];
  }

  async function load() {
    try {
      const [view, sheet] = await Promise.all([
        api.get(`/api/contests/${ctx.id}/awards?${docParams()}`),
        api.get(`/api/contests/${ctx.id}/answer-sheet-visibility`),
      ]);
      if (!state.dirty) fromServer(view);
      else state.awarded = view.awarded || [];
      state.visible = sheet.visible;
      state.error = null;
    } catch (err) {
      state.error = err;
    }
    render();
  }

  async function save() {
    state.problems = tierProblems(state.tiers);
    state.error = null;
    if (state.problems.length) { render(); return; }
    const tiers = state.tiers.map((tier) => (tier.rule === 'count'
      ? { name: tier.name.trim(), rule: 'count', count: Number(tier.value) }
      : { name: tier.name.trim(), rule: 'min_score', min_score: Number(tier.value) }));
    try {
      fromServer(await api.put(`/api/contests/${ctx.id}/awards`, { tiers }));
      state.dirty = false;
      toast(t('console.awards.saved'));
    } catch (err) {
      state.error = err;
    }
    render();
  }

  async function setVisible(visible) {
    try {
      const view = await api.put(`/api/contests/${ctx.id}/answer-sheet-visibility`, { visible });
      state.visible = view.visible;
      toast(t(view.visible ? 'console.sheet.on' : 'console.sheet.off'));
    } catch (err) {
      toast(errorText(err), 'error');
    }
    render();
  }

  function edit(i, field, value) {
    state.tiers[i][field] = value;
    state.dirty = true;
    state.problems = [];
  }

  function tierRow(tier, i) {
    const nameId = nextId('award-name');
    const valueId = nextId('award-value');
    const name = h('input', {
      id: nameId, type: 'text', value: tier.name, maxlength: 20, autocomplete: 'off', dataset: { testid: 'award-name' },
    });
    name.addEventListener('input', () => edit(i, 'name', name.value));
    const value = h('input.num', {
      id: valueId, type: 'number', value: tier.value, step: tier.rule === 'count' ? 1 : 0.01, min: tier.rule === 'count' ? 1 : null,
      dataset: { testid: 'award-value' },
    });
    value.addEventListener('input', () => edit(i, 'value', value.value));
    const rule = select(RULES.map((r) => [r, t(`console.awards.rule.${r}`)]), tier.rule, (v) => { edit(i, 'rule', v); render(); },
      { dataset: { testid: 'award-rule' }, 'aria-label': t('console.awards.rule') });
    const awarded = !state.dirty && state.awarded[i] ? state.awarded[i].count : null;
    return h('li.award-tier', { dataset: { testid: 'award-tier-row' } },
      h('span.award-order', { 'aria-hidden': 'true' }, String(i + 1)),
      h('div.award-fields',
        h('label.sr-only', { for: nameId }, t('console.awards.name')),
        name,
        rule,
        h('label.sr-only', { for: valueId }, t(tier.rule === 'count' ? 'console.awards.count' : 'console.awards.min_score')),
        value,
        h('span.muted.small.award-unit', t(tier.rule === 'count' ? 'console.awards.unit_people' : 'console.awards.unit_points'))),
      h('span.pill.award-count', { dataset: { testid: 'award-count' } },
        awarded == null ? '–' : t('console.awards.awarded', { n: awarded })),
      h('button.btn.small.icon.danger-text', {
        type: 'button', 'aria-label': t('console.awards.remove', { name: tier.name || i + 1 }), dataset: { testid: 'award-remove' },
        disabled: state.tiers.length <= 1 || null,
        onclick: () => { state.tiers.splice(i, 1); state.dirty = true; render(); },
      }, '×'));
  }

  function render() {
    if (!state.tiers) {
      mount(el, h('h2#awards-h', t('console.awards.title')), state.error ? errorBox(state.error) : h('p.empty', t('console.loading')));
      return;
    }
    mount(el,
      h('div.card-head.plain', h('h2#awards-h', t('console.awards.title')),
        !state.saved ? h('span.pill', { dataset: { testid: 'awards-default' } }, t('console.awards.default')) : null),
      h('p.muted.small', t('console.awards.lead')),
      h('ol.award-tiers', state.tiers.map(tierRow)),
      state.problems.length ? h('ul.alert.award-problems', { role: 'alert', dataset: { testid: 'awards-problems' } },
        state.problems.map((p) => h('li', p))) : null,
      errorBox(state.error, 'awards-error'),
      h('div.row',
        h('button.btn.small', {
          type: 'button', dataset: { testid: 'award-add' }, disabled: state.tiers.length >= 10 || null,
          onclick: () => {
            state.tiers.push({ name: t('console.awards.new_name'), rule: 'count', value: '10' });
            state.dirty = true;
            render();
          },
        }, t('console.awards.add')),
        h('div.spacer'),
        actionButton('button.btn.small.primary', { dataset: { testid: 'awards-save' } }, t('console.awards.save'), save)),
      h('hr'),
      h('h3', t('console.results.answer_sheet')),
      state.visible == null ? null : checkbox(t('console.sheet.visible'), state.visible, setVisible, 'answer-sheet-visible'),
      h('p.muted.small', t('console.sheet.visible_hint')));
  }

  render();
  load();
  return { el, reload: load, relang: render };
}

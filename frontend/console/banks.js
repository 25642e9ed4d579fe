// Question banks: import TOML files, or one xlsx/csv/GIFT/Aiken/Moodle XML file into a named bank (all or
// nothing; every error with file and line, or sheet and row), the template download, the bank list with export
// and the bank check (linter: docs/bank-lint.md), and a question browser with filters (bank, category, type,
// difficulty, text) and a detail pane with key, explanation and source.

import { t } from '/shared/i18n.js';
import { h, mount, letter } from '/shared/ui.js';
import { api, errorBox, pageHeader, formatDateTime, readFiles, readBytes, toast, actionButton, select, debounce, choiceLetters, nextId, session } from './common.js';
import { categoryOptions, TYPES } from './round-editor.js';
import { statsPanel } from './analysis.js';

const PAGE = 50;
// Files other than native TOML are sent one at a time, as bytes, with the bank to import into.
const ACCEPT = '.toml,.xlsx,.csv,.tsv,.gift,.aiken,.txt,.xml,application/toml,text/plain';
const isNative = (file) => /\.toml$/i.test(file.name);
// The browser's filters survive leaving and re-entering the screen.
const filters = { bank: '', category: '', type: '', difficulty: '', q: '', offset: 0 };

export function open(container) {
  const state = { banks: null, counts: [], list: null, selected: null, importError: null, importResult: null, files: [], bankId: '', error: null, lint: null };
  const root = h('div.page.wide');
  container.append(root);
  const importEl = h('section.card', { 'aria-labelledby': 'imp-h' });
  const banksEl = h('section.card.flush', { 'aria-labelledby': 'bl-h' });
  const filterEl = h('div.filters', { role: 'search', 'aria-label': t('console.banks.filters') });
  const listEl = h('div.q-list');
  const detailEl = h('aside.card.q-detail', { 'aria-labelledby': 'qd-h', 'aria-live': 'polite' });
  mount(root,
    pageHeader(t('console.banks.title')),
    h('div.banks-top', importEl, banksEl),
    h('section.card.browser', { 'aria-labelledby': 'br-h' },
      h('h2#br-h', t('console.banks.browse')),
      filterEl,
      h('div.browser-grid', listEl, detailEl)));

  function renderImport() {
    const fileId = nextId('bankfile');
    const input = h('input', { type: 'file', id: fileId, multiple: true, accept: ACCEPT, dataset: { testid: 'bank-files' } });
    input.addEventListener('change', () => { state.files = [...input.files]; state.importError = null; state.importResult = null; renderImport(); });
    const needsBank = state.files.some((f) => !isNative(f));
    const bankInputId = nextId('bankid');
    const bankInput = h('input', {
      id: bankInputId, type: 'text', value: state.bankId, autocomplete: 'off', spellcheck: false,
      pattern: '[A-Za-z0-9_-]*', placeholder: 'party-history', dataset: { testid: 'bank-import-id' },
    });
    bankInput.addEventListener('input', () => { state.bankId = bankInput.value; });
    mount(importEl,
      h('div.row',
        h('h2#imp-h', t('console.banks.import')),
        h('div.spacer'),
        h('button.btn.small', { type: 'button', onclick: downloadTemplate, dataset: { testid: 'bank-template' } }, t('console.banks.template'))),
      h('p.muted', t('console.banks.import_lead')),
      h('p.muted.small', t('console.banks.formats_lead')),
      h('div.row',
        input,
        h('label.btn.file-btn', { for: fileId }, t('console.banks.choose')),
        h('span.muted', state.files.length ? state.files.map((f) => f.name).join('、') : t('console.banks.no_files')),
        h('div.spacer'),
        actionButton('button.btn.primary', { disabled: !state.files.length, dataset: { testid: 'bank-import' } }, t('console.banks.import_btn'), doImport)),
      needsBank ? h('div.row',
        h('label', { for: bankInputId }, t('console.banks.bank_id')), bankInput,
        h('span.muted.small', t('console.banks.bank_id_hint'))) : null,
      state.importResult ? h('div.alert.ok', { role: 'status', dataset: { testid: 'bank-import-result' } },
        t('console.banks.imported', { n: state.importResult.questions, banks: state.importResult.banks.join('、') })) : null,
      errorBox(state.importError, 'bank-import-error'));
  }

  async function doImport() {
    state.importError = null;
    state.importResult = null;
    try {
      if (state.files.every(isNative)) {
        const files = await readFiles(state.files);
        state.importResult = await api.post('/api/banks/import', { files });
      } else if (state.files.length !== 1) {
        throw { code: 'one_bank_file', message: t('err.one_bank_file') };
      } else {
        const [file] = state.files;
        const params = new URLSearchParams({ name: file.name });
        if (state.bankId.trim()) params.set('bank', state.bankId.trim());
        state.importResult = await api.upload('/api/banks/import/file?' + params, await readBytes(file), 'application/octet-stream');
      }
      state.files = [];
      toast(t('console.banks.imported', { n: state.importResult.questions, banks: state.importResult.banks.join('、') }));
      await loadBanks();
      search();
    } catch (err) {
      state.importError = err;
    }
    renderImport();
  }

  // Downloads need the organizer token, so the file is fetched and handed to the browser as a blob.
  async function download(path, filename, label) {
    try {
      const response = await fetch(path, { headers: { authorization: `Bearer ${session.token}` } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
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

  function downloadTemplate() {
    return download('/api/banks/template.xlsx', t('console.banks.template_file'), t('console.banks.template'));
  }

  /** A bank as xlsx (the template's layout: edit it in Excel and import it back) or as native TOML. */
  function exportBank(bank, format) {
    const file = `${bank.id}.${format === 'xlsx' ? 'xlsx' : 'toml'}`;
    return download(`/api/banks/${encodeURIComponent(bank.id)}/export?format=${format}`, file, t('console.banks.export'));
  }

  /** The bank check (GET /api/banks/{id}/lint): its warnings under the bank list. */
  async function lintBank(bank) {
    state.lint = { bank, report: null, error: null };
    renderBanks();
    try {
      state.lint.report = await api.get(`/api/banks/${encodeURIComponent(bank.id)}/lint`);
    } catch (err) {
      state.lint.error = err;
    }
    renderBanks();
  }

  /** Show one question of a warning in the browser below. */
  function showQuestion(bankId, id) {
    Object.assign(filters, { bank: bankId, category: '', type: '', difficulty: '', q: id });
    loadCounts();
    search(true);
    listEl.scrollIntoView({ block: 'nearest' });
  }

  function lintPanel() {
    const { bank, report, error } = state.lint;
    const body = h('div');
    body.style.padding = '0 1.25rem 1rem';
    if (error) mount(body, errorBox(error, 'bank-lint-error'));
    else if (!report) mount(body, h('p.empty', t('console.loading')));
    else {
      mount(body,
        h('p.small', { dataset: { testid: 'bank-lint-summary' } }, t('console.banks.lint_summary', {
          n: report.warnings.length, q: report.questions, ok: report.silenced_by_lint_ok, ex: report.silenced_by_exclusion,
        })),
        report.warnings.length === 0 ? h('p.muted', t('console.banks.lint_none'))
          : h('ul.error-lines', { dataset: { testid: 'bank-lint-warnings' } }, report.warnings.map((w) => h('li',
            { dataset: { testid: 'bank-lint-warning', rule: w.rule } },
            h('span.pill.small-pill', t(`console.lint.rule.${w.rule}`)), ' ',
            w.category ? h('span.muted.small', `${w.category} · `) : null,
            ...w.questions.slice(0, 2).flatMap((q) => [h('button.linkish', {
              type: 'button', title: t('console.banks.lint_show', { id: q.id }),
              onclick: () => showQuestion(w.bank, q.id), dataset: { testid: 'bank-lint-question' },
            }, q.id), ' ']),
            h('span', w.message)))));
    }
    return h('div', { role: 'region', 'aria-labelledby': 'lint-h', 'aria-live': 'polite', dataset: { testid: 'bank-lint-panel', bank: bank.id } },
      h('div.card-head',
        h('h3#lint-h', t('console.banks.lint_title', { bank: bank.title })),
        h('div.spacer'),
        h('button.btn.small', { type: 'button', onclick: () => { state.lint = null; renderBanks(); }, dataset: { testid: 'bank-lint-close' } },
          t('console.banks.lint_close'))),
      body);
  }

  function renderBanks() {
    mount(banksEl,
      h('div.card-head', h('h2#bl-h', t('console.banks.list'))),
      state.banks == null ? h('p.empty', t('console.loading'))
        : h('table.data', { dataset: { testid: 'banks-table' } },
          h('thead', h('tr',
            h('th', { scope: 'col' }, t('console.banks.col.title')),
            h('th', { scope: 'col' }, t('console.banks.col.lang')),
            h('th.num', { scope: 'col' }, t('console.banks.col.count')),
            h('th', { scope: 'col' }, t('console.banks.col.imported')),
            h('th', { scope: 'col' }, t('console.banks.col.actions')))),
          h('tbody', state.banks.map((b) => h('tr',
            h('td', h('div.strong', b.title), h('div.muted.small.mono', b.id)),
            h('td', b.language),
            h('td.num', b.question_count),
            h('td.nowrap', formatDateTime(b.imported_at)),
            h('td.actions',
              h('button.btn.small', { type: 'button', onclick: () => exportBank(b, 'xlsx'),
                dataset: { testid: 'bank-export-xlsx', bank: b.id } }, 'Excel'),
              h('button.btn.small', { type: 'button', onclick: () => exportBank(b, 'native'),
                dataset: { testid: 'bank-export-native', bank: b.id } }, 'TOML'),
              h('button.btn.small', { type: 'button', onclick: () => lintBank(b),
                dataset: { testid: 'bank-lint', bank: b.id } }, t('console.banks.lint'))))))),
      state.lint ? lintPanel() : null);
  }

  function renderFilters() {
    const bankSel = select([['', t('console.banks.all_banks')], ...(state.banks || []).map((b) => [b.id, b.title])], filters.bank,
      (v) => { filters.bank = v; filters.category = ''; loadCounts(); search(true); },
      { id: 'f-bank', dataset: { testid: 'filter-bank' } });
    const cat = h('select#f-category', { dataset: { testid: 'filter-category' } }, categoryOptions(state.counts, filters.category, t('console.banks.all_categories')));
    cat.addEventListener('change', () => { filters.category = cat.value; search(true); });
    const type = select([['', t('console.quota.any_type')], ...TYPES.map((ty) => [ty, t(`type.${ty}`)])], filters.type,
      (v) => { filters.type = v; search(true); }, { id: 'f-type', dataset: { testid: 'filter-type' } });
    const diffs = [...new Set(state.counts.map((c) => c.difficulty))].sort();
    const diff = select([['', t('console.quota.any_difficulty')], ...diffs.map((d) => [d, t('console.difficulty.n', { n: d })])], filters.difficulty,
      (v) => { filters.difficulty = v; search(true); }, { id: 'f-diff', dataset: { testid: 'filter-difficulty' } });
    const q = h('input#f-q', { type: 'search', value: filters.q, placeholder: t('console.banks.search_ph'), dataset: { testid: 'filter-q' } });
    const typed = debounce(() => search(true), 300);
    q.addEventListener('input', () => { filters.q = q.value; typed(); });
    const lab = (forId, text) => h('label', { for: forId }, text);
    mount(filterEl,
      h('div.f', lab('f-bank', t('console.banks.bank')), bankSel),
      h('div.f.wide', lab('f-category', t('console.quota.category')), cat),
      h('div.f', lab('f-type', t('console.quota.type')), type),
      h('div.f', lab('f-diff', t('console.quota.difficulty')), diff),
      h('div.f.wide', lab('f-q', t('console.banks.search')), q));
  }

  function renderList() {
    const list = state.list;
    if (!list) { mount(listEl, state.error ? errorBox(state.error) : h('p.empty', t('console.loading'))); return; }
    const from = list.total ? filters.offset + 1 : 0;
    const to = filters.offset + list.questions.length;
    mount(listEl,
      h('div.row.list-head',
        h('span.muted', { dataset: { testid: 'question-total' } },
          list.total ? t('console.banks.range', { from, to, total: list.total }) : t('console.banks.none')),
        h('div.spacer'),
        h('button.btn.small', { type: 'button', disabled: filters.offset === 0, onclick: () => page(-1), dataset: { testid: 'page-prev' } }, t('console.prev')),
        h('button.btn.small', { type: 'button', disabled: to >= list.total, onclick: () => page(1), dataset: { testid: 'page-next' } }, t('console.next'))),
      list.questions.length === 0 ? h('p.empty', t(list.total ? 'console.banks.no_match' : 'console.banks.none_hint'))
        : h('ul.q-rows', { dataset: { testid: 'question-list' } }, list.questions.map((q) => h('li',
          h('button.q-row' + (state.selected && state.selected.uid === q.uid ? '.active' : ''), {
            type: 'button', onclick: () => { state.selected = q; renderList(); renderDetail(); },
            'aria-pressed': String(!!(state.selected && state.selected.uid === q.uid)), dataset: { testid: 'question-row' },
          },
          h('span.q-row-meta', h('span.pill', t(`type.${q.type}`)), h('span.muted.small', q.id), q.review && q.review.review ? h('span.pill.red.small-pill', { dataset: { testid: 'question-review-mark' } }, t('console.analysis.review_marked')) : null),
          h('span.q-row-stem', q.stem),
          h('span.muted.small.q-row-cat', `${q.category} · ${t('console.difficulty.n', { n: q.difficulty })}`))))));
  }

  function renderDetail() {
    const q = state.selected;
    if (!q) { mount(detailEl, h('h2#qd-h.sr-only', t('console.banks.detail')), h('p.empty', t('console.banks.pick'))); return; }
    const key = q.answer || {};
    const correct = new Set(key.choice || []);
    mount(detailEl,
      h('div.q-meta',
        h('h2#qd-h.q-id', q.id),
        h('span.pill', t(`type.${q.type}`)),
        h('span.pill', t('console.difficulty.n', { n: q.difficulty })),
        q.points ? h('span.pill', `${q.points} ${t('unit.points')}`) : null),
      h('div.muted.small', `${q.bank_id} · ${q.category}`),
      h('p.stem', { dataset: { testid: 'detail-stem' } }, q.stem),
      q.options && q.options.length ? h('ol.options', q.options.map((o, i) => h('li.option' + (correct.has(i) ? '.correct' : ''),
        h('span.opt-letter', letter(i)), h('span.opt-text', o), correct.has(i) ? h('span.opt-mark', '✓') : null))) : null,
      h('div.key', { dataset: { testid: 'detail-answer' } }, h('span.key-label', t('console.run.answer')),
        key.choice ? h('strong', choiceLetters(key.choice)) : null,
        key.blanks ? h('ol.blanks', key.blanks.map((alts, i) => h('li', h('span.muted', t('console.run.blank_n', { n: i + 1 })), ' ', h('strong', alts.join(' / '))))) : null),
      h('div.explanation', h('span.key-label', t('console.run.explanation')), ' ', q.explanation),
      h('p.small', h('span.key-label', t('console.question.source')), ' ', q.source),
      q.tags && q.tags.length ? h('div.row.tight', q.tags.map((tag) => h('span.pill.gold', tag))) : null,
      statsPanel(q, (review) => { q.review = review; renderList(); renderDetail(); }));
  }

  function page(dir) {
    filters.offset = Math.max(0, filters.offset + dir * PAGE);
    search();
    listEl.scrollIntoView({ block: 'nearest' });
  }

  let seq = 0;
  async function search(reset = false) {
    if (reset) filters.offset = 0;
    const params = new URLSearchParams({ offset: filters.offset, limit: PAGE });
    for (const k of ['bank', 'category', 'type', 'difficulty', 'q']) if (filters[k]) params.set(k, filters[k]);
    const mine = ++seq;
    try {
      const list = await api.get('/api/questions?' + params);
      if (mine !== seq) return;
      state.list = list;
      state.error = null;
      if (!state.selected || !list.questions.some((q) => q.uid === state.selected.uid)) state.selected = list.questions[0] || null;
    } catch (err) {
      if (mine !== seq) return;
      state.error = err;
      state.list = null;
    }
    renderList();
    renderDetail();
  }

  async function loadBanks() {
    try { state.banks = await api.get('/api/banks'); } catch (err) { state.error = err; state.banks = []; }
    renderBanks();
    renderFilters();
  }

  async function loadCounts() {
    try {
      state.counts = await api.get('/api/categories' + (filters.bank ? '?banks=' + encodeURIComponent(filters.bank) : ''));
    } catch { state.counts = []; }
    renderFilters();
  }

  function renderAll() {
    root.querySelector('.page-head h1').textContent = t('console.banks.title');
    root.querySelector('#br-h').textContent = t('console.banks.browse');
    filterEl.setAttribute('aria-label', t('console.banks.filters'));
    renderImport();
    renderBanks();
    renderFilters();
    renderList();
    renderDetail();
  }

  renderAll();
  loadBanks();
  loadCounts();
  search();
  return { relang: renderAll };
}

// Organizer login: user name and password → token, then the contest list.

import { t, errorText } from '/shared/i18n.js';
import { h, mount } from '/shared/ui.js';
import { api, session, go, field } from './common.js';

export function open(container) {
  const state = { username: 'admin', password: '', error: null, busy: false };
  const root = h('div.login-wrap');
  container.append(root);

  function render() {
    const user = h('input', {
      name: 'username', autocomplete: 'username', value: state.username, required: true,
      dataset: { testid: 'login-username' }, oninput: (e) => { state.username = e.target.value; },
    });
    const pass = h('input', {
      name: 'password', type: 'password', autocomplete: 'current-password', value: state.password, required: true,
      dataset: { testid: 'login-password' }, oninput: (e) => { state.password = e.target.value; },
    });
    const form = h('form.card.login-card', { onsubmit: submit, 'aria-labelledby': 'login-title' },
      h('div.login-seal', { 'aria-hidden': 'true' }, '竞'),
      h('h1#login-title', t('console.login.title')),
      h('p.muted', t('console.login.lead')),
      state.error ? h('div.alert', { role: 'alert', dataset: { testid: 'login-error' } }, state.error) : null,
      field(t('console.login.username'), user),
      field(t('console.login.password'), pass),
      h('button.btn.primary.block', { type: 'submit', disabled: state.busy, dataset: { testid: 'login-submit' } },
        state.busy ? t('console.login.busy') : t('console.login.submit')));
    mount(root, form);
    (state.username ? pass : user).focus();
  }

  async function submit(e) {
    e.preventDefault();
    state.busy = true;
    state.error = null;
    render();
    try {
      const res = await api.post('/api/auth/login', { username: state.username.trim(), password: state.password });
      session.setToken(res.token);
      go('#/');
    } catch (err) {
      state.busy = false;
      state.error = errorText(err);
      state.password = '';
      render();
    }
  }

  render();
  return { relang: render };
}

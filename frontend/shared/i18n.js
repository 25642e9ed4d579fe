// Translations. zh-CN is the default; the choice is remembered in localStorage. Each app registers its own
// strings with addStrings(); shared strings live here. Elements with data-i18n="key" (text) or
// data-i18n-placeholder / data-i18n-aria-label / data-i18n-title are translated by applyI18n().

const STORAGE_KEY = 'jingsai.lang';
const dictionaries = {
  'zh-CN': {
    'lang.switch': 'English',
    'conn.connecting': '正在连接…',
    'conn.closed': '连接已断开，正在重连…',
    'conn.replaced': '该账号已在其他设备登录，本页已退出。',
    'conn.denied': '登录已失效，请重新进入。',
    'type.single': '单选题',
    'type.multiple': '多选题',
    'type.true_false': '判断题',
    'type.fill': '填空题',
    'unit.points': '分',
    'common.rank': '名次',
    'common.score': '得分',
    'common.name': '姓名',
    'common.unit': '单位',
    'common.correct': '答对',
    'common.seconds': '秒',
    'err.network': '网络连接失败，请检查网络后重试。',
    'err.unknown_contest': '比赛码不正确，请核对后重新输入。',
    'err.unknown_badge': '该警号不在本场比赛名单中。',
    'err.badge_required': '请输入警号。',
    'err.name_required': '请输入姓名和单位。',
    'err.contest_finished': '本场比赛已结束。',
    'err.answer_late': '已超过答题时间，答案未被接收。',
    'err.question_closed': '本题已结束作答。',
    'err.question_paused': '比赛已暂停，请稍候。',
    'err.already_answered': '本题已作答，不能修改。',
    'err.deadline_passed': '考试时间已到，答案未被接收。',
    'err.paper_submitted': '试卷已提交。',
    'err.session_replaced': '该账号已在其他设备登录。',
    'err.token_expired': '登录已过期，请重新登录。',
    'err.token_revoked': '登录已结束（已退出登录或密码已修改），请重新登录。',
    'err.bad_credentials': '用户名或密码错误。',
    'err.invalid_answer': '答案格式不正确。',
  },
  en: {
    'lang.switch': '中文',
    'conn.connecting': 'Connecting…',
    'conn.closed': 'Connection lost, reconnecting…',
    'conn.replaced': 'This account logged in on another device; this page has been signed out.',
    'conn.denied': 'Your login is no longer valid. Please join again.',
    'type.single': 'Single choice',
    'type.multiple': 'Multiple choice',
    'type.true_false': 'True or false',
    'type.fill': 'Fill in the blank',
    'unit.points': 'pts',
    'common.rank': 'Rank',
    'common.score': 'Score',
    'common.name': 'Name',
    'common.unit': 'Unit',
    'common.correct': 'Correct',
    'common.seconds': 's',
    'err.network': 'Network error. Check the connection and try again.',
    'err.unknown_contest': 'Unknown contest code. Please check it and try again.',
    'err.unknown_badge': 'This badge number is not on the roster of this contest.',
    'err.badge_required': 'Enter your badge number.',
    'err.name_required': 'Enter your name and unit.',
    'err.contest_finished': 'This contest has finished.',
    'err.answer_late': 'Too late: the time for this question was up.',
    'err.question_closed': 'This question has closed.',
    'err.question_paused': 'The contest is paused. Please wait.',
    'err.already_answered': 'You already answered this question.',
    'err.deadline_passed': 'Time is up; the answer was not accepted.',
    'err.paper_submitted': 'The paper has been submitted.',
    'err.session_replaced': 'This account logged in on another device.',
    'err.token_expired': 'Your login expired. Please log in again.',
    'err.token_revoked': 'This login has ended (logged out or the password was changed). Please log in again.',
    'err.bad_credentials': 'Wrong user name or password.',
    'err.invalid_answer': 'The answer is not valid.',
  },
};

const listeners = new Set();
let lang = (() => {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch { /* private mode */ }
  return 'zh-CN';
})();

/** Register app strings: addStrings({ 'zh-CN': {...}, en: {...} }). */
export function addStrings(strings) {
  for (const [l, table] of Object.entries(strings)) Object.assign(dictionaries[l] ||= {}, table);
}

/** Translate `key`, replacing {name} placeholders from `vars`. Falls back to zh-CN, then to the key. */
export function t(key, vars = {}) {
  const text = (dictionaries[lang] && dictionaries[lang][key]) ?? dictionaries['zh-CN'][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
}

/** A translated message for an ApiError: the specific text for its code, else the server's message. */
export function errorText(err) {
  if (!err) return '';
  const key = `err.${err.code}`;
  const text = t(key);
  return text === key ? (err.message || String(err)) : text;
}

export function getLang() { return lang; }

export function setLang(next) {
  if (next !== 'en' && next !== 'zh-CN') return;
  lang = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch { /* ignore */ }
  document.documentElement.lang = next;
  applyI18n(document);
  for (const fn of listeners) fn(next);
}

export function toggleLang() { setLang(lang === 'en' ? 'zh-CN' : 'en'); }

export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function applyI18n(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ['placeholder', 'aria-label', 'title']) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`)));
  }
}

document.documentElement.lang = lang;

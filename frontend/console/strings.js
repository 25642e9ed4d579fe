// Console strings: zh-CN (default) and English, registered with the shared i18n module by app.js.

import { zh } from './strings-zh.js';
import { en } from './strings-en.js';

export const STRINGS = { 'zh-CN': zh, en };

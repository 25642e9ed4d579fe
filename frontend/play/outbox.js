// The answer outbox: every answer goes through here. An answer is kept (in memory and in localStorage) until
// the server acknowledged it, and resent automatically after a network failure. The server deduplicates, so a
// resend of an answer that did arrive returns `duplicate: true`, which counts as an acknowledgement too.
//
// Answers are sent one at a time, oldest first, so two versions of the same exam answer can never overtake
// each other. A newer version of an answer replaces the queued one (only the latest matters).
//
// `send(body)` delivers one answer and resolves with the server's acknowledgement (see calls.js: over the live
// socket when it is open, else over HTTP); it rejects with an ApiError-like {status, code} otherwise.

/** Errors after which sending the same answer again may succeed. */
function retryable(err) {
  return err.status === 0 || err.status >= 500 || err.status === 429 || err.code === 'question_paused';
}

export const answerKey = (roundId, index) => `${roundId}:${index}`;

/** The phone knows it is offline (or its live connection dropped): an answer on its way waits for the network. */
export const phoneOffline = (app) => navigator.onLine === false || app.conn === 'closed';

/**
 * createOutbox({ send(body), storageKey, onChange(key), onUnauthorized(err) })
 * status(key) → { state: 'queued'|'sending'|'retrying'|'saved'|'error', body, error } or null
 */
export function createOutbox({ send, storageKey, onChange = () => {}, onUnauthorized = () => {} }) {
  /** key → { body, seq } waiting to be sent (persisted). */
  let queue = load();
  /** key → status for the UI (memory only). */
  const status = new Map();
  let seq = Date.now();
  let running = false;
  let stopped = false;
  let retryTimer = null;
  let delayTimer = null;
  let failures = 0;
  let lastError = null;

  for (const [key, entry] of Object.entries(queue)) status.set(key, { state: 'queued', body: entry.body });

  function load() {
    try {
      const data = JSON.parse(localStorage.getItem(storageKey));
      return data && typeof data === 'object' ? data : {};
    } catch { return {}; }
  }
  function save() {
    try {
      if (Object.keys(queue).length) localStorage.setItem(storageKey, JSON.stringify(queue));
      else localStorage.removeItem(storageKey);
    } catch { /* storage full or private mode: the answer still lives in memory */ }
  }
  function set(key, value) {
    status.set(key, value);
    onChange(key);
  }

  /** Queue an answer (replacing a queued older version of it) and send it after `delay` ms. */
  function put(body, { delay = 0 } = {}) {
    const key = answerKey(body.round_id, body.index);
    queue[key] = { body, seq: ++seq };
    save();
    // While the outbox waits for the network, a new answer waits with the others.
    set(key, failures > 0 ? { state: 'retrying', body, error: lastError } : { state: 'queued', body });
    clearTimeout(delayTimer);
    if (delay > 0) delayTimer = setTimeout(flush, delay);
    else flush();
    return key;
  }

  async function flush() {
    if (running || stopped) return;
    running = true;
    clearTimeout(retryTimer);
    try {
      for (;;) {
        const next = Object.entries(queue).sort((a, b) => a[1].seq - b[1].seq)[0];
        if (!next) break;
        const [key, entry] = next;
        set(key, { state: status.get(key)?.state === 'retrying' ? 'retrying' : 'sending', body: entry.body });
        try {
          const ack = await send(entry.body);
          failures = 0;
          if (queue[key] && queue[key].seq === entry.seq) {
            delete queue[key];
            save();
            set(key, { state: 'saved', body: entry.body, ack });
          }
          // else: a newer version was queued meanwhile; the loop sends it next.
        } catch (err) {
          if (err.status === 401) {
            stopped = true;
            set(key, { state: 'queued', body: entry.body });
            onUnauthorized(err);
            return;
          }
          if (retryable(err)) {
            failures += 1;
            lastError = err;
            set(key, { state: 'retrying', body: entry.body, error: err });
            // Everything queued behind it waits for the same network: say so rather than "sending".
            for (const [other, e] of Object.entries(queue)) {
              if (other !== key && status.get(other)?.state !== 'retrying') {
                set(other, { state: 'retrying', body: e.body, error: err });
              }
            }
            const wait = Math.min(8000, 500 * 2 ** Math.min(failures, 4));
            retryTimer = setTimeout(flush, wait);
            return;
          }
          failures = 0; // the server answered: the network is there
          if (queue[key] && queue[key].seq === entry.seq) {
            delete queue[key];
            save();
            set(key, { state: 'error', body: entry.body, error: err });
          }
        }
      }
    } finally {
      running = false;
    }
  }

  window.addEventListener('online', () => flush());

  return {
    put,
    flush,
    status: (key) => status.get(key) || null,
    /** True while sending fails for a reason worth retrying (network down, server busy) and nothing got through since. */
    waiting: () => failures > 0,
    /** Mark an answer the server already holds (from a snapshot) as saved, unless a newer one is queued. */
    markSaved(body) {
      const key = answerKey(body.round_id, body.index);
      if (!queue[key]) status.set(key, { state: 'saved', body });
    },
    /** Answers of a round still waiting to be sent. */
    pending(roundId) {
      return Object.values(queue).filter((e) => e.body.round_id === roundId).map((e) => e.body);
    },
    hasPending(roundId) {
      return Object.values(queue).some((e) => roundId == null || e.body.round_id === roundId);
    },
    /** Drop queued answers of a round (e.g. after it ended: they can no longer be accepted). */
    drop(roundId) {
      let changed = false;
      for (const [key, e] of Object.entries(queue)) {
        if (e.body.round_id === roundId) { delete queue[key]; changed = true; }
      }
      if (changed) save();
    },
    stop() { stopped = true; clearTimeout(retryTimer); clearTimeout(delayTimer); },
  };
}

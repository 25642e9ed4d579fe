// WebSocket client shared by the three apps: reconnects with backoff, keeps a server clock, hands every message
// to the app. The server sends a full `snapshot` first on every (re)connect, so an app only ever needs to render
// from its latest state; see docs/protocol.md.

/**
 * connectLive({ token, contest?, onMessage(msg), onStatus(status), probe? })
 * probe: the endpoint asked, after repeated refusals, whether the token is still valid (default /api/me, which
 *        also refuses replaced participant sessions; the big screen passes /api/server-info).
 * status: 'connecting' | 'open' | 'closed' (will retry) | 'replaced' (another login took over; no retry)
 *         | 'denied' (token refused or revoked; no retry). With 'replaced' comes the server's `session_replaced`
 *         message, when there was one: onStatus('replaced', msg); its `reason` says why ('seat_moved', 'rejoined').
 * Returns { send(obj), request(obj, { timeout }), close(), serverNow(), isOpen() }.
 *
 * request(obj) sends obj with a fresh `ref` and resolves with the server's reply that echoes that `ref` (which is
 * then not handed to onMessage). It rejects with { status: 0, code: 'network' } when the socket is not open or
 * closes before the reply, and with { status: 429, code: 'rate_limited' } when the server says it dropped frames.
 * A reply that does not come within `timeout` ms means the socket is stuck: it is closed (and reconnects), and the
 * request is rejected once it has closed, so a frame stuck in it cannot reach the server after a retry.
 */
/** Close codes after which the token is of no further use (docs/protocol.md, "Close codes"). */
const FINAL_CLOSE = { 4001: 'replaced', 4002: 'denied' };

export function connectLive({ token, contest = null, onMessage, onStatus = () => {}, probe = '/api/me' }) {
  let socket = null;
  let stopped = false;
  let attempt = 0;
  let pingTimer = null;
  let offset = 0;          // serverNow - Date.now(), from the best (lowest round-trip) sample
  let bestRtt = Infinity;
  let retryTimer = null;
  /** ref → { resolve, reject, timer, socket }: requests waiting for their reply. */
  const waiting = new Map();
  const refPrefix = Math.random().toString(36).slice(2, 10);
  let refSeq = 0;

  const failure = (status, code, message) => Object.assign(new Error(message), { status, code });

  /** Reject the requests sent on `on` (every request when `on` is null). */
  function failWaiting(on, err) {
    for (const [ref, w] of waiting) {
      if (on && w.socket !== on) continue;
      waiting.delete(ref);
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  const url = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let u = `${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`;
    if (contest != null) u += `&contest=${encodeURIComponent(contest)}`;
    return u;
  };

  function sample(serverNow, sentAt) {
    const now = Date.now();
    if (typeof serverNow !== 'number') return;
    if (sentAt == null) {
      // One-way sample (no round trip known): use only until a ping gives a better one.
      if (bestRtt === Infinity) offset = serverNow - now;
      return;
    }
    const rtt = now - sentAt;
    // Samples age: the best round trip inflates a little each time, so a fresh sample can replace an old one.
    bestRtt = bestRtt * 1.05 + 1;
    if (rtt <= bestRtt) {
      bestRtt = rtt;
      offset = serverNow - (sentAt + rtt / 2);
    }
  }

  function ping() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: 'ping', client_time: Date.now() }));
    }
  }

  function open() {
    if (stopped) return;
    onStatus('connecting');
    socket = new WebSocket(url());
    const own = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      attempt = 0;
      onStatus('open');
      ping();
      setTimeout(ping, 1000);
      clearInterval(pingTimer);
      pingTimer = setInterval(ping, 10000);
    };
    socket.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      if (msg.type === 'pong') {
        sample(msg.server_now, msg.client_time);
        return;
      }
      if (msg.ref != null && waiting.has(msg.ref)) {
        const w = waiting.get(msg.ref);
        waiting.delete(msg.ref);
        clearTimeout(w.timer);
        if (typeof msg.server_now === 'number') sample(msg.server_now, null);
        w.resolve(msg);
        return;
      }
      if (msg.type === 'error' && msg.code === 'rate_limited') {
        // Some frames were dropped unread: whatever waits for a reply may never get one. Retrying is safe.
        failWaiting(own, failure(429, 'rate_limited', msg.message || 'rate limited'));
      }
      if (typeof msg.server_now === 'number') sample(msg.server_now, null);
      if (msg.type === 'session_replaced') {
        stopped = true;
        onStatus('replaced', msg);
      } else if (msg.type === 'error' && msg.code === 'token_revoked') {
        // Logged out elsewhere, password changed, or the big-screen link was revoked: the server closes next.
        stopped = true;
        onStatus('denied');
      }
      onMessage(msg);
    };
    socket.onclose = (event) => {
      clearInterval(pingTimer);
      failWaiting(own, failure(0, 'network', 'the connection closed before the reply'));
      if (stopped) return;
      if (FINAL_CLOSE[event.code]) {
        stopped = true;
        onStatus(FINAL_CLOSE[event.code]);
        return;
      }
      if (!opened && attempt >= 3) {
        // Refused before opening several times in a row: ask the server why (expired or replaced token).
        fetch(probe, { headers: { authorization: `Bearer ${token}` } }).then((r) => {
          if (r.status === 401 || r.status === 403) {
            stopped = true;
            onStatus('denied');
          } else {
            schedule();
          }
        }).catch(schedule);
        return;
      }
      schedule();
    };
    socket.onerror = () => { /* onclose follows */ };
  }

  function schedule() {
    if (stopped) return;
    onStatus('closed');
    attempt += 1;
    const delay = Math.min(5000, 300 * 2 ** Math.min(attempt, 5)) + Math.random() * 300;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(open, delay);
  }

  // Reconnect at once when the network comes back or the page becomes visible again.
  const wake = () => {
    if (!stopped && (!socket || socket.readyState === WebSocket.CLOSED)) {
      clearTimeout(retryTimer);
      open();
    }
  };
  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) wake(); });

  open();
  return {
    send(obj) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(obj));
        return true;
      }
      return false;
    },
    request(obj, { timeout = 20000 } = {}) {
      return new Promise((resolve, reject) => {
        const on = socket;
        if (!on || on.readyState !== WebSocket.OPEN) {
          reject(failure(0, 'network', 'not connected'));
          return;
        }
        const ref = `${refPrefix}-${++refSeq}`;
        const timer = setTimeout(() => {
          // No reply: the socket is stuck. Close it; onclose rejects the request (or, if the close itself hangs,
          // this does a little later).
          on.close();
          const w = waiting.get(ref);
          if (w) {
            w.timer = setTimeout(() => {
              if (waiting.get(ref) === w) {
                waiting.delete(ref);
                reject(failure(0, 'timeout', 'no reply from the server'));
              }
            }, 5000);
          }
        }, timeout);
        waiting.set(ref, { resolve, reject, timer, socket: on });
        on.send(JSON.stringify({ ...obj, ref }));
      });
    },
    close() {
      stopped = true;
      clearInterval(pingTimer);
      clearTimeout(retryTimer);
      if (socket) socket.close();
    },
    serverNow: () => Date.now() + offset,
    isOpen: () => !!socket && socket.readyState === WebSocket.OPEN,
  };
}

/** Milliseconds left until `deadline` (server ms), by the server clock. Never negative. */
export function remainingMs(deadline, serverNow) {
  if (typeof deadline !== 'number') return 0;
  return Math.max(0, deadline - serverNow());
}

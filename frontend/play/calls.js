// The participant's requests that change something: answers, opening and handing in the exam paper. Each goes
// over the live socket when it is open (a phone then needs no second connection, which matters when one server
// holds thousands of phones) and over HTTP otherwise. Both ways are acknowledged only after the server committed
// the change, refuse with the same error codes, and may be repeated safely: an answer already received is
// acknowledged as a duplicate, a paper already opened or handed in is returned as it is. Callers (the outbox, the
// exam screen) retry on network errors either way.

import { ApiError } from '../shared/api.js';

/** Replies that carry the result, by request type, and the field holding it. */
const OK = {
  answer: ['answer_ack', 'ack'],
  exam_start: ['exam_paper', 'exam'],
  exam_submit: ['exam_submitted', 'exam'],
};

/**
 * createCalls({ api, live: () => connectLive handle or null, onUnauthorized(err) })
 * Returns { answer(body), examStart(), examSubmit() }, each resolving to the same value as the HTTP endpoint
 * (`POST /api/answers`, `/api/exam/start`, `/api/exam/submit`) or rejecting with an ApiError.
 */
export function createCalls({ api, live, onUnauthorized = () => {} }) {
  async function call(type, body, path) {
    const socket = live();
    // A phone that knows it is offline may still show its socket as open (until TCP gives up): HTTP fails at once
    // instead, and the caller retries when the network is back.
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    if (!socket || !socket.isOpen() || offline) return api.post(path, body);
    let reply;
    try {
      reply = await socket.request({ type, ...(body || {}) });
    } catch (e) {
      // The socket closed before the reply: nothing more can arrive through it, so HTTP may carry the same
      // request now (the server takes a repeat as a duplicate).
      if (e.code === 'network') return api.post(path, body);
      // Rate limited (429), or no reply and the socket would not even close (0): the caller retries later.
      throw new ApiError(e.status || 0, e.status === 429 ? 'rate_limited' : 'network', e.message);
    }
    const [okType, field] = OK[type];
    if (reply.type === okType) return reply[field];
    const err = new ApiError(reply.status || 409, reply.code || 'error', reply.message || '', reply.details);
    if (err.status === 401) onUnauthorized(err);
    throw err;
  }
  return {
    answer: (body) => call('answer', body, '/api/answers'),
    examStart: () => call('exam_start', undefined, '/api/exam/start'),
    examSubmit: () => call('exam_submit', undefined, '/api/exam/submit'),
  };
}

// HTTP client shared by the three apps. Every error from the server is JSON {error: {code, message, details}};
// it surfaces here as an ApiError with those fields, so screens can show a specific, translated message.

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * createApi({ token: () => string|null, onUnauthorized?: (err) => void })
 * Returns { get, post, put, del, upload } — each resolves to parsed JSON or rejects with ApiError.
 */
export function createApi({ token = () => null, onUnauthorized = null } = {}) {
  async function request(method, path, { json, body, contentType } = {}) {
    const headers = {};
    const t = token();
    if (t) headers['authorization'] = `Bearer ${t}`;
    let payload = body;
    if (json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(json);
    } else if (contentType) {
      headers['content-type'] = contentType;
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload });
    } catch (e) {
      throw new ApiError(0, 'network', e && e.message ? e.message : 'network error');
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!response.ok) {
      const err = data && data.error
        ? new ApiError(response.status, data.error.code, data.error.message, data.error.details)
        : new ApiError(response.status, 'http_' + response.status, String(text || response.statusText));
      if (response.status === 401 && onUnauthorized) onUnauthorized(err);
      throw err;
    }
    return data;
  }
  return {
    get: (path) => request('GET', path),
    post: (path, json) => request('POST', path, json === undefined ? {} : { json }),
    put: (path, json) => request('PUT', path, { json }),
    del: (path) => request('DELETE', path),
    /** Send raw text (e.g. a CSV roster). */
    upload: (path, text, contentType = 'text/plain') => request('POST', path, { body: text, contentType }),
  };
}

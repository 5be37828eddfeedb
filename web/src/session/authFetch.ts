// The fetch every API call goes through: adds the access token; on a 401 refreshes the session
// once (one refresh in flight for all concurrent 401s: the API rotates refresh tokens and a reused
// one revokes the whole session) and retries; when that fails too, signs out.

export interface AuthFetchDeps {
  getAccessToken: () => string | null;
  /** Exchanges the stored refresh token for a new pair; resolves to the new access token or null. */
  refresh: () => Promise<string | null>;
  signOut: () => void;
  fetchImpl?: typeof fetch;
}

export function makeAuthFetch(deps: AuthFetchDeps) {
  const doFetch = deps.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let inFlight: Promise<string | null> | null = null;

  const refreshOnce = (): Promise<string | null> => {
    if (!inFlight) {
      inFlight = deps.refresh().finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  };

  const withToken = (request: Request, token: string | null): Request => {
    const r = new Request(request);
    if (token) r.headers.set('Authorization', `Bearer ${token}`);
    return r;
  };

  return async function authFetch(input: Request): Promise<Response> {
    const retry = input.clone();
    const sent = deps.getAccessToken();
    const response = await doFetch(withToken(input, sent));
    if (response.status !== 401 || isAuthEndpoint(input.url)) return response;
    // Another request may already have refreshed while this one was in flight.
    const current = deps.getAccessToken();
    const token = current && current !== sent ? current : await refreshOnce();
    if (!token) {
      deps.signOut();
      return response;
    }
    const second = await doFetch(withToken(retry, token));
    if (second.status === 401) deps.signOut();
    return second;
  };
}

/** Login, register and refresh answer 401 for bad credentials: never retried. */
function isAuthEndpoint(url: string): boolean {
  return /\/api\/v1\/auth\/(login|register|refresh)$/.test(new URL(url, 'http://x').pathname);
}

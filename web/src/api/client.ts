// The typed API client: openapi-fetch over the types generated from the gateway's own OpenAPI
// document (schema.d.ts, `npm run api:types`; web/ci fails when they are stale).
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { makeAuthFetch } from '../session/authFetch';
import { refreshStore, useSession } from '../session/store';

export type Schemas = components['schemas'];

/** Exchanges the stored refresh token (rotating it); null when the session is over. */
export async function refreshSession(): Promise<string | null> {
  const token = refreshStore.get();
  if (!token) return null;
  const res = await fetch('/api/v1/auth/refresh', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
  });
  if (!res.ok) {
    refreshStore.clear();
    return null;
  }
  const body = (await res.json()) as Schemas['TokenResponse'];
  refreshStore.set(body.refresh_token);
  useSession.getState().setAccess(body.access_token);
  return body.access_token;
}

export function signOutLocally() {
  refreshStore.clear();
  useSession.getState().clear();
}

export const authFetch = makeAuthFetch({
  getAccessToken: () => useSession.getState().accessToken,
  refresh: refreshSession,
  signOut: signOutLocally,
});

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  fetch: authFetch,
});

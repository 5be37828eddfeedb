// Signing in and out, and restoring a session after a reload (from the tab's refresh token).
import { api, refreshSession, signOutLocally, type Schemas } from '../api/client';
import { unwrap } from '../lib/problem';
import { refreshStore, useSession } from './store';

function start(tokens: Schemas['TokenResponse']) {
  refreshStore.set(tokens.refresh_token);
  useSession.getState().setAccess(tokens.access_token);
  useSession.getState().setProfile(tokens.user, [], tokens.theater.name);
}

/** Loads who the caller is and what they may do. */
export async function loadMe() {
  const me = unwrap(await api.GET('/api/v1/auth/me'));
  // The theatre's name for the header (after a reload only the tokens are known).
  const theater = await api.GET('/api/v1/theater').catch(() => null);
  useSession.getState().setProfile(me, me.permissions, theater?.data?.name ?? null, me.inventory_departments);
  return me;
}

export async function signIn(email: string, password: string) {
  start(unwrap(await api.POST('/api/v1/auth/login', { body: { email, password } })));
  await loadMe();
}

export async function register(body: Schemas['RegisterRequest']) {
  start(unwrap(await api.POST('/api/v1/auth/register', { body })));
  await loadMe();
}

export async function signOut() {
  const refresh_token = refreshStore.get() ?? undefined;
  // Best effort: the local session ends whatever the server answers.
  await api.POST('/api/v1/auth/logout', { body: { refresh_token } }).catch(() => undefined);
  signOutLocally();
}

/** On start-up: a tab that still holds a refresh token continues its session. */
export async function restoreSession(): Promise<boolean> {
  if (!refreshStore.get()) return false;
  const token = await refreshSession();
  if (!token) return false;
  try {
    await loadMe();
    return true;
  } catch {
    signOutLocally();
    return false;
  }
}

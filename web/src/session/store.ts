// Session state (the only client state kept in Zustand; server state lives in TanStack Query).
//
// Where the tokens live: the access token only in memory (this store). The refresh token in
// sessionStorage: the API takes it in the request body (no HttpOnly cookie is possible without
// changing the API), and memory alone would sign the user out on every reload. sessionStorage is
// per tab and cleared when the tab closes, unlike localStorage; the app renders no raw HTML
// (lint rule) and loads no third-party script, which is what keeps scripts from reading it.
import { create } from 'zustand';

export interface SessionUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  theater_id?: string;
}

export interface SessionState {
  accessToken: string | null;
  user: SessionUser | null;
  theaterName: string | null;
  permissions: string[];
  /** The departments the user's inventory changes are limited to (a department head); null: the whole theatre. */
  inventoryDepartments: string[] | null;
  setAccess: (token: string) => void;
  setProfile: (user: SessionUser, permissions: string[], theaterName?: string | null, inventoryDepartments?: string[] | null) => void;
  clear: () => void;
}

const REFRESH_KEY = 'theatre.refresh_token';

export const refreshStore = {
  get: (): string | null => sessionStorage.getItem(REFRESH_KEY),
  set: (token: string) => sessionStorage.setItem(REFRESH_KEY, token),
  clear: () => sessionStorage.removeItem(REFRESH_KEY),
};

export const useSession = create<SessionState>((set) => ({
  accessToken: null,
  user: null,
  theaterName: null,
  permissions: [],
  inventoryDepartments: null,
  setAccess: (accessToken) => set({ accessToken }),
  setProfile: (user, permissions, theaterName, inventoryDepartments = null) =>
    set((s) => ({ user, permissions, inventoryDepartments, theaterName: theaterName ?? s.theaterName })),
  clear: () => set({ accessToken: null, user: null, permissions: [], inventoryDepartments: null, theaterName: null }),
}));

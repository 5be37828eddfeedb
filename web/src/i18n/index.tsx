// Locale: Russian by default, English second; dates and numbers through Intl in the locale's
// formats (ru-RU: 07.12.2026, 1 234,5).
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import { en } from './en';
import { ru, type Messages } from './ru';

export type Locale = 'ru' | 'en';
const MESSAGES: Record<Locale, Messages> = { ru, en };
const TAGS: Record<Locale, string> = { ru: 'ru-RU', en: 'en-GB' };

export interface I18n {
  locale: Locale;
  /** The BCP 47 tag for Intl (ru-RU, en-GB). */
  tag: string;
  m: Messages;
  setLocale: (l: Locale) => void;
  date: (iso: string | null | undefined) => string;
  dateTime: (iso: string | null | undefined) => string;
  time: (iso: string | null | undefined) => string;
  number: (n: number | null | undefined, digits?: number) => string;
  /** A vocabulary code's display name, the code itself when unknown. */
  label: (group: 'status' | 'condition' | 'movement' | 'movementLog' | 'versionStatus' | 'eventKind' | 'perfStatus', code: string) => string;
}

export function makeI18n(locale: Locale, setLocale: (l: Locale) => void = () => {}): I18n {
  const tag = TAGS[locale];
  const d = new Intl.DateTimeFormat(tag, { day: '2-digit', month: '2-digit', year: 'numeric' });
  const dt = new Intl.DateTimeFormat(tag, { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
  const t = new Intl.DateTimeFormat(tag, { hour: '2-digit', minute: '2-digit' });
  const m = MESSAGES[locale];
  const fmt = (f: Intl.DateTimeFormat) => (iso: string | null | undefined) => (iso ? f.format(new Date(iso)) : '—');
  return {
    locale,
    tag,
    m,
    setLocale,
    date: fmt(d),
    dateTime: fmt(dt),
    time: fmt(t),
    number: (n, digits = 0) =>
      n == null ? '—' : new Intl.NumberFormat(tag, { maximumFractionDigits: digits }).format(n),
    label: (group, code) => (m[group] as Record<string, string>)[code] ?? code,
  };
}

const Ctx = createContext<I18n>(makeI18n('ru'));
const KEY = 'theatre.locale';

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(() => (localStorage.getItem(KEY) === 'en' ? 'en' : 'ru'));
  const value = useMemo(
    () =>
      makeI18n(locale, (l) => {
        localStorage.setItem(KEY, l);
        document.documentElement.lang = l;
        setLocaleState(l);
      }),
    [locale],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export const useI18n = () => useContext(Ctx);

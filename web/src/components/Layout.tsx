import { NavLink, Outlet, useNavigate } from 'react-router';
import { useI18n } from '../i18n';
import { signOut } from '../session/auth';
import { useSession } from '../session/store';
import { useCan } from './Gate';
import { REPORT_PERMISSIONS } from '../lib/permissions';

export function Layout() {
  const { m, locale, setLocale } = useI18n();
  const user = useSession((s) => s.user);
  const theater = useSession((s) => s.theaterName);
  const allowed = useCan();
  const navigate = useNavigate();
  const links: [string, string, boolean][] = [
    ['/', m.nav.dashboard, true],
    ['/inventory', m.nav.inventory, allowed('inventory:view')],
    ['/documents', m.nav.documents, allowed('documents:view')],
    ['/schedule', m.nav.schedule, allowed('schedule:view')],
    ['/performances', m.nav.performances, allowed('performance:view')],
    ['/reports', m.reports.nav, REPORT_PERMISSIONS.some(allowed)],
    ['/templates', m.templates.nav, allowed('documents:view')],
    ['/admin', m.nav.admin, allowed('users:view') || allowed('audit:view') || allowed('system:settings')],
  ];
  return (
    <div className="min-h-screen">
      <header className="bg-stone-900 text-stone-100">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2">
          <span className="font-semibold">{m.app.title} <span className="font-normal text-stone-400">{theater ?? m.app.subtitle}</span></span>
          <nav aria-label="main" className="flex flex-wrap gap-1 text-sm">
            {links.filter(([, , ok]) => ok).map(([to, label]) => (
              <NavLink key={to} to={to} end={to === '/'} className={({ isActive }) => `rounded px-2 py-1 ${isActive ? 'bg-amber-700' : 'hover:bg-stone-700'}`}>
                {label}
              </NavLink>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-2 text-sm">
            <span className="hidden text-stone-300 sm:inline" data-testid="who">{user?.first_name} {user?.last_name}</span>
            <button type="button" className="rounded px-2 py-1 hover:bg-stone-700" aria-label={m.app.language} onClick={() => setLocale(locale === 'ru' ? 'en' : 'ru')}>
              {locale === 'ru' ? 'EN' : 'RU'}
            </button>
            <NavLink to="/password" className="rounded px-2 py-1 hover:bg-stone-700">{m.nav.password}</NavLink>
            <button type="button" className="rounded px-2 py-1 hover:bg-stone-700" onClick={async () => { await signOut(); navigate('/login'); }}>
              {m.nav.signOut}
            </button>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-3 py-4">
        <Outlet />
      </main>
    </div>
  );
}

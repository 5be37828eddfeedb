// Small building blocks every screen uses: loading/empty states, problem messages, form fields.
import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react';
import { useI18n } from '../i18n';
import { ApiProblem } from '../lib/problem';

export function Loading() {
  const { m } = useI18n();
  return <p role="status" className="p-4 text-stone-500">{m.app.loading}</p>;
}

export function Empty({ children }: { children?: ReactNode }) {
  const { m } = useI18n();
  return <p className="p-4 text-stone-500">{children ?? m.app.empty}</p>;
}

/** A problem+json error as a readable message; a 403 says what it means. */
export function ProblemMessage({ error }: { error: unknown }) {
  const { m } = useI18n();
  if (!error) return null;
  let text = m.app.error;
  if (error instanceof ApiProblem) {
    text = error.status === 403 ? `${m.app.forbidden} (403)` : `${error.problem.title ?? m.app.error}${error.problem.detail ? `: ${error.problem.detail}` : ''}`;
  } else if (error instanceof Error) {
    text = error.message;
  }
  return (
    <div role="alert" data-testid="problem" className="my-2 rounded border border-red-300 bg-red-50 px-3 py-2 text-red-800">
      {text}
    </div>
  );
}

export function Field({ label, error, children }: { label: string; error?: string; children: ReactNode }) {
  return (
    <label className="block text-sm">
      <span className="mb-1 block font-medium text-stone-700">{label}</span>
      {children}
      {error && <span role="alert" className="mt-1 block text-red-700" data-field-error>{error}</span>}
    </label>
  );
}

const inputClass = 'w-full rounded border border-stone-300 bg-white px-2 py-1.5 aria-[invalid=true]:border-red-500';

export function Input(props: InputHTMLAttributes<HTMLInputElement>) {
  return <input {...props} className={`${inputClass} ${props.className ?? ''}`} />;
}

export function Select(props: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select {...props} className={`${inputClass} ${props.className ?? ''}`} />;
}

export function Button({ kind = 'primary', ...props }: React.ButtonHTMLAttributes<HTMLButtonElement> & { kind?: 'primary' | 'plain' | 'danger' }) {
  const look = {
    primary: 'bg-amber-700 text-white hover:bg-amber-800',
    plain: 'border border-stone-300 bg-white hover:bg-stone-100',
    danger: 'bg-red-700 text-white hover:bg-red-800',
  }[kind];
  return <button type="button" {...props} className={`rounded px-3 py-1.5 text-sm disabled:opacity-50 ${look} ${props.className ?? ''}`} />;
}

export function Badge({ children, tone = 'stone' }: { children: ReactNode; tone?: 'stone' | 'green' | 'amber' | 'red' | 'blue' }) {
  const look = { stone: 'bg-stone-200 text-stone-800', green: 'bg-green-100 text-green-800', amber: 'bg-amber-100 text-amber-900', red: 'bg-red-100 text-red-800', blue: 'bg-sky-100 text-sky-800' }[tone];
  return <span className={`inline-block rounded px-2 py-0.5 text-xs ${look}`}>{children}</span>;
}

export function Card({ title, children, actions }: { title?: ReactNode; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="mb-4 rounded-lg border border-stone-200 bg-white p-4 shadow-sm">
      {(title || actions) && (
        <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
          {title && <h2 className="text-lg font-semibold">{title}</h2>}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}

import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { Button, Card, Field, Input, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';
import { register, signIn } from '../session/auth';

function useSubmit<T>(fields: readonly string[], action: (values: T) => Promise<void>) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [byField, setByField] = useState<Record<string, string>>({});
  const submit = async (values: T) => {
    setBusy(true);
    setError(null);
    setByField({});
    try {
      await action(values);
    } catch (e) {
      setError(e);
      if (e instanceof ApiProblem) setByField(fieldErrors(e.problem, fields).byField);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, byField, submit };
}

function formValues(e: FormEvent<HTMLFormElement>): Record<string, string> {
  e.preventDefault();
  return Object.fromEntries(new FormData(e.currentTarget)) as Record<string, string>;
}

function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  const { m } = useI18n();
  return (
    <div className="mx-auto mt-12 max-w-sm px-3">
      <h1 className="mb-4 text-center text-2xl font-semibold">{m.app.title} — {m.app.subtitle}</h1>
      <Card title={title}>{children}</Card>
    </div>
  );
}

export function Login() {
  const { m } = useI18n();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from ?? '/';
  const { error, busy, byField, submit } = useSubmit(['email', 'password'], async (v: Record<string, string>) => {
    await signIn(v.email, v.password);
    navigate(from, { replace: true });
  });
  return (
    <AuthFrame title={m.auth.signIn}>
      <form className="space-y-3" onSubmit={(e) => submit(formValues(e))}>
        <Field label={m.auth.email} error={byField.email}><Input name="email" type="email" autoComplete="username" required /></Field>
        <Field label={m.auth.password} error={byField.password}><Input name="password" type="password" autoComplete="current-password" required /></Field>
        <ProblemMessage error={error} />
        <Button type="submit" disabled={busy} className="w-full">{m.auth.submit}</Button>
        <Link to="/register" className="block text-center text-sm text-amber-800 underline">{m.auth.noAccount}</Link>
      </form>
    </AuthFrame>
  );
}

export function Register() {
  const { m } = useI18n();
  const navigate = useNavigate();
  const fields = ['theater_name', 'email', 'password', 'first_name', 'last_name'] as const;
  const { error, busy, byField, submit } = useSubmit(fields, async (v: Record<string, string>) => {
    await register({ theater_name: v.theater_name, email: v.email, password: v.password, first_name: v.first_name, last_name: v.last_name });
    navigate('/', { replace: true });
  });
  const labels: Record<(typeof fields)[number], string> = {
    theater_name: m.auth.theaterName, email: m.auth.email, password: m.auth.password, first_name: m.auth.firstName, last_name: m.auth.lastName,
  };
  return (
    <AuthFrame title={m.auth.register}>
      <form className="space-y-3" onSubmit={(e) => submit(formValues(e))}>
        {fields.map((f) => (
          <Field key={f} label={labels[f]} error={byField[f]}>
            <Input name={f} type={f === 'password' ? 'password' : f === 'email' ? 'email' : 'text'} aria-invalid={!!byField[f]} />
          </Field>
        ))}
        <ProblemMessage error={error} />
        <Button type="submit" disabled={busy} className="w-full">{m.auth.registerSubmit}</Button>
        <Link to="/login" className="block text-center text-sm text-amber-800 underline">{m.auth.haveAccount}</Link>
      </form>
    </AuthFrame>
  );
}

export function ChangePassword() {
  const { m } = useI18n();
  const [done, setDone] = useState(false);
  const { error, busy, byField, submit } = useSubmit(['current_password', 'new_password'], async (v: Record<string, string>) => {
    unwrap(await api.POST('/api/v1/auth/password', { body: { current_password: v.current_password, new_password: v.new_password } }));
    setDone(true);
  });
  return (
    <div className="max-w-sm">
      <Card title={m.nav.password}>
        <form className="space-y-3" onSubmit={(e) => submit(formValues(e))}>
          <Field label={m.auth.currentPassword} error={byField.current_password}><Input name="current_password" type="password" autoComplete="current-password" /></Field>
          <Field label={m.auth.newPassword} error={byField.new_password}><Input name="new_password" type="password" autoComplete="new-password" /></Field>
          <ProblemMessage error={error} />
          {done && <p role="status" className="text-green-700">{m.auth.changed}</p>}
          <Button type="submit" disabled={busy}>{m.app.save}</Button>
        </form>
      </Card>
    </div>
  );
}

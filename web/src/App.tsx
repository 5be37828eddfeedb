import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { Layout } from './components/Layout';
import { Loading } from './components/ui';
import { I18nProvider } from './i18n';
import { ApiProblem } from './lib/problem';
import { Dashboard } from './pages/Dashboard';
import { ChangePassword, Login, Register } from './pages/Auth';
import { InventoryList } from './pages/InventoryList';
import { restoreSession } from './session/auth';
import { useSession } from './session/store';

// Screens beyond the first ones load on demand: the sign-in and inventory list stay small.
const ItemCard = lazy(() => import('./pages/ItemCard'));
const ItemForm = lazy(() => import('./pages/ItemForm'));
const InventoryTrees = lazy(() => import('./pages/InventoryTrees'));
const InventoryImport = lazy(() => import('./pages/InventoryImport'));
const Documents = lazy(() => import('./pages/Documents'));
const DocumentCard = lazy(() => import('./pages/DocumentCard'));
const Schedule = lazy(() => import('./pages/Schedule'));
const Performances = lazy(() => import('./pages/Performances'));
const PerformanceCard = lazy(() => import('./pages/PerformanceCard'));
const Admin = lazy(() => import('./pages/Admin'));
const Reports = lazy(() => import('./pages/Reports'));
const Templates = lazy(() => import('./pages/Templates'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // A 4xx will not change by asking again.
      retry: (count, error) => !(error instanceof ApiProblem && error.status < 500) && count < 2,
    },
  },
});

function RequireSession({ children }: { children: React.ReactNode }) {
  const token = useSession((s) => s.accessToken);
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

export function App() {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    restoreSession().finally(() => setReady(true));
  }, []);
  return (
    <I18nProvider>
      <QueryClientProvider client={queryClient}>
        {!ready ? (
          <Loading />
        ) : (
          <BrowserRouter>
            <Suspense fallback={<Loading />}>
              <Routes>
                <Route path="/login" element={<Login />} />
                <Route path="/register" element={<Register />} />
                <Route element={<RequireSession><Layout /></RequireSession>}>
                  <Route index element={<Dashboard />} />
                  <Route path="password" element={<ChangePassword />} />
                  <Route path="inventory" element={<InventoryList />} />
                  <Route path="inventory/new" element={<ItemForm />} />
                  <Route path="inventory/trees" element={<InventoryTrees />} />
                  <Route path="inventory/import" element={<InventoryImport />} />
                  <Route path="inventory/:id" element={<ItemCard />} />
                  <Route path="inventory/:id/edit" element={<ItemForm />} />
                  <Route path="documents" element={<Documents />} />
                  <Route path="documents/:id" element={<DocumentCard />} />
                  <Route path="schedule" element={<Schedule />} />
                  <Route path="performances" element={<Performances />} />
                  <Route path="performances/:id" element={<PerformanceCard />} />
                  <Route path="admin/*" element={<Admin />} />
                  <Route path="reports" element={<Reports />} />
                  <Route path="templates" element={<Templates />} />
                  <Route path="*" element={<Navigate to="/" replace />} />
                </Route>
              </Routes>
            </Suspense>
          </BrowserRouter>
        )}
      </QueryClientProvider>
    </I18nProvider>
  );
}

// A document: upload a new version straight to storage with a progress bar, its versions with
// their processing status (and the failure reason), download, restore, archive.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, authFetch } from '../api/client';
import { Gate } from '../components/Gate';
import { Badge, Button, Card, Empty, Loading, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import { unwrap } from '../lib/problem';
import { statusTone } from '../lib/tones';
import { downloadVia, uploadTo } from '../lib/upload';

export default function DocumentCard() {
  const { id = '' } = useParams();
  const { m, label, dateTime, number } = useI18n();
  const client = useQueryClient();
  const [progress, setProgress] = useState<number | null>(null);
  const doc = useQuery({
    queryKey: ['documents', 'doc', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/{id}', { params: { path: { id } } })),
  });
  const versions = useQuery({
    queryKey: ['documents', 'doc', id, 'versions'],
    queryFn: async () => unwrap(await api.GET('/api/v1/documents/{id}/versions', { params: { path: { id } } })).items,
    // Poll while a version is being processed by the worker.
    refetchInterval: (q) => (q.state.data?.some((v) => v.status === 'pending' || v.status === 'processing') ? 1000 : false),
  });
  const upload = useMutation({
    mutationFn: async (file: File) => {
      const contentType = file.type || 'application/octet-stream';
      const asked = unwrap(await api.POST('/api/v1/documents/{id}/versions', {
        params: { path: { id } },
        body: { filename: file.name, content_type: contentType, size: file.size } as never,
      }));
      setProgress(0);
      await uploadTo(asked.upload as never, file, setProgress);
      unwrap(await api.POST('/api/v1/documents/{id}/versions/{version_id}/complete', { params: { path: { id, version_id: asked.version_id } } }));
    },
    onSettled: async () => {
      setProgress(null);
      await client.invalidateQueries({ queryKey: ['documents', 'doc', id] });
    },
  });
  const restore = useMutation({
    mutationFn: async (versionId: string) => unwrap(await api.POST('/api/v1/documents/{id}/versions/{version_id}/restore', { params: { path: { id, version_id: versionId } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['documents', 'doc', id] }),
  });
  const archive = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/documents/{id}/archive', { params: { path: { id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['documents'] }),
  });
  const [downloadError, setDownloadError] = useState<unknown>(null);
  // Preview: PDFs inline, images as they are (the API redirects to a short-lived URL of the
  // version's preview; the bytes are shown from a blob URL).
  const [preview, setPreview] = useState<{ url: string; type: string } | null>(null);
  const showPreview = async (versionId: string) => {
    setDownloadError(null);
    try {
      const res = await authFetch(new Request(new URL(`/api/v1/documents/${id}/versions/${versionId}/preview`, window.location.origin)));
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const blob = await res.blob();
      if (preview) URL.revokeObjectURL(preview.url);
      setPreview({ url: URL.createObjectURL(blob), type: blob.type });
    } catch (e) {
      setDownloadError(e);
    }
  };
  if (doc.isPending) return <Loading />;
  if (doc.error) return <ProblemMessage error={doc.error} />;
  const d = doc.data;
  return (
    <div>
      <Card
        title={d.title}
        actions={<Gate need="documents:edit">{d.status !== 'archived' && <Button kind="plain" onClick={() => archive.mutate()}>{m.documents.archive}</Button>}</Gate>}
      >
        <p className="text-sm text-stone-600"><Badge tone={statusTone(d.status)}>{d.status}</Badge> {d.description}</p>
        <Gate need="documents:edit">
          <label className="mt-3 block text-sm font-medium">
            {m.documents.upload}
            <input data-testid="upload-input" type="file" className="mt-1 block text-sm" disabled={upload.isPending} onChange={(e) => { const f = e.target.files?.[0]; if (f) upload.mutate(f); e.target.value = ''; }} />
          </label>
          {progress !== null && (
            <div className="mt-2">
              <span className="text-xs text-stone-600">{m.documents.uploading}: {Math.round(progress * 100)}%</span>
              <progress className="block w-full" max={1} value={progress} aria-label={m.documents.uploading} />
            </div>
          )}
          <ProblemMessage error={upload.error ?? archive.error ?? restore.error} />
        </Gate>
      </Card>
      {preview && (
        <Card title={m.documents.preview} actions={<Button kind="plain" onClick={() => { URL.revokeObjectURL(preview.url); setPreview(null); }}>{m.app.close}</Button>}>
          {preview.type.startsWith('image/')
            ? <img src={preview.url} alt={d.title} className="max-h-[70vh] rounded" />
            : <iframe src={preview.url} title={d.title} className="h-[70vh] w-full rounded border" />}
        </Card>
      )}
      <Card title={m.documents.versions}>
        <ProblemMessage error={downloadError} />
        {versions.isPending ? <Loading /> : (versions.data ?? []).length === 0 ? <Empty /> : (
          <ul className="divide-y divide-stone-100 text-sm">
            {versions.data!.map((v) => (
              <li key={v.id} className="flex flex-wrap items-center gap-2 py-2" data-testid="version-row">
                <span className="font-mono">v{v.number ?? '·'}</span>
                <span>{v.original_filename}</span>
                <Badge tone={statusTone(v.status)}><span data-testid="version-status">{label('versionStatus', v.status)}</span></Badge>
                {v.is_current && <Badge tone="green">{m.documents.current}</Badge>}
                {v.error && <span className="text-red-700">{v.error}</span>}
                <span className="text-stone-500">{number(v.size ?? v.declared_size)} B · {dateTime(v.created_at)}</span>
                {v.status === 'ready' && (
                  <span className="ml-auto flex gap-2">
                    {v.has_preview && <Button kind="plain" onClick={() => showPreview(v.id)}>{m.documents.preview}</Button>}
                    <Button kind="plain" onClick={() => downloadVia(authFetch, `/api/v1/documents/${id}/versions/${v.id}/download`, v.original_filename).catch(setDownloadError)}>{m.documents.download}</Button>
                    {!v.is_current && <Gate need="documents:edit"><Button kind="plain" onClick={() => restore.mutate(v.id)}>{m.documents.restore}</Button></Gate>}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </div>
  );
}

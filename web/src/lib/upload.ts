// Sends a file straight to a presigned URL (no bytes through the API), reporting progress.
// XMLHttpRequest because fetch has no upload progress.

export interface PresignedUpload { url: string; method: string; headers?: Record<string, string> | null }

export function uploadTo(target: PresignedUpload, file: Blob, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method || 'PUT', target.url);
    for (const [k, v] of Object.entries(target.headers ?? {})) {
      // The browser sets Content-Length and Host itself.
      if (!/^(content-length|host)$/i.test(k)) xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`upload refused: HTTP ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('upload failed: network error'));
    xhr.send(file);
  });
}

/** Saves `blob` as a file the browser downloads under `name`. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads an API resource that redirects to a short-lived URL, under `name`. */
export async function downloadVia(authFetch: (r: Request) => Promise<Response>, path: string, name: string) {
  const res = await authFetch(new Request(new URL(path, window.location.origin)));
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  saveBlob(await res.blob(), name);
}

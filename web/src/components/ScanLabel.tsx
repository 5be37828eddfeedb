// Scan an item's QR label with the phone's camera and open its card. Uses the browser's
// BarcodeDetector (Chrome on Android, Safari 17+); elsewhere the label text or the inventory
// number can be typed instead.
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { useI18n } from '../i18n';
import { parseLabel } from '../lib/qr';
import { Button, Input } from './ui';

interface Detector { detect: (source: HTMLVideoElement) => Promise<{ rawValue: string }[]> }
type DetectorClass = new (options: { formats: string[] }) => Detector;

export function ScanLabel() {
  const { m } = useI18n();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const video = useRef<HTMLVideoElement>(null);
  const Detector = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;

  useEffect(() => {
    if (!open || !Detector || !navigator.mediaDevices) return;
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    const detector = new Detector({ formats: ['qr_code'] });
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' } })
      .then(async (s) => {
        stream = s;
        if (!video.current) return;
        video.current.srcObject = s;
        await video.current.play();
        timer = setInterval(async () => {
          if (!video.current) return;
          const codes = await detector.detect(video.current).catch(() => []);
          const item = codes.map((c) => parseLabel(c.rawValue)).find(Boolean);
          if (item) {
            setOpen(false);
            navigate(`/inventory/${item.itemId}`);
          }
        }, 300);
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      clearInterval(timer);
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, [open, Detector, navigate]);

  const submitTyped = () => {
    const item = parseLabel(typed);
    setOpen(false);
    navigate(item ? `/inventory/${item.itemId}` : `/inventory?q=${encodeURIComponent(typed.trim())}`);
  };

  return (
    <>
      <Button kind="plain" onClick={() => { setError(null); setOpen(true); }}>{m.inventory.scan}</Button>
      {open && (
        <div role="dialog" aria-modal="true" aria-label={m.inventory.scan} className="fixed inset-0 z-10 flex items-center justify-center bg-black/60 p-3">
          <div className="w-full max-w-md rounded bg-white p-3">
            {Detector ? <video ref={video} className="w-full rounded bg-black" muted playsInline /> : <p className="text-sm text-stone-600">{m.inventory.noCamera}</p>}
            {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
            <form className="mt-2 flex gap-2" onSubmit={(e) => { e.preventDefault(); submitTyped(); }}>
              <Input value={typed} onChange={(e) => setTyped(e.target.value)} placeholder={m.inventory.number} aria-label={m.inventory.number} />
              <Button type="submit">{m.app.search}</Button>
              <Button kind="plain" onClick={() => setOpen(false)}>{m.app.close}</Button>
            </form>
          </div>
        </div>
      )}
    </>
  );
}

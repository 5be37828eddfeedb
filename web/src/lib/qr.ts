// What an item label's QR code says (inventory::labels::qr_payload):
// `theatre-item:{theater_id}/{item_id}/{inventory_number}`.

export interface ScannedItem { theaterId: string; itemId: string; inventoryNumber: string }

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const LABEL = new RegExp(`^theatre-item:(${UUID})/(${UUID})/(\\S+)$`, 'i');

export function parseLabel(payload: string): ScannedItem | null {
  const m = LABEL.exec(payload.trim());
  return m ? { theaterId: m[1], itemId: m[2], inventoryNumber: m[3] } : null;
}

// Colours of statuses in badges.
export type Tone = 'stone' | 'green' | 'amber' | 'red' | 'blue';

export function statusTone(status: string): Tone {
  switch (status) {
    case 'in_stock': case 'ready': case 'in_repertoire': case 'confirmed': case 'completed': return 'green';
    case 'reserved': case 'processing': case 'pending': case 'preparation': case 'planned': return 'amber';
    case 'in_use': case 'on_tour': case 'in_progress': return 'blue';
    case 'in_repair': case 'failed': case 'cancelled': return 'red';
    default: return 'stone';
  }
}

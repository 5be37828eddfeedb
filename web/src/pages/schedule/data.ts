// The schedule screens' shared server state: venues, events of a range, one event's details.
import { useQuery } from '@tanstack/react-query';
import { api, type Schemas } from '../../api/client';
import { unwrap } from '../../lib/problem';

export type EventView = Schemas['EventView'];
export type Venue = Schemas['VenueView'];
export type Participant = Schemas['ParticipantView'];
export type Reservation = Schemas['ReservationView'];

export const KINDS: Schemas['EventKind'][] = ['performance', 'rehearsal', 'tech_rehearsal', 'dress_rehearsal', 'meeting', 'maintenance', 'other'];
export const STATUSES: Schemas['EventStatus'][] = ['planned', 'confirmed', 'in_progress', 'completed', 'cancelled'];

export function useVenues() {
  return useQuery({
    queryKey: ['schedule', 'venues'],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/venues', { params: { query: { limit: 200 } as never } })).items as Venue[],
    staleTime: 300_000,
  });
}

export function useParticipants(eventId: string, enabled = true) {
  return useQuery({
    queryKey: ['schedule', 'participants', eventId],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/events/{id}/participants', { params: { path: { id: eventId } } })),
    enabled,
  });
}

/** Everything that shows events: the calendar, "my events", one event's panel. */
export const EVENTS_KEY = ['schedule', 'events'] as const;

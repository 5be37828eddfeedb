// The signed-in user's answer to an invitation: confirmed / tentative / declined (DOMAIN.md; only
// the invited person answers, so it is offered for one's own invitation alone).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { Button, ProblemMessage } from '../../components/ui';
import { useI18n } from '../../i18n';
import { ownInvitation, RSVP_ANSWERS } from '../../lib/calendar';
import { unwrap } from '../../lib/problem';
import { useSession } from '../../session/store';
import { useParticipants, type Participant } from './data';

export function RsvpButtons({ eventId, mine }: { eventId: string; mine: Participant }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const answer = useMutation({
    mutationFn: async (value: (typeof RSVP_ANSWERS)[number]) =>
      unwrap(await api.PATCH('/api/v1/schedule/events/{id}/participants/{participant_id}', {
        params: { path: { id: eventId, participant_id: mine.id } },
        body: { answer: value, role: null },
      })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['schedule'] }),
  });
  return (
    <div>
      <div role="group" aria-label={m.scheduleScreen.rsvp} className="flex flex-wrap items-center gap-1">
        <span className="mr-1 text-sm text-stone-600">{m.scheduleScreen.rsvp}:</span>
        {RSVP_ANSWERS.map((a) => (
          <Button key={a} kind={mine.answer === a ? 'primary' : 'plain'} aria-pressed={mine.answer === a} data-testid={`rsvp-${a}`}
            disabled={answer.isPending} onClick={() => answer.mutate(a)}>
            {m.answer[a]}
          </Button>
        ))}
      </div>
      <ProblemMessage error={answer.error} />
    </div>
  );
}

/** RSVP for an event of "my events": loads the event's participants to find one's invitation. */
export function MyRsvp({ eventId }: { eventId: string }) {
  const me = useSession((s) => s.user?.id);
  const participants = useParticipants(eventId);
  const mine = ownInvitation(participants.data?.items ?? [], me);
  if (participants.error) return <ProblemMessage error={participants.error} />;
  return mine ? <RsvpButtons eventId={eventId} mine={mine} /> : null;
}

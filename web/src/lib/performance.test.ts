import { describe, expect, it } from 'vitest';
import {
  chooseCategory, classifyNames, confidenceLevel, filingRequest, ifMatch, initialFiling, offeredStatuses,
  PERFORMANCE_STATUSES, sceneSwapPlan, statusMoveAllowed, type PerformanceStatus,
} from './performance';

const editor = ['performance:view', 'performance:edit'];
const viewer = ['performance:view'];

describe('performance status actions', () => {
  it('allows exactly the moves of DOMAIN.md, every pair checked', () => {
    const allowed = new Set([
      'preparation>in_repertoire', 'preparation>archived',
      'in_repertoire>paused', 'in_repertoire>archived',
      'paused>in_repertoire', 'paused>archived',
      'archived>preparation',
    ]);
    for (const from of PERFORMANCE_STATUSES) {
      for (const to of PERFORMANCE_STATUSES) {
        expect(statusMoveAllowed(from, to), `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
  });

  it('offers the allowed moves to an editor, in the state machine order', () => {
    expect(offeredStatuses('preparation', undefined, editor)).toEqual(['in_repertoire', 'archived']);
    expect(offeredStatuses('paused', undefined, ['admin:full'])).toEqual(['in_repertoire', 'archived']);
    expect(offeredStatuses('archived', undefined, editor)).toEqual(['preparation']);
  });

  it('offers nothing to a user without performance:edit', () => {
    for (const s of PERFORMANCE_STATUSES) expect(offeredStatuses(s, undefined, viewer)).toEqual([]);
  });

  it('narrows to what the API lists as next and never adds what the machine forbids', () => {
    expect(offeredStatuses('in_repertoire', ['paused'], editor)).toEqual(['paused']);
    const forged = ['preparation', 'in_repertoire', 'paused', 'archived'] as PerformanceStatus[];
    expect(offeredStatuses('archived', forged, editor)).toEqual(['preparation']);
    expect(offeredStatuses('preparation', [], editor)).toEqual([]);
  });
});

describe('auto-filing guess → the filing choice', () => {
  const guess = { category: 'light_partition' as const, confidence: 0.95, reason: 'расширение .c2p' };

  it('preselects the guess and files under it when confirmed', () => {
    const choice = initialFiling({ file_name: 'show.c2p', guess });
    expect(choice).toEqual({ category: 'light_partition', source: 'guess', guess });
    expect(filingRequest('doc-1', choice)).toEqual({ document_id: 'doc-1', category: 'light_partition' });
  });

  it('lets the user correct the guess, and going back to it is the guess again', () => {
    const changed = chooseCategory(initialFiling({ file_name: 'x.c2p', guess }), 'drawings');
    expect(changed.source).toBe('person');
    expect(filingRequest('doc-1', changed)?.category).toBe('drawings');
    expect(chooseCategory(changed, 'light_partition').source).toBe('guess');
  });

  it('files nothing until a category is chosen when there is no guess', () => {
    const choice = initialFiling({ file_name: 'notes.txt', guess: null });
    expect(choice.source).toBe('none');
    expect(filingRequest('doc-1', choice)).toBeNull();
    expect(filingRequest('doc-1', chooseCategory(choice, 'rider'))).toEqual({ document_id: 'doc-1', category: 'rider' });
    expect(chooseCategory(chooseCategory(choice, 'rider'), '').source).toBe('none');
    expect(filingRequest('', chooseCategory(choice, 'rider'))).toBeNull();
  });

  it('words the confidence and classifies by the file name before the title', () => {
    expect([0.95, 0.8, 0.6, 0.5, 0.3].map(confidenceLevel)).toEqual(['high', 'high', 'medium', 'medium', 'low']);
    expect(classifyNames('Световая партитура', 'show.c2p')).toEqual(['show.c2p', 'Световая партитура']);
    expect(classifyNames(' Смета ', null)).toEqual(['Смета']);
    expect(classifyNames('Смета', 'Смета')).toEqual(['Смета']);
  });
});

describe('versions and scenes', () => {
  it('sends the ETag form the API expects', () => {
    expect(ifMatch(7)).toEqual({ 'If-Match': '"7"' });
  });

  it('swaps two scenes through a number nobody holds', () => {
    const plan = sceneSwapPlan({ id: 'a', scene_number: 2 }, { id: 'b', scene_number: 3 }, [1, 2, 3, 200]);
    expect(plan).toEqual([
      { id: 'a', scene_number: 199 },
      { id: 'b', scene_number: 2 },
      { id: 'a', scene_number: 3 },
    ]);
  });
});

// A production's rules as the card needs them: which status moves to offer (DOMAIN.md's state
// machine, narrowed by what the API says is next and by the user's permissions), the auto-filing
// guess turned into the user's filing choice, and the If-Match header of a versioned resource.
import type { Schemas } from '../api/client';
import { can } from './permissions';

export type PerformanceStatus = Schemas['PerformanceStatus'];
export type PassportCategory = Schemas['PassportCategory'];

export const PERFORMANCE_STATUSES: PerformanceStatus[] = ['preparation', 'in_repertoire', 'paused', 'archived'];

/** DOMAIN.md: preparation → in_repertoire | archived; in_repertoire ↔ paused; either → archived; archived → preparation. */
const MOVES: Record<PerformanceStatus, PerformanceStatus[]> = {
  preparation: ['in_repertoire', 'archived'],
  in_repertoire: ['paused', 'archived'],
  paused: ['in_repertoire', 'archived'],
  archived: ['preparation'],
};

export function statusMoveAllowed(from: PerformanceStatus, to: PerformanceStatus): boolean {
  return MOVES[from]?.includes(to) ?? false;
}

/**
 * The status buttons a card shows: moves the state machine allows from `status`, that the API
 * also lists as next (it has the last word), and only for a user holding `performance:edit`.
 */
export function offeredStatuses(
  status: PerformanceStatus,
  nextFromApi: readonly string[] | undefined,
  granted: readonly string[],
): PerformanceStatus[] {
  if (!can(granted, 'performance:edit')) return [];
  return (MOVES[status] ?? []).filter((s) => !nextFromApi || nextFromApi.includes(s));
}

/** The `If-Match` header for a resource read at `version` (the API's ETag is `"<version>"`). */
export function ifMatch(version: number): { 'If-Match': string } {
  return { 'If-Match': `"${version}"` };
}

export type Confidence = 'high' | 'medium' | 'low';

/** How sure a guess is, in three words the user can act on. */
export function confidenceLevel(confidence: number): Confidence {
  if (confidence >= 0.8) return 'high';
  if (confidence >= 0.5) return 'medium';
  return 'low';
}

/** What the user is about to file a document under, and where that choice came from. */
export interface FilingChoice {
  category: PassportCategory | '';
  /** `guess`: the auto-filing guess, untouched; `person`: the user chose; `none`: nothing yet. */
  source: 'guess' | 'person' | 'none';
  guess: Schemas['Guess'] | null;
}

/** The choice a classify answer starts with: its guess preselected, or nothing to preselect. */
export function initialFiling(result: Schemas['ClassifyResult'] | null | undefined): FilingChoice {
  const guess = result?.guess ?? null;
  return guess ? { category: guess.category, source: 'guess', guess } : { category: '', source: 'none', guess: null };
}

/** The user picked a category: back to the guess is still the guess, anything else is theirs. */
export function chooseCategory(choice: FilingChoice, category: PassportCategory | ''): FilingChoice {
  if (category === '') return { ...choice, category, source: 'none' };
  const source = choice.guess && choice.guess.category === category ? 'guess' : 'person';
  return { ...choice, category, source };
}

/** The filing request, or null while no category is chosen (filing asks for a confirmed category). */
export function filingRequest(documentId: string, choice: FilingChoice): Schemas['FileDocumentRequest'] | null {
  if (!documentId || choice.category === '') return null;
  return { document_id: documentId, category: choice.category };
}

/** The names to classify a document by, in order: its current file's name, then its title. */
export function classifyNames(title: string, originalFilename?: string | null): string[] {
  const names = [originalFilename?.trim() ?? '', title.trim()].filter(Boolean);
  return [...new Set(names)];
}

/** Swapping two scenes of one act goes through a free number (the act's numbers are unique). */
export function sceneSwapPlan(
  a: { id: string; scene_number: number },
  b: { id: string; scene_number: number },
  taken: readonly number[],
): { id: string; scene_number: number }[] {
  let free = 200;
  while (taken.includes(free) && free > 1) free--;
  return [
    { id: a.id, scene_number: free },
    { id: b.id, scene_number: a.scene_number },
    { id: a.id, scene_number: b.scene_number },
  ];
}

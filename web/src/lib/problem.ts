// RFC 9457 problems from the API, as the UI shows them.

export interface FieldError { field: string; message: string }
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
  conflicts?: unknown[];
  [key: string]: unknown;
}

export class ApiProblem extends Error {
  readonly problem: Problem;
  readonly status: number;
  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Turns an openapi-fetch result into its data or throws the problem. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const body = (result.error && typeof result.error === 'object' ? result.error : {}) as Problem;
  throw new ApiProblem(result.response.status, body);
}

/**
 * The API's `errors` list keyed by form field. A field the form does not show (or a nested one
 * such as `attributes.colour`) falls back to its first path segment, then to the form-level list.
 */
export function fieldErrors(
  problem: Problem | undefined,
  formFields: readonly string[],
): { byField: Record<string, string>; other: string[] } {
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const e of problem?.errors ?? []) {
    const head = e.field.split(/[.[]/)[0];
    const key = formFields.includes(e.field) ? e.field : formFields.includes(head) ? head : null;
    if (key === null) other.push(`${e.field}: ${e.message}`);
    else byField[key] = byField[key] ? `${byField[key]}; ${e.message}` : e.message;
  }
  return { byField, other };
}

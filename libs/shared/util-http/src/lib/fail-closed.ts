import { AppError } from '@svt/shared/util-errors';

/**
 * Awaits a storage operation and turns its failure into a 503
 * `store_unavailable`: without its store a service authenticates, counts and
 * revokes nothing, and says so, rather than answering 500 or, worse, 401.
 * `what` names the store for the client, e.g. `session store`.
 */
export async function failClosed<T>(work: Promise<T>, what: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw new AppError('store_unavailable', `The ${what} is unavailable.`, { cause: error });
  }
}

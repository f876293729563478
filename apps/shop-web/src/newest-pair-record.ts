/**
 * The id of the newest pair, in IndexedDB: the one store that every tab reads
 * consistently, a transaction committed in one being seen by the next begun
 * in another. It holds no token, only the page's name for a pair.
 *
 * A browser that refuses IndexedDB (storage turned off) still gets the
 * channel's answer: the record then reads as unknown, and a tab refreshes
 * unless the new pair has already reached it, which leaves the rare race
 * between a message and the lock to the server's grace window.
 */
export class NewestPairRecord {
  private database: Promise<IDBDatabase> | null = null;

  constructor(private readonly name: string) {}

  async read(): Promise<string | null> {
    try {
      const value = await this.run('readonly', (store) => store.get(this.name));
      return typeof value === 'string' ? value : null;
    } catch (error) {
      console.warn('token-sync: the record of the newest pair cannot be read', error);
      return null;
    }
  }

  async write(id: string | null): Promise<void> {
    try {
      await this.run('readwrite', (store) =>
        id === null ? store.delete(this.name) : store.put(id, this.name),
      );
    } catch (error) {
      console.warn('token-sync: the record of the newest pair cannot be written', error);
    }
  }

  /** Resolves once the transaction has committed, not merely once the request succeeded. */
  private async run(
    mode: IDBTransactionMode,
    act: (store: IDBObjectStore) => IDBRequest,
  ): Promise<unknown> {
    const database = await this.open();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const request = act(transaction.objectStore(STORE));
      transaction.addEventListener('complete', () => resolve(request.result));
      transaction.addEventListener('error', () => reject(transaction.error));
      transaction.addEventListener('abort', () => reject(transaction.error));
    });
  }

  private open(): Promise<IDBDatabase> {
    this.database ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.addEventListener('upgradeneeded', () => request.result.createObjectStore(STORE));
      request.addEventListener('success', () => resolve(request.result));
      request.addEventListener('error', () => reject(request.error));
    });
    return this.database;
  }
}

const DATABASE = 'shop-web-token-sync';
const STORE = 'newest-pair';

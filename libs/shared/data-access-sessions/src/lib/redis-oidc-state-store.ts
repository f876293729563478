import {
  checkedExpiresAt,
  consumedAt,
  epochSeconds,
  indexedFields,
  readPayload,
  SESSION_MODEL,
} from './oidc-entries';
import type { OidcIndexedFields } from './oidc-entries';
import type { OidcPayload, OidcStateStore } from './oidc-state-store';
import { pingRedis, watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';

/** Options for `RedisOidcStateStore`. */
export interface RedisOidcStateStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
}

/** The hash fields of an entry, as stored: all strings, absent when empty. */
type EntryFields = Partial<
  Record<'payload' | 'expiresAt' | 'consumed' | keyof OidcIndexedFields, string>
>;

/**
 * Replaces an entry's hash in one step, so no reader ever sees it half
 * written or missing. KEYS: the entry. ARGV: the payload, expiresAt,
 * consumed, grantId, uid, userCode, accountId ('' for absent). Answers the
 * fields it replaced.
 */
const REPLACE_SCRIPT = `
local old = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'payload', ARGV[1])
local names = {'expiresAt', 'consumed', 'grantId', 'uid', 'userCode', 'accountId'}
for i, name in ipairs(names) do
  if ARGV[i + 1] ~= '' then redis.call('HSET', KEYS[1], name, ARGV[i + 1]) end
end
if ARGV[2] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return old`;

/**
 * Deletes an entry and answers its fields, only when its grantId is ARGV[1]
 * if that is not ''. KEYS: the entry.
 */
const DESTROY_SCRIPT = `
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'grantId') ~= ARGV[1] then return {} end
local old = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return old`;

/**
 * Sets `consumed` only if it is not yet, on a live entry only. KEYS: the
 * entry. ARGV: epoch seconds, now in epoch ms. Answers 1 when it set it.
 */
const CONSUME_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local expiresAt = redis.call('HGET', KEYS[1], 'expiresAt')
if expiresAt and tonumber(expiresAt) <= tonumber(ARGV[2]) then return 0 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])`;

/**
 * Adds a member to an index, a sorted set scored by the member's expiry
 * ('+inf': never), dropping members expired at ARGV[3] (now, epoch ms); the
 * set then expires with its longest-lived member, or never. KEYS: the index.
 * ARGV: member, score, now.
 */
const INDEX_ADD_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIREAT', KEYS[1], last[2])
end
return 1`;

/** Deletes a pointer only while it still points at ARGV[1]. KEYS: the pointer. */
const POINTER_DELETE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * `OidcStateStore` on Redis. An entry is a hash `<prefix>oidc:<model>:<id>`
 * (its JSON payload, expiry, `consumed` and indexed fields) that Redis
 * expires by itself. `uid` and `userCode` are pointers
 * `<prefix>oidc-uid:<model>:<uid>` and `<prefix>oidc-user-code:<model>:<code>`
 * to the id, expiring with the entry; grants and accounts are sorted sets
 * `<prefix>oidc-grant:<grantId>` (of `[model, id]`) and
 * `<prefix>oidc-account:<accountId>` (of Session ids), scored by expiry and
 * expiring with their longest-lived member.
 *
 * Every command and script names a single key, so the layout holds on Redis
 * Cluster, where an entry and its indexes hash to different slots (Redis
 * Cluster specification, "Key distribution model"). An index is therefore
 * updated apart from its entry: every answer found through one is checked
 * against the entry itself, so a stale index entry is never believed.
 */
export class RedisOidcStateStore implements OidcStateStore {
  readonly #client: RedisConnection;
  readonly #prefix: string;
  readonly #now: () => number;
  #closed = false;

  /**
   * Uses a connected client or cluster client that its owner closes (see
   * `connectRedis`, `connectRedisCluster`); its errors are logged once per
   * outage.
   */
  constructor(client: RedisConnection, prefix: string, options: RedisOidcStateStoreOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#now = options.now ?? Date.now;
    watchOutages(client);
  }

  async upsert(
    model: string,
    id: string,
    payload: OidcPayload,
    expiresInSeconds?: number,
  ): Promise<void> {
    this.#assertOpen();
    const now = this.#now();
    const expiresAt = checkedExpiresAt(model, id, now, expiresInSeconds);
    // Redis would accept a past PXAT and drop the key at once; replacing with
    // an entry already expired is destroying the old one.
    if (expiresAt !== null && expiresAt <= now) {
      await this.destroy(model, id);
      return;
    }
    const indexed = indexedFields(model, payload);
    // The indexes first: a token is never live without its grant's index
    // entry, so revoking the grant cannot miss it.
    await this.#addIndexes(model, id, indexed, expiresAt, now);
    const consumed = consumedAt(payload);
    const old = fieldsOf(
      await this.#client.eval(REPLACE_SCRIPT, {
        keys: [this.#entryKey(model, id)],
        arguments: [
          JSON.stringify(payload),
          expiresAt === null ? '' : String(expiresAt),
          consumed === null ? '' : String(consumed),
          indexed.grantId ?? '',
          indexed.uid ?? '',
          indexed.userCode ?? '',
          indexed.accountId ?? '',
        ],
      }),
    );
    await this.#removeIndexes(model, id, old, indexed);
  }

  async find(model: string, id: string): Promise<OidcPayload | undefined> {
    this.#assertOpen();
    const fields = await this.#fields(model, id);
    return fields && payloadOf(fields);
  }

  findByUid(model: string, uid: string): Promise<OidcPayload | undefined> {
    return this.#findByPointer(model, 'uid', uid, this.#uidKey(model, uid));
  }

  findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined> {
    return this.#findByPointer(model, 'userCode', userCode, this.#userCodeKey(model, userCode));
  }

  async consume(model: string, id: string): Promise<boolean> {
    this.#assertOpen();
    const now = this.#now();
    const set = await this.#client.eval(CONSUME_SCRIPT, {
      keys: [this.#entryKey(model, id)],
      arguments: [String(epochSeconds(now)), String(now)],
    });
    return Number(set) === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    this.#assertOpen();
    await this.#destroy(model, id, '');
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#assertOpen();
    const index = this.#grantKey(grantId);
    const members = await this.#client.zRange(index, 0, -1);
    if (members.length === 0) return;
    await Promise.all(
      members.map((member) => {
        const [model, id] = JSON.parse(member) as [string, string];
        // Only while it still belongs to the grant: it may have been replaced.
        return this.#destroy(model, id, grantId);
      }),
    );
    // Only the members read: a token saved meanwhile keeps its entry.
    await this.#client.zRem(index, members);
  }

  async sessionIdsByAccount(accountId: string): Promise<string[]> {
    this.#assertOpen();
    const index = this.#accountKey(accountId);
    const now = this.#now();
    // Issued in one tick, node-redis writes these as one pipeline; unlike a
    // MULTI, each command is routed to its own key's slot on a cluster.
    const [, ids] = await Promise.all([
      this.#client.zRemRangeByScore(index, '-inf', now),
      this.#client.zRange(index, 0, -1),
    ]);
    const entries = await Promise.all(ids.map((id) => this.#fields(SESSION_MODEL, id)));
    const live: string[] = [];
    const stale: string[] = [];
    entries.forEach((fields, i) => (fields?.accountId === accountId ? live : stale).push(ids[i]));
    if (stale.length > 0) await this.#client.zRem(index, stale);
    return live.sort();
  }

  /** Resolves when the server answers; on a cluster, every master. */
  async ping(): Promise<void> {
    this.#assertOpen();
    await pingRedis(this.#client);
  }

  /** Stops using the client and leaves it open for its owner. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /** The live entry's fields, or undefined. */
  async #fields(model: string, id: string): Promise<EntryFields | undefined> {
    const fields = fieldsOf(await this.#client.hGetAll(this.#entryKey(model, id)));
    if (fields.payload === undefined) return undefined;
    if (fields.expiresAt !== undefined && Number(fields.expiresAt) <= this.#now()) {
      return undefined;
    }
    return fields;
  }

  async #findByPointer(
    model: string,
    field: 'uid' | 'userCode',
    value: string,
    pointer: string,
  ): Promise<OidcPayload | undefined> {
    this.#assertOpen();
    const id = await this.#client.get(pointer);
    if (id === null) return undefined;
    const fields = await this.#fields(model, id);
    // The entry may have been replaced with another value since.
    return fields?.[field] === value ? payloadOf(fields) : undefined;
  }

  async #destroy(model: string, id: string, onlyOfGrant: string): Promise<void> {
    const old = fieldsOf(
      await this.#client.eval(DESTROY_SCRIPT, {
        keys: [this.#entryKey(model, id)],
        arguments: [onlyOfGrant],
      }),
    );
    await this.#removeIndexes(model, id, old, undefined);
  }

  async #addIndexes(
    model: string,
    id: string,
    indexed: OidcIndexedFields,
    expiresAt: number | null,
    now: number,
  ): Promise<void> {
    const pointer = (key: string): Promise<unknown> =>
      expiresAt === null
        ? this.#client.set(key, id)
        : this.#client.set(key, id, { expiration: { type: 'PXAT', value: expiresAt } });
    const addToIndex = (key: string, member: string): Promise<unknown> =>
      this.#client.eval(INDEX_ADD_SCRIPT, {
        keys: [key],
        arguments: [member, expiresAt === null ? '+inf' : String(expiresAt), String(now)],
      });
    await Promise.all([
      indexed.uid !== null && pointer(this.#uidKey(model, indexed.uid)),
      indexed.userCode !== null && pointer(this.#userCodeKey(model, indexed.userCode)),
      indexed.grantId !== null &&
        addToIndex(this.#grantKey(indexed.grantId), grantMember(model, id)),
      indexed.accountId !== null && addToIndex(this.#accountKey(indexed.accountId), id),
    ]);
  }

  /** Drops the index entries of `old` that `kept` (the entry's new fields, if any) does not share. */
  async #removeIndexes(
    model: string,
    id: string,
    old: EntryFields,
    kept: OidcIndexedFields | undefined,
  ): Promise<void> {
    const gone = (field: keyof OidcIndexedFields): string | undefined => {
      const value = old[field];
      return value !== undefined && value !== kept?.[field] ? value : undefined;
    };
    const dropPointer = (key: string): Promise<unknown> =>
      this.#client.eval(POINTER_DELETE_SCRIPT, { keys: [key], arguments: [id] });
    const uid = gone('uid');
    const userCode = gone('userCode');
    const grantId = gone('grantId');
    const accountId = gone('accountId');
    await Promise.all([
      uid !== undefined && dropPointer(this.#uidKey(model, uid)),
      userCode !== undefined && dropPointer(this.#userCodeKey(model, userCode)),
      grantId !== undefined && this.#client.zRem(this.#grantKey(grantId), grantMember(model, id)),
      accountId !== undefined && this.#client.zRem(this.#accountKey(accountId), id),
    ]);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('RedisOidcStateStore is closed');
  }

  #entryKey(model: string, id: string): string {
    return `${this.#prefix}oidc:${model}:${id}`;
  }

  #uidKey(model: string, uid: string): string {
    return `${this.#prefix}oidc-uid:${model}:${uid}`;
  }

  #userCodeKey(model: string, userCode: string): string {
    return `${this.#prefix}oidc-user-code:${model}:${userCode}`;
  }

  #grantKey(grantId: string): string {
    return `${this.#prefix}oidc-grant:${grantId}`;
  }

  #accountKey(accountId: string): string {
    return `${this.#prefix}oidc-account:${accountId}`;
  }
}

/** A grant index member: the model and id, unambiguous whatever characters they hold. */
function grantMember(model: string, id: string): string {
  return JSON.stringify([model, id]);
}

/** A hash's fields from HGETALL (an object) or a script (a flat list of names and values). */
function fieldsOf(reply: unknown): EntryFields {
  if (!Array.isArray(reply)) return { ...(reply as EntryFields) };
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = String(reply[i + 1]);
  return fields;
}

function payloadOf(fields: EntryFields): OidcPayload {
  return readPayload(
    fields.payload as string,
    fields.consumed === undefined ? null : Number(fields.consumed),
  );
}

import { MemoryDenylist } from '@svt/shared/data-access-sessions';
import { ACCESS_TOKEN_TTL_MAX } from '../auth.config';
import { RevocationsService } from './revocations.service';

const NOW = 1_800_000_000_000;
/** The longest a token naming a denied sid can live, plus the verifiers' skew margin. */
const DENIED_FOR_MS = (ACCESS_TOKEN_TTL_MAX + 10) * 1000;

function setUp(): { revocations: RevocationsService; denylist: MemoryDenylist } {
  const clock = { now: () => NOW };
  const denylist = new MemoryDenylist(clock);
  return { revocations: new RevocationsService(denylist, clock), denylist };
}

describe(RevocationsService.name, () => {
  it('denies for the longest ACCESS_TOKEN_TTL the configuration allows, whatever is set now', async () => {
    const { revocations, denylist } = setUp();

    await revocations.deny(['family-1', 'session-1']);

    await expect(denylist.inForce()).resolves.toEqual(
      expect.arrayContaining([
        { sid: 'family-1', until: NOW + DENIED_FOR_MS },
        { sid: 'session-1', until: NOW + DENIED_FOR_MS },
      ]),
    );
  });

  it('denies again from when a family was revoked, not from now', async () => {
    const { revocations, denylist } = setUp();

    await revocations.deny(['family-1'], NOW - 60_000);

    await expect(denylist.inForce()).resolves.toEqual([
      { sid: 'family-1', until: NOW - 60_000 + DENIED_FOR_MS },
    ]);
  });

  it('denies nothing for a revocation older than any token it could concern', async () => {
    const { revocations, denylist } = setUp();

    await revocations.deny(['family-1'], NOW - DENIED_FOR_MS);

    await expect(denylist.inForce()).resolves.toEqual([]);
  });

  it('fails closed with 503 when the list cannot be written', async () => {
    class UnreachableDenylist extends MemoryDenylist {
      override deny(): Promise<void> {
        return Promise.reject(new Error('ECONNREFUSED'));
      }
    }
    const broken = new RevocationsService(new UnreachableDenylist(), { now: () => NOW });

    await expect(broken.deny(['family-1'])).rejects.toMatchObject({ code: 'store_unavailable' });
  });
});

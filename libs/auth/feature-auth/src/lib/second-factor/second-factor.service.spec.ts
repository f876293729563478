import { Secret, TOTP } from 'otpauth';
import type {
  RecoveryCodeRepository,
  TotpFactor,
  TotpFactorRepository,
} from '@svt/auth/data-access';
import { createLogger } from '@svt/shared/util-http';
import type { AuthConfig } from '../auth.config';
import { AuditLog } from '../shared/audit-log';
import { SecondFactorService } from './second-factor.service';

const config = {
  KEY_ENCRYPTION_SECRET: 'a-test-secret-of-at-least-32-characters',
  TOTP_ISSUER: 'Session vs Token',
} as AuthConfig;

/** TOTP factors in memory, with the repository's conditional updates. */
class MemoryTotpFactors implements TotpFactorRepository {
  readonly rows = new Map<string, TotpFactor>();

  async find(userId: string): Promise<TotpFactor | null> {
    return this.rows.get(userId) ?? null;
  }

  async savePending(userId: string, sealedSecret: string, now: number): Promise<boolean> {
    if (this.rows.get(userId)?.confirmedAt != null) return false;
    this.rows.set(userId, {
      userId,
      sealedSecret,
      createdAt: now,
      confirmedAt: null,
      lastUsedStep: null,
    });
    return true;
  }

  async confirm(userId: string, step: number, now: number): Promise<boolean> {
    const row = this.rows.get(userId);
    if (!row || row.confirmedAt !== null) return false;
    this.rows.set(userId, { ...row, confirmedAt: now, lastUsedStep: step });
    return true;
  }

  async useStep(userId: string, step: number): Promise<boolean> {
    const row = this.rows.get(userId);
    if (!row || row.confirmedAt === null) return false;
    if (row.lastUsedStep !== null && row.lastUsedStep >= step) return false;
    this.rows.set(userId, { ...row, lastUsedStep: step });
    return true;
  }

  async disable(userId: string): Promise<boolean> {
    if (this.rows.get(userId)?.confirmedAt == null) return false;
    return this.rows.delete(userId);
  }
}

class MemoryRecoveryCodes implements RecoveryCodeRepository {
  readonly codes = new Map<string, { userId: string; used: boolean }>();

  async replace(userId: string, hashes: readonly string[]): Promise<void> {
    for (const [hash, code] of this.codes) if (code.userId === userId) this.codes.delete(hash);
    for (const hash of hashes) this.codes.set(hash, { userId, used: false });
  }

  async use(userId: string, hash: string): Promise<boolean> {
    const code = this.codes.get(hash);
    if (!code || code.userId !== userId || code.used) return false;
    code.used = true;
    return true;
  }

  async countLeft(userId: string): Promise<number> {
    return [...this.codes.values()].filter((c) => c.userId === userId && !c.used).length;
  }
}

const USER = { id: 'user-1', email: 'ada@example.com' };
/** A frozen clock, in the middle of a time step. */
const START = 1_800_000_015_000;

async function setUp(): Promise<{
  service: SecondFactorService;
  clock: { now: () => number; advance(ms: number): void };
  events: Record<string, unknown>[];
}> {
  let now = START;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const events: Record<string, unknown>[] = [];
  const logger = await createLogger({
    format: 'json',
    destination: { write: (line) => events.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const service = new SecondFactorService(
    new MemoryTotpFactors(),
    new MemoryRecoveryCodes(),
    config,
    clock,
    new AuditLog(logger),
  );
  return { service, clock, events };
}

const codeAt = (secret: string, timestamp: number): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp });

describe(SecondFactorService.name, () => {
  describe('enrolment', () => {
    it('is pending until a first code confirms it, then answers ten recovery codes', async () => {
      const { service } = await setUp();
      const { secret, qrCode } = await service.enrol(USER);

      expect(qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
      await expect(service.status(USER.id)).resolves.toEqual({
        enabled: false,
        pending: true,
        recoveryCodesLeft: 0,
      });
      await expect(service.confirm(USER.id, codeAt(secret, START))).resolves.toHaveLength(10);
      await expect(service.status(USER.id)).resolves.toEqual({
        enabled: true,
        pending: false,
        recoveryCodesLeft: 10,
      });
    });

    it('refuses a wrong first code with invalid_otp and stays pending', async () => {
      const { service } = await setUp();
      const { secret } = await service.enrol(USER);
      const wrong = codeAt(secret, START + 5 * 30_000);

      await expect(service.confirm(USER.id, wrong)).rejects.toMatchObject({ code: 'invalid_otp' });
      await expect(service.isEnabled(USER.id)).resolves.toBe(false);
    });

    it('refuses a confirmation with nothing pending (totp_not_enabled) and a new enrolment once on', async () => {
      const { service } = await setUp();
      await expect(service.confirm(USER.id, '123456')).rejects.toMatchObject({
        code: 'totp_not_enabled',
      });
      const { secret } = await service.enrol(USER);
      await service.confirm(USER.id, codeAt(secret, START));

      await expect(service.enrol(USER)).rejects.toMatchObject({ code: 'totp_already_enabled' });
    });
  });

  describe('verify, with a frozen clock', () => {
    async function enabled(): Promise<{
      service: SecondFactorService;
      clock: { now: () => number; advance(ms: number): void };
      secret: string;
      recoveryCodes: string[];
      events: Record<string, unknown>[];
    }> {
      const { service, clock, events } = await setUp();
      const { secret } = await service.enrol(USER);
      const recoveryCodes = await service.confirm(USER.id, codeAt(secret, START));
      return { service, clock, secret, recoveryCodes, events };
    }

    it('refuses the code that confirmed the enrolment (a replay)', async () => {
      const { service, secret } = await enabled();

      await expect(service.verify(USER.id, codeAt(secret, START))).resolves.toBeNull();
    });

    it('accepts the next step once, then refuses it again', async () => {
      const { service, secret } = await enabled();
      const next = codeAt(secret, START + 30_000);

      await expect(service.verify(USER.id, next)).resolves.toBe('totp');
      await expect(service.verify(USER.id, next)).resolves.toBeNull();
    });

    it('refuses an earlier step once a later one was accepted', async () => {
      const { service, secret, clock } = await enabled();
      clock.advance(60_000);
      await expect(service.verify(USER.id, codeAt(secret, clock.now()))).resolves.toBe('totp');

      await expect(
        service.verify(USER.id, codeAt(secret, clock.now() - 30_000)),
      ).resolves.toBeNull();
    });

    it('refuses a code two steps away (outside the window)', async () => {
      const { service, secret, clock } = await enabled();
      clock.advance(4 * 30_000);

      await expect(
        service.verify(USER.id, codeAt(secret, clock.now() + 2 * 30_000)),
      ).resolves.toBeNull();
      await expect(
        service.verify(USER.id, codeAt(secret, clock.now() - 2 * 30_000)),
      ).resolves.toBeNull();
    });

    it('accepts a recovery code once, typed in any case, and audits what is left', async () => {
      const { service, recoveryCodes, events } = await enabled();
      const code = recoveryCodes[0];

      await expect(service.verify(USER.id, code.toLowerCase())).resolves.toBe('recovery_code');
      await expect(service.verify(USER.id, code)).resolves.toBeNull();
      expect(events).toContainEqual(
        expect.objectContaining({ event: 'recovery_code.used', userId: USER.id, left: 9 }),
      );
      expect(JSON.stringify(events)).not.toContain(code);
    });

    it('accepts nothing once it is off', async () => {
      const { service, recoveryCodes, secret, clock } = await enabled();
      await expect(service.disable(USER.id)).resolves.toBe(true);
      clock.advance(30_000);

      await expect(service.verify(USER.id, codeAt(secret, clock.now()))).resolves.toBeNull();
      await expect(service.verify(USER.id, recoveryCodes[1])).resolves.toBeNull();
    });
  });
});

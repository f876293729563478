import { Inject, Injectable } from '@nestjs/common';
import { toString as qrCodeSvg } from 'qrcode';
import type { RecoveryCodeRepository, TotpFactorRepository, User } from '@svt/auth/data-access';
import { RECOVERY_CODE_REPOSITORY, TOTP_FACTOR_REPOSITORY } from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { seal, unseal } from '../keys/key-sealing';
import { AuditLog } from '../shared/audit-log';
import { newRecoveryCodes, recoveryCodeHash } from './recovery-codes';
import { looksLikeTotpCode, matchingStep, newTotpSecret, otpauthUri } from './totp-codes';

/** `GET /auth/totp`. */
export interface TotpStatus {
  readonly enabled: boolean;
  /** An enrolment awaits its first code. */
  readonly pending: boolean;
  readonly recoveryCodesLeft: number;
}

/** What an enrolment hands the user once: the secret, as text, URI and QR code. */
export interface TotpEnrolment {
  readonly secret: string;
  readonly otpauthUri: string;
  /** `data:image/svg+xml;base64,…` */
  readonly qrCode: string;
}

/** Which second factor a code proved. */
export type SecondFactorMethod = 'totp' | 'recovery_code';

/**
 * A user's TOTP factor (RFC 6238) and recovery codes: enrol, confirm with a
 * first code, check a code, turn off. The secret is sealed at rest; each code
 * is accepted once (its time step must be later than the last accepted one),
 * and each recovery code once.
 */
@Injectable()
export class SecondFactorService {
  constructor(
    @Inject(TOTP_FACTOR_REPOSITORY) private readonly factors: TotpFactorRepository,
    @Inject(RECOVERY_CODE_REPOSITORY) private readonly recoveryCodes: RecoveryCodeRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {}

  async status(userId: string): Promise<TotpStatus> {
    const [factor, recoveryCodesLeft] = await Promise.all([
      this.factors.find(userId),
      this.recoveryCodes.countLeft(userId),
    ]);
    const enabled = factor?.confirmedAt != null;
    return {
      enabled,
      pending: factor !== null && !enabled,
      recoveryCodesLeft: enabled ? recoveryCodesLeft : 0,
    };
  }

  /** Whether a login of this user owes a second factor. */
  async isEnabled(userId: string): Promise<boolean> {
    return (await this.factors.find(userId))?.confirmedAt != null;
  }

  /** Starts (or restarts) an enrolment; 409 `totp_already_enabled` once one is confirmed. */
  async enrol(user: Pick<User, 'id' | 'email'>): Promise<TotpEnrolment> {
    const secret = newTotpSecret();
    const saved = await this.factors.savePending(
      user.id,
      seal(secret, this.config.KEY_ENCRYPTION_SECRET, 'svt-totp-secret'),
      this.clock.now(),
    );
    if (!saved) throw alreadyEnabled();
    const uri = otpauthUri(secret, this.config.TOTP_ISSUER, user.email);
    const svg = await qrCodeSvg(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    this.audit.record('totp.enrolment_started', { userId: user.id });
    return {
      secret,
      otpauthUri: uri,
      qrCode: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`,
    };
  }

  /**
   * Turns the pending enrolment on with its first code and answers the
   * recovery codes, shown this once (only their hashes are kept).
   */
  async confirm(userId: string, code: string): Promise<string[]> {
    const factor = await this.factors.find(userId);
    if (factor?.confirmedAt != null) throw alreadyEnabled();
    if (!factor) throw notEnabled('No enrolment is waiting for a first code.');
    const now = this.clock.now();
    const step = matchingStep(this.secretOf(factor.sealedSecret), code, now);
    if (step === null) throw invalidOtp();
    if (!(await this.factors.confirm(userId, step, now))) {
      throw notEnabled('No enrolment is waiting for a first code.');
    }
    const codes = newRecoveryCodes();
    await this.recoveryCodes.replace(
      userId,
      codes.map((c) => recoveryCodeHash(c) ?? ''),
      now,
    );
    this.audit.record('totp.enabled', { userId });
    return codes;
  }

  /**
   * Checks a code against the user's confirmed factor and spends it: a TOTP
   * code of a later step than the last one accepted, or an unused recovery
   * code. Resolves to which it was, or null when it is neither.
   */
  async verify(userId: string, code: string): Promise<SecondFactorMethod | null> {
    const factor = await this.factors.find(userId);
    if (factor?.confirmedAt == null) return null;
    if (looksLikeTotpCode(code)) {
      const step = matchingStep(this.secretOf(factor.sealedSecret), code, this.clock.now());
      return step !== null && (await this.factors.useStep(userId, step)) ? 'totp' : null;
    }
    const hash = recoveryCodeHash(code);
    if (hash === null || !(await this.recoveryCodes.use(userId, hash, this.clock.now()))) {
      return null;
    }
    this.audit.record('recovery_code.used', {
      userId,
      left: await this.recoveryCodes.countLeft(userId),
    });
    return 'recovery_code';
  }

  /** Turns the factor off, recovery codes included; false when it was not on. */
  disable(userId: string): Promise<boolean> {
    return this.factors.disable(userId);
  }

  private secretOf(sealed: string): string {
    return unseal(sealed, this.config.KEY_ENCRYPTION_SECRET, 'svt-totp-secret');
  }
}

function alreadyEnabled(): AppError {
  return new AppError(
    'totp_already_enabled',
    'Two-factor authentication is already on; turn it off first to enrol again.',
  );
}

export function notEnabled(detail: string): AppError {
  return new AppError('totp_not_enabled', detail);
}

export function invalidOtp(): AppError {
  return new AppError('invalid_otp', 'The code is wrong, outside its time window, or used.');
}

import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength, ValidateBy } from 'class-validator';
import { normaliseEmail } from './email';

/**
 * Password length (OWASP ASVS 5.0 §6.2, NIST SP 800-63B §3.1.1.2): at least
 * 8 characters, long passphrases welcome. Characters are Unicode code points,
 * so an emoji counts once. The UTF-8 byte cap bounds what reaches the hasher:
 * any 1024 characters of the Basic Multilingual Plane fit (3 bytes at most
 * each); only passphrases of more than 768 emoji-like characters meet it.
 */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;
export const PASSWORD_MAX_BYTES = 3072;

/** Whether `value` is a password this service accepts; the reason when not. */
export function passwordProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  const characters = [...value].length;
  if (characters < PASSWORD_MIN || characters > PASSWORD_MAX) {
    return `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`;
  }
  if (Buffer.byteLength(value, 'utf8') > PASSWORD_MAX_BYTES) {
    return `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`;
  }
  return null;
}

const IsPassword = (): PropertyDecorator =>
  ValidateBy({
    name: 'isPassword',
    validator: {
      validate: (value: unknown) => passwordProblem(value) === null,
      defaultMessage: (args) => passwordProblem(args?.value) ?? 'is invalid',
    },
  });

const normalised = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? normaliseEmail(value) : value,
);

const PASSWORD_DOC = {
  description: `${PASSWORD_MIN} to ${PASSWORD_MAX} Unicode characters, at most ${PASSWORD_MAX_BYTES} bytes in UTF-8.`,
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  format: 'password',
} as const;

export class CredentialsDto {
  @ApiProperty({
    description: 'Normalised: trimmed, NFKC, lower-case.',
    format: 'email',
    maxLength: 254,
    example: 'ada@example.com',
  })
  @normalised
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  readonly email!: string;

  @ApiProperty({ ...PASSWORD_DOC, example: 'correct horse battery staple' })
  @IsPassword()
  readonly password!: string;
}

export class RefreshTokenDto {
  @ApiProperty({
    description: 'The opaque refresh token from the last token response.',
    minLength: 1,
    maxLength: 4096,
    example: 'rt_2b0f6f5e9c0d4a7e8f1a3c5e7b9d1f3a',
  })
  @IsString({ message: 'must be a string' })
  // As long as any token this service issues: an access token sent here by
  // mistake is then refused as the wrong token, not as a malformed field.
  @Length(1, 4096, { message: 'must be 1 to 4096 characters' })
  readonly refresh_token!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ ...PASSWORD_DOC, example: 'correct horse battery staple' })
  @IsPassword()
  readonly currentPassword!: string;

  @ApiProperty({ ...PASSWORD_DOC, example: 'a new and longer passphrase' })
  @IsPassword()
  readonly newPassword!: string;
}

const USER_ID = '0b6a8f7e-3c1d-4e2f-9a8b-7c6d5e4f3a2b';

/** A user as the API shows it. */
export class PublicUserDto {
  @ApiProperty({ example: USER_ID })
  readonly id!: string;

  @ApiProperty({ format: 'email', example: 'ada@example.com' })
  readonly email!: string;

  @ApiProperty({
    description:
      'Whether the owner proved the mailbox: opened the verification link, or reset the password by mail.',
    example: false,
  })
  readonly emailVerified!: boolean;
}

/** What a cookie session login (or a password change in one) answers. */
export class SessionResponseDto {
  @ApiProperty({ type: PublicUserDto })
  readonly user!: PublicUserDto;

  @ApiProperty({
    description: 'Send it back as `X-CSRF-Token` with every cookie-authenticated change.',
    example: 'c3f1b2a4d5e6f708192a3b4c5d6e7f80',
  })
  readonly csrfToken!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'The absolute timeout.',
    example: '2025-01-01T20:00:00.000Z',
  })
  readonly expiresAt!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When the session ends without activity (it slides with each request).',
    example: '2025-01-01T12:30:00.000Z',
  })
  readonly idleExpiresAt!: string;

  @ApiProperty({
    required: false,
    description:
      '`GET /auth/session` only: the session is bound to a device key (DBSC) and its bound cookie came with the request.',
  })
  readonly deviceBound?: boolean;
}

/** What a token login, a refresh and a password change with a token answer. */
export class TokenResponseDto {
  @ApiProperty({
    description:
      'An ES256 JWT (`iss`, `aud`, `sub`, `sid`, `jti`, `iat`, `exp`, and `cnf.jkt` when bound to a DPoP key), at most 15 minutes.',
    example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
  })
  readonly access_token!: string;

  @ApiProperty({
    enum: ['Bearer', 'DPoP'],
    example: 'Bearer',
    description:
      '`DPoP` when the request carried a DPoP proof: the tokens are bound to its key, and each use needs a proof by it.',
  })
  readonly token_type!: 'Bearer' | 'DPoP';

  @ApiProperty({ description: 'Seconds until the access token expires.', example: 900 })
  readonly expires_in!: number;

  @ApiProperty({
    description: 'Opaque; spent by its first use (rotation).',
    example: 'rt_2b0f6f5e9c0d4a7e8f1a3c5e7b9d1f3a',
  })
  readonly refresh_token!: string;
}

/** One row of `GET /auth/sessions`: a cookie session or a token family. */
export class SessionListingDto {
  @ApiProperty({ description: 'An opaque handle, never a secret.', example: 'h_5d2c9e1f' })
  readonly id!: string;

  @ApiProperty({
    enum: ['session', 'bearer', 'dpop'],
    description: 'A cookie session, or a token family: `dpop` when bound to a DPoP key.',
  })
  readonly method!: 'session' | 'bearer' | 'dpop';

  @ApiProperty({ format: 'date-time', example: '2025-01-01T12:00:00.000Z' })
  readonly createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2025-01-01T12:05:00.000Z' })
  readonly lastSeenAt!: string;

  @ApiProperty({ type: 'string', nullable: true, example: 'Mozilla/5.0' })
  readonly userAgent!: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: '203.0.113.7' })
  readonly ip!: string | null;

  @ApiProperty({ description: 'Whether the caller is using it.' })
  readonly current!: boolean;

  @ApiProperty({
    description:
      'A cookie session whose browser bound it to a key it cannot export (Device Bound Session Credentials): a copy of its cookies stops working within `DBSC_BOUND_COOKIE_TTL`. Always false for a token family.',
  })
  readonly deviceBound!: boolean;

  @ApiProperty({
    type: [String],
    example: ['pwd', 'otp'],
    description:
      'How the user authenticated at its login (RFC 8176): `pwd`, and `otp` after a second factor.',
  })
  readonly amr!: string[];
}

/** `GET /auth/me`. */
export class MeResponseDto extends PublicUserDto {
  @ApiProperty({
    enum: ['session', 'bearer', 'dpop'],
    description: 'How the caller authenticated.',
  })
  readonly method!: string;

  @ApiProperty({
    type: [String],
    example: ['pwd', 'otp'],
    description: 'The authentication methods of the login (RFC 8176): `pwd`, `otp`.',
  })
  readonly amr!: string[];

  @ApiProperty({
    enum: ['aal1', 'aal2'],
    description:
      'The assurance level of the login: `aal2` after a second factor (RFC 9068 §2.2.1).',
  })
  readonly acr!: string;
}

const CODE_DOC = {
  description:
    'A six-digit code from the authenticator app (RFC 6238), or one of the recovery codes (`ABCD-EFGH-IJKL-MNOP`; case, dashes and spaces do not matter).',
  minLength: 6,
  maxLength: 64,
  example: '123456',
} as const;

/** A second-factor code: `POST /auth/totp/confirm`, `DELETE /auth/totp`. */
export class OtpCodeDto {
  @ApiProperty(CODE_DOC)
  @IsString({ message: 'must be a string' })
  @Length(6, 64, { message: 'must be 6 to 64 characters' })
  readonly code!: string;
}

/** `POST /auth/session/second-factor`, `POST /auth/token/second-factor`. */
export class SecondFactorLoginDto extends OtpCodeDto {
  @ApiProperty({
    description:
      'The `pendingLogin` of the `second_factor_required` problem the password step answered.',
    minLength: 43,
    maxLength: 43,
    example: 'q3Zb0m5kJc1oW8n2xY7tR4uV6sA9dF0gH1jK2lM3nP4',
  })
  @IsString({ message: 'must be a string' })
  @Length(43, 43, { message: 'must be 43 characters' })
  readonly pendingLogin!: string;
}

/** `GET /auth/totp`. */
export class TotpStatusDto {
  @ApiProperty({ description: 'Logins need a second factor.' })
  readonly enabled!: boolean;

  @ApiProperty({
    description: 'An enrolment waits for its first code (`POST /auth/totp/confirm`).',
  })
  readonly pending!: boolean;

  @ApiProperty({ description: 'Unused recovery codes.', example: 10 })
  readonly recoveryCodesLeft!: number;
}

/** `POST /auth/totp`: shown once; only a sealed copy of the secret is kept. */
export class TotpEnrolmentDto {
  @ApiProperty({
    description: 'The shared secret, base32 (160 bits), for typing into an authenticator app.',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  readonly secret!: string;

  @ApiProperty({
    description: 'The same secret as an `otpauth://totp/…` URI (SHA1, 6 digits, 30 s).',
    example:
      'otpauth://totp/Session%20vs%20Token:ada%40example.com?issuer=Session%20vs%20Token&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
  })
  readonly otpauthUri!: string;

  @ApiProperty({
    description: 'The URI as a QR code: a `data:image/svg+xml;base64,…` URL for an `<img>`.',
  })
  readonly qrCode!: string;
}

/** `POST /auth/totp/confirm`: shown once; only their hashes are kept. */
export class RecoveryCodesDto {
  @ApiProperty({
    type: [String],
    description:
      'Ten single-use recovery codes (80 bits each), for when the authenticator is lost.',
    example: ['ABCD-EFGH-IJKL-MNOP'],
  })
  readonly recoveryCodes!: string[];
}

/** The secret of a mailed link: the part after `#verify-email=` or `#reset-password=`. */
const LINK_TOKEN_DOC = {
  description: 'The token from the link in the mail (the part of its fragment after `=`).',
  minLength: 1,
  maxLength: 512,
  example: 'q3J5bVh2c0lVbXJ4Yk1jZ2t2Q0d4dU5tZ0VqY2l4cUQ',
} as const;

export class VerifyEmailDto {
  @ApiProperty(LINK_TOKEN_DOC)
  @IsString({ message: 'must be a string' })
  @Length(1, 512, { message: 'must be 1 to 512 characters' })
  readonly token!: string;
}

export class ForgotPasswordDto {
  @ApiProperty({
    description: 'Normalised: trimmed, NFKC, lower-case.',
    format: 'email',
    maxLength: 254,
    example: 'ada@example.com',
  })
  @normalised
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  readonly email!: string;
}

export class ResetPasswordDto {
  @ApiProperty(LINK_TOKEN_DOC)
  @IsString({ message: 'must be a string' })
  @Length(1, 512, { message: 'must be 1 to 512 characters' })
  readonly token!: string;

  @ApiProperty({ ...PASSWORD_DOC, example: 'a new and longer passphrase' })
  @IsPassword()
  readonly newPassword!: string;
}

/** What `POST /auth/password/forgot` answers, for every address alike. */
export class ForgotPasswordResponseDto {
  @ApiProperty({ example: 'If an account uses this address, a reset link is on its way.' })
  readonly detail!: string;
}

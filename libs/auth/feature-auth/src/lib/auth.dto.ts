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

export class CredentialsDto {
  @normalised
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  readonly email!: string;

  @IsPassword()
  readonly password!: string;
}

export class RefreshTokenDto {
  @IsString({ message: 'must be a string' })
  @Length(1, 512, { message: 'must be 1 to 512 characters' })
  readonly refresh_token!: string;
}

export class ChangePasswordDto {
  @IsPassword()
  readonly currentPassword!: string;

  @IsPassword()
  readonly newPassword!: string;
}

import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { normaliseEmail } from './email';

/** Passwords: 8–1024 characters (OWASP ASVS 5.0 §6.2: at least 8, long passphrases allowed). */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

const normalised = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? normaliseEmail(value) : value,
);

export class CredentialsDto {
  @normalised
  @IsEmail({}, { message: 'must be an email address' })
  @MaxLength(254, { message: 'must be at most 254 characters' })
  readonly email!: string;

  @IsString({ message: 'must be a string' })
  @Length(PASSWORD_MIN, PASSWORD_MAX, {
    message: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
  })
  readonly password!: string;
}

export class RefreshTokenDto {
  @IsString({ message: 'must be a string' })
  @Length(1, 512, { message: 'must be 1 to 512 characters' })
  readonly refresh_token!: string;
}

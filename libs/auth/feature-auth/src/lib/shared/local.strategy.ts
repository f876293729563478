import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import type { User } from '@svt/auth/data-access';
import { CredentialsService } from './credentials.service';

/** Email and password through passport-local; no side effects here, only the check. */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly credentials: CredentialsService) {
    super({ usernameField: 'email', passwordField: 'password', session: false });
  }

  validate(email: string, password: string): Promise<User | null> {
    return this.credentials.verify(email, password);
  }
}

import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { config } from './config';
import { JwtStrategy } from './jwt.strategy';
import { ProxyController } from './proxy.controller';
import { fetchPublicKeyPem, JWT_PUBLIC_KEY } from './public-key';

@Module({
  imports: [PassportModule],
  controllers: [ProxyController],
  providers: [
    { provide: JWT_PUBLIC_KEY, useFactory: () => fetchPublicKeyPem(config.jwksUrl) },
    JwtStrategy,
  ],
})
export class AppModule {}

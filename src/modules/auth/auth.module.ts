import { createSecretKey } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AuthenticationGuard } from './guards/authentication.guard';
import { PasswordHasher } from './password-hasher';
import { SessionRegistry } from './session-registry';
import { TokenService } from './token.service';

@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A KeyObject made once: given a string, jsonwebtoken first tries to parse
        // it as a public key on every verification, which costs more than the HMAC.
        secret: createSecretKey(Buffer.from(config.JWT_SECRET!, 'utf8')),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, PasswordHasher, TokenService, SessionRegistry, AuthenticationGuard],
  exports: [PasswordHasher, TokenService, SessionRegistry, AuthenticationGuard],
})
export class AuthModule {}

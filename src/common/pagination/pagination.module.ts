import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { CursorCodec } from './cursor';

@Global()
@Module({
  providers: [
    {
      provide: CursorCodec,
      useFactory: (config: AppConfig) => new CursorCodec(`${config.JWT_SECRET}:cursors`),
      inject: [APP_CONFIG],
    },
  ],
  exports: [CursorCodec],
})
export class PaginationModule {}


import { Module } from '@nestjs/common';
import { LedgerReconciler } from './ledger-reconciler';
import { LedgerController } from './ledger.controller';
import { LedgerService } from './ledger.service';
import { WalletsController } from './wallets.controller';
import { WalletsService } from './wallets.service';

/** Wallets and the double-entry ledger under them; LedgerService is exported for orders. */
@Module({
  controllers: [WalletsController, LedgerController],
  providers: [WalletsService, LedgerService, LedgerReconciler],
  exports: [LedgerService, LedgerReconciler],
})
export class WalletsModule {}
